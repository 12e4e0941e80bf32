"""Canonical files: one file per table, named after it (products.csv,
reviews.jsonl, orders.parquet, optionally gzip-compressed), columns named as in
``assistant.data.schema``. Read with DuckDB's native readers, all values as
text, so validation (not the reader) decides what is malformed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.data.adapters import MAX_LINE_BYTES, FilePlan, stage_lines
from assistant.data.schema import TABLES
from assistant.data.sql import json_pointer, positional_names, quote_ident
from assistant.data.validate import Batch
from assistant.errors import DataError, UserError

SUFFIXES = (".csv", ".jsonl", ".json", ".ndjson", ".parquet")


def split_name(path: Path) -> tuple[str, str]:
    """``orders.csv.gz`` -> ("orders", ".csv")."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    stem, dot, ext = name.rpartition(".")
    return (stem, "." + ext) if dot else (name, "")


def table_for(path: Path) -> str | None:
    stem, ext = split_name(path)
    return stem if stem in TABLES and ext in SUFFIXES else None


def _require_columns(path: Path, table: str, present: list[str]) -> None:
    missing = [c.name for c in TABLES[table].columns if c.required and c.name not in present]
    if table == "events" and missing == ["event_id"]:
        return  # derived from the row's fields
    if table == "events":
        missing = [m for m in missing if m != "event_id"]
    if missing:
        raise UserError(
            f"{path}: the {table} file has no column(s) {', '.join(missing)}",
            hint=f"columns of {table}: {', '.join(TABLES[table].column_names)}",
        )


def _shown(name: str) -> str:
    """A source name as messages and notes show it: escaped, and cut when huge."""
    text = repr(name)[1:-1]
    return text if len(text) <= 80 else text[:77] + "..."


def _header_map(names: list[str], table: str) -> tuple[dict[str, int], list[str]]:
    """canonical column -> position of its source column; plus the names ignored.

    Names match after trimming and lower-casing; anything else (look-alike
    characters included) is ignored, never guessed. Two source names meaning the
    same column make the file ambiguous: loading either would silently drop the
    other's values, so the file is refused."""
    known = set(TABLES[table].column_names)
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for i, name in enumerate(names):
        norm = name.strip().lower()
        if norm not in known:
            ignored.append(_shown(name))
            continue
        if norm in mapping:
            first = names[mapping[norm]]
            raise DataError(
                f"ambiguous columns: {_shown(first)!r} and {_shown(name)!r} both mean "
                f"{table}.{norm}",
                hint="keep one of them (rename or drop the other) and ingest again",
            )
        mapping[norm] = i
    return mapping, ignored


def _select(mapping: dict[str, int], source: str) -> str:
    cols = ", ".join(f"c{i} AS {quote_ident(canon)}" for canon, i in mapping.items())
    return f"SELECT {cols}, _line, _raw FROM {source}"  # noqa: S608 -- positional names, quoted canonical names, constant table


def _raw_json(width: int) -> str:
    """A row as a JSON object keyed by the file's own names, which are passed as
    the parameters ``$n0..`` so no name is ever part of the SQL text."""
    return "json_object(" + ", ".join(f"$n{i}, c{i}" for i in range(width)) + ")"


def _name_params(names: list[str]) -> dict[str, str]:
    return {f"n{i}": name for i, name in enumerate(names)}


