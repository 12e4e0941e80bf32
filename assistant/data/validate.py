"""Validate one batch of rows for one table in SQL and upsert the good ones.

A batch is a SELECT (built by an adapter) that yields the table's columns under
their canonical names, as text or already typed, plus ``_line`` (source line
number) and ``_raw`` (the source row as text). Every check runs as set-based SQL
inside DuckDB so large files never loop row by row in Python:

1. types, required fields, ranges and allowed values -> a reason per row;
2. foreign keys against the store (parents are loaded first, in the same or an
   earlier transaction, so the store already holds this run's parents);
3. duplicate keys: identical duplicates collapse to one row, conflicting ones
   are all rejected because we cannot know which is right;
4. upsert by key, counting inserted / updated / unchanged rows and which fields
   changed. An update only writes the fields a row gives: a column missing from
   the file, a key missing from a JSON record, an empty CSV cell or a Parquet null
   leaves the stored value alone. Only an explicit JSON ``null`` (or ``""``) under
   a key the record has clears a stored field.

Every identifier in this SQL is a canonical schema name (quoted) or a constant;
values from files only ever arrive as columns of the staged batch or parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb

from assistant.data.schema import EVENT_TYPES, ORDER_STATUSES, TABLES, Table
from assistant.data.sql import quote_ident

# child column -> parent table (the parent's key has the same name).
FOREIGN_KEYS: dict[str, list[tuple[str, str]]] = {
    "orders": [("customer_id", "customers")],
    "order_items": [("order_id", "orders"), ("product_id", "products")],
    "reviews": [("product_id", "products"), ("customer_id", "customers")],
    "tickets": [("customer_id", "customers"), ("order_id", "orders")],
    "events": [("customer_id", "customers"), ("product_id", "products")],
}

# Parents before children, so foreign keys can be checked against the store.
LOAD_ORDER = ["products", "customers", "orders", "order_items", "events", "reviews", "tickets"]


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# (column, SQL condition that must hold when the value is present, message)
RANGE_CHECKS: dict[str, list[tuple[str, str, str]]] = {
    "products": [("price", "price >= 0", "price must be >= 0")],
    "orders": [
        ("total", "total >= 0", "total must be >= 0"),
        (
            "status",
            f"status IN ({_in_list(ORDER_STATUSES)})",
            "status must be one of " + "/".join(ORDER_STATUSES),
        ),
    ],
    "order_items": [
        ("quantity", "quantity > 0", "quantity must be > 0"),
        ("unit_price", "unit_price >= 0", "unit_price must be >= 0"),
    ],
    "events": [
        (
            "event_type",
            f"event_type IN ({_in_list(EVENT_TYPES)})",
            "event_type must be one of " + "/".join(EVENT_TYPES),
        ),
    ],
    "reviews": [
        ("rating", "rating BETWEEN 1 AND 5", "rating must be 1-5"),
        ("helpful_votes", "helpful_votes >= 0", "helpful_votes must be >= 0"),
    ],
}

# Columns compared case-insensitively: "Completed" is the same status as "completed".
LOWERCASED = {("orders", "status"), ("events", "event_type")}
# Blank values become NULL, except a review's text: a rating without words is
# still a review, stored with empty text.
KEEP_BLANK = {("reviews", "text")}
# Longest accepted value, in characters: (table, column) -> (Limits field, setting).
LENGTH_LIMITS = {("reviews", "text"): ("max_review_chars", "INSIGHT_MAX_REVIEW_CHARS")}


@dataclass(frozen=True)
class Limits:
    """Size limits from the settings, checked per row like any other rule."""

    max_review_chars: int


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    duplicates_collapsed: int = 0
    conflicting_duplicates: int = 0
    # column -> how many stored rows this ingest changed in that column
    changed_fields: dict[str, int] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def add(self, other: TableCounts) -> None:
        for name, value in asdict(other).items():
            if name == "changed_fields":
                for col, n in value.items():
                    self.changed_fields[col] = self.changed_fields.get(col, 0) + n
            else:
                setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict:
        return asdict(self) | {"loaded": self.loaded}


@dataclass
class Batch:
    """Rows for one table. ``provided`` are the columns the source really has;
    others are left as they are in the store on update (NULL on insert).

    ``sql`` may use named parameters (``$name``), given in ``params``. For each
    column in ``explicit`` it also yields a boolean ``_x_<column>``: the row states
    this column itself, so even a null/empty value is meant and is written."""

    table: str
    sql: str
    provided: list[str]
    report_duplicates: bool = True
    insert_only: bool = False  # stubs (id-only products): never overwrite what is stored
    params: dict[str, object] = field(default_factory=dict)
    explicit: list[str] = field(default_factory=list)
    bad_rows: list[dict] = field(default_factory=list)


_q = quote_ident


def _text_expr(table: str, col: str, provided: set[str]) -> str:
    if col not in provided:
        return "CAST(NULL AS VARCHAR)"
    raw = f"CAST({_q(col)} AS VARCHAR)"
    if (table, col) in LOWERCASED:
        raw = f"lower(trim({raw}))"
    elif col.endswith("_id"):
        raw = f"trim({raw})"  # " C1" and "C1" are the same customer
    if (table, col) in KEEP_BLANK:
        return raw
    return f"CASE WHEN trim({raw}) = '' THEN NULL ELSE {raw} END"


def _event_id_expr(provided: set[str]) -> str:
    """Events may come without ids: derive one from the row's own fields."""
    parts = [
        _text_expr("events", c, provided)
        for c in ("customer_id", "product_id", "event_type", "at", "query")
    ]
    derived = (
        "'E' || substr(md5(concat_ws('|', "
        + ", ".join(f"coalesce({p}, '')" for p in parts)
        + ")), 1, 16)"
    )
    return f"coalesce({_text_expr('events', 'event_id', provided)}, {derived})"


