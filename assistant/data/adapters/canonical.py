"""Canonical files: one file per table, named after it (products.csv,
reviews.jsonl, orders.parquet, optionally gzip-compressed), columns named as in
``assistant.data.schema``. Read with DuckDB's native readers, all values as
text, so validation (not the reader) decides what is malformed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assistant.data.adapters import MAX_LINE_BYTES, FilePlan, sql_str, stage_lines
from assistant.data.schema import TABLES
from assistant.data.validate import Batch
from assistant.errors import UserError

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


def _header_map(columns: list[str], table: str) -> tuple[dict[str, str], list[str]]:
    """canonical column -> source column; plus the source columns we ignore."""
    known = set(TABLES[table].column_names)
    mapping, ignored = {}, []
    for col in columns:
        norm = col.strip().lower()
        if norm in known and norm not in mapping:
            mapping[norm] = col
        else:
            ignored.append(col)
    return mapping, ignored


def _select(mapping: dict[str, str], source: str) -> str:
    cols = ", ".join(f'"{src}" AS "{canon}"' for canon, src in mapping.items())
    return f"SELECT {cols}, _line, _raw FROM {source}"


def _plan_csv(cur: duckdb.DuckDBPyConnection, path: Path, table: str) -> FilePlan:
    cur.execute("DROP TABLE IF EXISTS _csv_rejects")
    cur.execute("DROP TABLE IF EXISTS _csv_scans")
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _stg_read AS
        SELECT * FROM read_csv({sql_str(path)}, header = true, all_varchar = true,
            store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans',
            max_line_size = {MAX_LINE_BYTES})
    """)
    columns = [r[0] for r in cur.execute("DESCRIBE _stg_read").fetchall()]
    mapping, ignored = _header_map(columns, table)
    _require_columns(path, table, list(mapping))
    # Rejected lines are skipped by the reader, so a good record's line is its
    # position plus the header plus the rejected lines before it (one line per record).
    raw = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + "))"
    # A rejected line with g good records before it shifts every later record by one.
    has_rejects = cur.execute("SELECT count(*) FROM _csv_rejects").fetchone()[0] > 0
    shift = "(SELECT count(*) FROM rej WHERE rej.g < r._n)" if has_rejects else "0"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _stg AS
        WITH rej AS (SELECT line, line - 1 - row_number() OVER (ORDER BY line) AS g
                     FROM (SELECT DISTINCT line FROM _csv_rejects)),
             r AS (SELECT *, rowid - min(rowid) OVER () + 1 AS _n FROM _stg_read)
        SELECT r.* EXCLUDE (_n), CAST({raw} AS VARCHAR) AS _raw,
               r._n + 1 + {shift} AS _line
        FROM r
    """)
    cur.execute("DROP TABLE _stg_read")
    rejected = """SELECT line AS _line, csv_line AS _raw,
                         'malformed CSV line: ' || error_message AS _reason
                  FROM (SELECT DISTINCT ON (line) * FROM _csv_rejects ORDER BY line)"""
    return FilePlan(
        [Batch(table, _select(mapping, "_stg"), list(mapping))],
        rejected_sql=rejected,
        notes={"ignored_columns": ignored} if ignored else {},
    )


def _plan_jsonl(cur: duckdb.DuckDBPyConnection, path: Path, table: str) -> FilePlan:
    stage_lines(cur, path, "_lines")
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE _stg_json AS
        SELECT _line, line AS _raw,
               CASE WHEN NOT json_valid(line) THEN 'malformed JSON'
                    WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' END AS _reason
        FROM _lines WHERE line IS NOT NULL AND trim(line) <> ''
    """)
    cur.execute("DROP TABLE _lines")
    keys = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT unnest(json_keys(_raw)) FROM _stg_json WHERE _reason IS NULL"
        ).fetchall()
    ]
    rejected = "SELECT _line, _raw, _reason FROM _stg_json WHERE _reason IS NOT NULL"
    if not keys:  # only blank or malformed lines: nothing to load, the bad ones are quarantined
        return FilePlan([], rejected_sql=rejected)
    mapping, ignored = _header_map(keys, table)
    _require_columns(path, table, list(mapping))
    fields = ", ".join(
        f"""json_extract_string(_raw, '$."{src}"') AS "{canon}\""""
        for canon, src in mapping.items()
    )
    sql = f"SELECT {fields}, _line, _raw FROM _stg_json WHERE _reason IS NULL"
    return FilePlan(
        [Batch(table, sql, list(mapping))],
        rejected_sql=rejected,
        notes={"ignored_columns": sorted(ignored)} if ignored else {},
    )


def _plan_parquet(cur: duckdb.DuckDBPyConnection, path: Path, table: str) -> FilePlan:
    try:
        cur.execute(f"""
            CREATE OR REPLACE TEMP TABLE _stg_read AS
            SELECT * FROM read_parquet({sql_str(path)}, file_row_number = true)
        """)
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a readable Parquet file ({exc})") from exc
    columns = [
        r[0] for r in cur.execute("DESCRIBE _stg_read").fetchall() if r[0] != "file_row_number"
    ]
    mapping, ignored = _header_map(columns, table)
    _require_columns(path, table, list(mapping))
    raw = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + "))"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE _stg AS
        SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line,
               CAST({raw} AS VARCHAR) AS _raw
        FROM _stg_read
    """)
    cur.execute("DROP TABLE _stg_read")
    return FilePlan(
        [Batch(table, _select(mapping, "_stg"), list(mapping))],
        notes={"ignored_columns": ignored} if ignored else {},
    )


def plan(cur: duckdb.DuckDBPyConnection, path: Path) -> FilePlan:
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
        return _plan_csv(cur, path, table)
    if ext == ".parquet":
        return _plan_parquet(cur, path, table)
    return _plan_jsonl(cur, path, table)