def _plan_csv(cur: duckdb.DuckDBPyConnection, path: Path, read: Path, table: str) -> FilePlan:
    cur.execute("DROP TABLE IF EXISTS _csv_rejects")
    cur.execute("DROP TABLE IF EXISTS _csv_scans")
    # Read without a header: the header cells arrive as the first row, as data, and
    # the columns get DuckDB's generated names (never renamed duplicates like "Text_1").
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _stg_read AS
        SELECT * FROM read_csv($path, header = false, all_varchar = true,
            store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans',
            max_line_size = {MAX_LINE_BYTES:d})
        """,  # noqa: S608 -- only an integer constant is formatted; the path is a parameter
        {"path": str(read)},
    )
    header_error = cur.execute(
        "SELECT any_value(error_message) FROM _csv_rejects WHERE line = 1"
    ).fetchone()[0]
    if header_error:
        raise DataError(f"{path}: the header line could not be read ({header_error})")
    width = len(cur.execute("DESCRIBE _stg_read").fetchall())
    aliases = ", ".join(positional_names(width))
    first = cur.execute(
        f"SELECT * FROM _stg_read AS s({aliases}) ORDER BY rowid LIMIT 1"  # noqa: S608 -- positional names
    ).fetchone()
    names = ["" if v is None else v for v in (first or ())]
    mapping, ignored = _header_map(names, table)
    _require_columns(path, table, list(mapping))
    # DuckDB numbers records, not lines, so a header cell with quoted line breaks
    # moves every record down by its extra lines.
    extra = sum(n.count("\n") for n in names)
    # Rejected lines are skipped by the reader, so a good record's line is its
    # position plus the header plus the rejected lines before it (one line per record).
    # A rejected line with g good records before it shifts every later record by one.
    has_rejects = cur.execute("SELECT count(*) FROM _csv_rejects").fetchone()[0] > 0
    shift = "(SELECT count(*) FROM rej WHERE rej.g < r._k)" if has_rejects else "0"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _stg AS
        WITH rej AS (SELECT line, line - 1 - row_number() OVER (ORDER BY line) AS g
                     FROM (SELECT DISTINCT line FROM _csv_rejects)),
             r AS (SELECT *, rowid - min(rowid) OVER () AS _k FROM _stg_read AS s({aliases}))
        SELECT r.* EXCLUDE (_k), CAST({_raw_json(width)} AS VARCHAR) AS _raw,
               r._k + 1 + $extra + {shift} AS _line
        FROM r WHERE r._k > 0
        """,  # noqa: S608 -- positional names and constant SQL; the file's names are parameters
        _name_params(names) | {"extra": extra},
    )
    cur.execute("DROP TABLE _stg_read")
    rejected = f"""SELECT line + {extra:d} AS _line, csv_line AS _raw,
                         'malformed CSV line: ' || error_message AS _reason
                  FROM (SELECT DISTINCT ON (line) * FROM _csv_rejects ORDER BY line)"""  # noqa: S608 -- only an integer is formatted
    return FilePlan(
        [Batch(table, _select(mapping, "_stg"), list(mapping))],
        rejected_sql=rejected,
        notes={"ignored_columns": ignored} if ignored else {},
    )


def _jsonl_batch_sql(mapping: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A batch SELECT over ``_stg_json`` and its parameters: every mapped key is
    extracted in one pass over the record (a list of JSON pointers), and
    ``_x_<column>`` says the record has the key, so a JSON null there is meant."""
    values, flags, params = [], [], {}
    for i, (canon, key) in enumerate(mapping.items()):
        params[f"p{i}"], params[f"k{i}"] = json_pointer(key), key
        values.append(f"_v[{i + 1}] AS {quote_ident(canon)}")
        flags.append(f"list_contains(_keys, $k{i}) AS {quote_ident('_x_' + canon)}")
    pointers = ", ".join(f"$p{i}" for i in range(len(mapping)))
    sql = (
        f"SELECT {', '.join(values + flags)}, _line, _raw "  # noqa: S608 -- quoted canonical names; keys are parameters
        f"FROM (SELECT json_extract_string(_raw, [{pointers}]) AS _v, _keys, _line, _raw "
        "FROM _stg_json WHERE _reason IS NULL)"
    )
    return sql, params


def _plan_jsonl(cur: duckdb.DuckDBPyConnection, path: Path, read: Path, table: str) -> FilePlan:
    stage_lines(cur, read, "_lines")
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _stg_json AS
        WITH l AS (SELECT _line, line, json_valid(line) AS _ok FROM _lines
                   WHERE line IS NOT NULL AND trim(line) <> ''),
             k AS (SELECT *, CASE WHEN _ok AND json_type(line) = 'OBJECT'
                                  THEN json_keys(line) END AS _keys FROM l)
        SELECT _line, line AS _raw, _keys,
               CASE WHEN NOT _ok THEN 'malformed JSON'
                    WHEN _keys IS NULL THEN 'not a JSON object'
                    WHEN len(_keys) <> len(list_distinct(_keys))
                    THEN 'a key appears twice in this record' END AS _reason
        FROM k
    """)
    cur.execute("DROP TABLE _lines")
    keys = sorted(
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT unnest(_keys) FROM _stg_json WHERE _reason IS NULL"
        ).fetchall()
    )
    rejected = "SELECT _line, _raw, _reason FROM _stg_json WHERE _reason IS NOT NULL"
    if not keys:  # only blank or malformed lines: nothing to load, the bad ones are quarantined
        return FilePlan([], rejected_sql=rejected)
    positions, ignored = _header_map(keys, table)
    _require_columns(path, table, list(positions))
    sql, params = _jsonl_batch_sql({canon: keys[i] for canon, i in positions.items()})
    return FilePlan(
        [Batch(table, sql, list(positions), params=params, explicit=list(positions))],
        rejected_sql=rejected,
        notes={"ignored_columns": ignored} if ignored else {},
    )