# A time with an explicit offset ("...T12:00:00+02:00", "...Z") is converted to UTC;
# a plain cast would silently drop the offset. Times without one are taken as UTC.
_OFFSET = r"'[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'"


def _typed(col_type: str, v: str) -> str:
    if col_type == "INTEGER":
        return f"TRY_CAST(TRY_CAST({v} AS DOUBLE) AS INTEGER)"
    if col_type == "TIMESTAMP":
        return (
            f"CASE WHEN regexp_matches({v}, {_OFFSET}) "
            f"THEN timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ)) "
            f"ELSE TRY_CAST({v} AS TIMESTAMP) END"
        )
    return f"TRY_CAST({v} AS {col_type})"


def _type_ok(col_type: str, v: str) -> str:
    if col_type == "INTEGER":
        d = f"TRY_CAST({v} AS DOUBLE)"
        return f"({d} IS NOT NULL AND {d} = round({d}) AND abs({d}) < 2147483647)"
    if col_type == "DOUBLE":
        d = f"TRY_CAST({v} AS DOUBLE)"
        return f"({d} IS NOT NULL AND isfinite({d}))"
    return f"{_typed(col_type, v)} IS NOT NULL"


_KIND = {
    "INTEGER": "whole number",
    "DOUBLE": "number",
    "TIMESTAMP": "date/time",
    "BOOLEAN": "true/false",
    "VARCHAR": "text",
}