def _parquet_names(cur: duckdb.DuckDBPyConnection, read: Path) -> list[str]:
    """The file's own top-level column names (DuckDB renames duplicates such as
    "text" and "Text" on read, which would hide an ambiguity)."""
    schema = cur.execute(
        "SELECT name, coalesce(num_children, 0) FROM parquet_schema($path)", {"path": str(read)}
    ).fetchall()
    names, pending = [], 0  # pending: nested elements still to skip
    for name, children in schema[1:]:  # the first element is the root
        if pending:
            pending += children - 1
            continue
        names.append(name)
        pending = children
    return names


def _plan_parquet(cur: duckdb.DuckDBPyConnection, path: Path, read: Path, table: str) -> FilePlan:
    try:
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE _stg_read AS
            SELECT * FROM read_parquet($path, file_row_number = true)
            """,
            {"path": str(read)},
        )
        names = _parquet_names(cur, read)
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a readable Parquet file ({exc})") from exc
    width = len(cur.execute("DESCRIBE _stg_read").fetchall()) - 1  # minus file_row_number
    if len(names) != width:
        raise DataError(f"{path}: Parquet schema lists {len(names)} columns, DuckDB read {width}")
    mapping, ignored = _header_map(names, table)
    _require_columns(path, table, list(mapping))
    aliases = ", ".join(positional_names(width))
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _stg AS
        SELECT * EXCLUDE (_frn), _frn + 1 AS _line, CAST({_raw_json(width)} AS VARCHAR) AS _raw
        FROM _stg_read AS s({aliases}, _frn)
        """,  # noqa: S608 -- positional names; the file's names are parameters
        _name_params(names),
    )
    cur.execute("DROP TABLE _stg_read")
    return FilePlan(
        [Batch(table, _select(mapping, "_stg"), list(mapping))],
        notes={"ignored_columns": ignored} if ignored else {},
    )


def plan(cur: duckdb.DuckDBPyConnection, path: Path, read: Path | None = None) -> FilePlan:
    """Plan ``path`` (named in messages) read from ``read`` (a UTF-8 copy, or itself)."""
    read = read or path
    table = table_for(path)
    if table is None:
        raise UserError(
            f"{path}: not a canonical table file",
            hint="name files after a table: " + ", ".join(TABLES),
        )
    ext = split_name(path)[1]
    if path.stat().st_size == 0:
        return FilePlan([], notes={"empty_file": True})
    if ext == ".csv":
        return _plan_csv(cur, path, read, table)
    if ext == ".parquet":
        return _plan_parquet(cur, path, read, table)
    return _plan_jsonl(cur, path, read, table)