def _check_sql(table: Table, batch: Batch, name: str, limits: Limits) -> tuple[str, dict]:
    provided = set(batch.provided)
    params = dict(batch.params)
    flags = [_q("_x_" + c) for c in batch.explicit]
    inner = []
    for col in table.columns:
        if table.name == "events" and col.name == "event_id":
            inner.append(f"{_event_id_expr(provided)} AS {_q('v_' + col.name)}")
        else:
            inner.append(f"{_text_expr(table.name, col.name, provided)} AS {_q('v_' + col.name)}")
    typed, reasons = [], []
    for col in table.columns:
        v = _q("v_" + col.name)
        typed.append(f"{_typed(col.type, v)} AS {_q(col.name)}")
        if col.required:
            reasons.append(f"CASE WHEN {v} IS NULL THEN 'missing {col.name}' END")
        if col.type != "VARCHAR":
            reasons.append(
                f"CASE WHEN {v} IS NOT NULL AND NOT {_type_ok(col.type, v)} THEN "
                f"'{col.name} is not a valid {_KIND[col.type]}: ' || left({v}, 60) END"
            )
    for col, cond, message in RANGE_CHECKS.get(table.name, []):
        c = table.column(col)
        v = _q("v_" + col)
        cond_typed = cond.replace(col, _typed(c.type, v), 1)
        reasons.append(
            f"CASE WHEN {v} IS NOT NULL AND {_type_ok(c.type, v)} AND NOT ({cond_typed}) "
            f"THEN '{message} (got ' || left({v}, 60) || ')' END"
        )
    for (tname, col), (limit, setting) in LENGTH_LIMITS.items():
        if tname != table.name or col not in provided:
            continue
        v = _q("v_" + col)
        params[limit] = getattr(limits, limit)
        reasons.append(
            f"CASE WHEN length({v}) > ${limit} THEN '{col} is ' || length({v}) || "
            f"' characters, over the limit of ' || ${limit} || ' ({setting})' END"
        )
    carried = "".join(f", {f}" for f in flags)
    sql = f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT {", ".join(typed)}{carried}, _line, _raw,
               NULLIF(concat_ws('; ', {", ".join(reasons)}), '') AS _reason,
               false AS _dup
        FROM (SELECT {", ".join(inner)}{carried}, CAST(_line AS BIGINT) AS _line,
                     CAST(_raw AS VARCHAR) AS _raw
              FROM ({batch.sql}))
    """  # noqa: S608 -- canonical names and constants only; file values are columns or parameters
    return sql, params


def _mark_foreign_keys(cur: duckdb.DuckDBPyConnection, table: str, name: str) -> None:
    for col, parent in FOREIGN_KEYS.get(table, []):
        cur.execute(f"""
            UPDATE {name} SET _reason = concat_ws('; ', _reason,
                'unknown {col} ' || {_q(col)} || ' (not in {parent})')
            WHERE {_q(col)} IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {_q(parent)} p WHERE p.{_q(col)} = {name}.{_q(col)})
        """)  # noqa: S608 -- schema constants, quoted


def _mark_duplicates(cur: duckdb.DuckDBPyConnection, table: Table, name: str) -> None:
    key = ", ".join(_q(k) for k in table.key)
    match = " AND ".join(f"d.{_q(k)} = {name}.{_q(k)}" for k in table.key)
    fingerprint = (
        "md5(CAST(to_json(struct_pack("
        + ", ".join(f"{_q(c)} := n.{_q(c)}" for c in table.column_names)
        + ")) AS VARCHAR))"
    )
    # Fingerprint only the rows whose key repeats: hashing every row is the slow part.
    join = " AND ".join(f"m.{_q(k)} = n.{_q(k)}" for k in table.key)
    cur.execute(f"""
        UPDATE {name} SET _reason = 'conflicting duplicate of key ' || d.key_text
            || ' (lines ' || d.lines || ')'
        FROM (WITH m AS (SELECT {key} FROM {name} WHERE _reason IS NULL
                         GROUP BY {key} HAVING count(*) > 1)
              SELECT {", ".join("n." + _q(k) for k in table.key)},
                     concat_ws('/', {", ".join("n." + _q(k) for k in table.key)}) AS key_text,
                     string_agg(CAST(n._line AS VARCHAR), ', ' ORDER BY n._line) AS lines
              FROM {name} n JOIN m ON {join} WHERE n._reason IS NULL
              GROUP BY ALL HAVING count(DISTINCT {fingerprint}) > 1) d
        WHERE {match} AND {name}._reason IS NULL
    """)  # noqa: S608 -- schema constants, quoted
    cur.execute(f"""
        UPDATE {name} SET _dup = true
        FROM (SELECT {key}, min(_line) AS first_line FROM {name} WHERE _reason IS NULL
              GROUP BY {key} HAVING count(*) > 1) d
        WHERE {match} AND {name}._reason IS NULL AND {name}._line > d.first_line
    """)  # noqa: S608 -- schema constants, quoted


def _given(table: str, col: str, explicit: set[str]) -> str:
    """SQL: staged row ``s`` gives a value for ``col``, so an update may write it."""
    v = f"s.{_q(col)}"
    # coalesce: a NULL here would count the row as neither updated nor unchanged
    given = (
        f"coalesce(trim({v}) <> '', false)" if (table, col) in KEEP_BLANK else f"({v} IS NOT NULL)"
    )
    if col in explicit:
        given = f"({given} OR s.{_q('_x_' + col)})"
    return given


def load_batch(cur: duckdb.DuckDBPyConnection, batch: Batch, limits: Limits) -> TableCounts:
    """Validate ``batch`` and upsert its good rows; bad rows land in ``batch.bad_rows``."""
    table = TABLES[batch.table]
    name = _q(f"_chk_{table.name}")
    cur.execute(*_check_sql(table, batch, name, limits))
    _mark_foreign_keys(cur, table.name, name)
    _mark_duplicates(cur, table, name)

    counts = TableCounts()
    key_cols = list(table.key)
    cols = [c for c in table.column_names if c in batch.provided or c in key_cols]
    if table.name == "events" and "event_id" not in cols:
        cols.insert(0, "event_id")
    updatable = [] if batch.insert_only else [c for c in cols if c not in key_cols]
    target = _q(table.name)
    join = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key_cols)
    explicit = set(batch.explicit)
    given = {c: _given(table.name, c, explicit) for c in updatable}
    changed = {c: f"({given[c]} AND s.{_q(c)} IS DISTINCT FROM t.{_q(c)})" for c in updatable}
    differs = " OR ".join(changed.values()) or "false"
    missing = f"t.{_q(key_cols[0])} IS NULL"
    good = f"(SELECT * FROM {name} WHERE _reason IS NULL AND NOT _dup)"  # noqa: S608 -- constant name
    per_field = "".join(
        f", count(*) FILTER (WHERE NOT {missing} AND {changed[c]})" for c in updatable
    )
    row = cur.execute(f"""
        SELECT count(*) FILTER (WHERE {missing}),
               count(*) FILTER (WHERE NOT {missing} AND ({differs})),
               count(*) FILTER (WHERE NOT {missing} AND NOT ({differs})){per_field}
        FROM {good} s LEFT JOIN {target} t ON {join}
    """).fetchone()  # noqa: S608 -- canonical names and constants only
    inserted, updated, unchanged = row[:3]
    if batch.insert_only:
        unchanged = 0  # stubs that already exist are references, not loaded rows
    counts.inserted, counts.updated, counts.unchanged = inserted, updated, unchanged
    counts.changed_fields = {c: n for c, n in zip(updatable, row[3:], strict=True) if n}

    col_list = ", ".join(_q(c) for c in cols)
    # A stored row keeps every field this row does not give (see the module docstring).
    values = [
        f"CASE WHEN {missing} OR {given[c]} THEN s.{_q(c)} ELSE t.{_q(c)} END"
        if c in given
        else f"s.{_q(c)}"
        for c in cols
    ]
    on_conflict = (
        "DO UPDATE SET " + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in updatable)
        if updatable
        else "DO NOTHING"
    )
    if inserted or updated:
        cur.execute(f"""
            INSERT INTO {target} ({col_list})
            SELECT {", ".join(values)}
            FROM {good} s LEFT JOIN {target} t ON {join}
            WHERE {missing} OR ({differs})
            ON CONFLICT ({", ".join(_q(k) for k in key_cols)}) {on_conflict}
        """)  # noqa: S608 -- canonical names and constants only

    stats = cur.execute(f"""
        SELECT count(*) FILTER (WHERE _reason IS NOT NULL),
               count(*) FILTER (WHERE _dup),
               count(*) FILTER (WHERE _reason LIKE 'conflicting duplicate%')
        FROM {name}
    """).fetchone()  # noqa: S608 -- constant name
    counts.quarantined = stats[0]
    if batch.report_duplicates:
        counts.duplicates_collapsed, counts.conflicting_duplicates = stats[1], stats[2]
    batch.bad_rows = [
        {"line": line, "raw": raw, "reason": reason}
        for line, raw, reason in cur.execute(
            f"SELECT _line, _raw, _reason FROM {name} WHERE _reason IS NOT NULL ORDER BY _line"  # noqa: S608 -- constant name
        ).fetchall()
    ]
    cur.execute(f"DROP TABLE {name}")
    return counts
