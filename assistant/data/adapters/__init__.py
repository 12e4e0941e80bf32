"""Format adapters: each maps one input file into validated batches per table.

An adapter stages the file in DuckDB with DuckDB's own readers and returns a
:class:`FilePlan`: SQL batches per canonical table (validated and upserted by
``assistant.data.validate``) plus the source lines it rejected itself (bad JSON,
wrong column count, a review without a product...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assistant.data.sql import quote_ident
from assistant.data.validate import Batch

# Amazon lines can be long (meta descriptions); DuckDB's default limit is 2 MB.
MAX_LINE_BYTES = 64 * 1024 * 1024

# True when a staged ``line`` holds one JSON object. A CASE, not AND: DuckDB
# evaluates both sides of AND, and json_type fails on malformed text.
JSON_OBJECT_OK = "coalesce(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' END, false)"


@dataclass
class FilePlan:
    """What to load from one file, in load order."""

    batches: list[Batch]
    rejected_sql: str | None = None  # SELECT _line, _raw, _reason of lines rejected up front
    notes: dict = field(default_factory=dict)


def stage_lines(cur: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    """Stage a JSON-lines file (plain or gzip) as ``name(_line, line)``, one row per
    line, keeping blank and malformed lines so they get exact line numbers.

    ``name`` is one of the adapters' own staging-table names, never file data."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"  # also when the name lacks ".gz"
    table = quote_ident(name)
    read = quote_ident(name + "_read")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {read} AS
        SELECT line FROM read_csv(?, columns = {{'line': 'VARCHAR'}},
            header = false, delim = chr(1), quote = '', escape = '', strict_mode = false,
            max_line_size = {MAX_LINE_BYTES:d}, auto_detect = false, null_padding = true,
            compression = ?)
        """,  # noqa: S608 -- staging names are the adapters' constants, quoted; the path is a parameter
        [str(path), "gzip" if gzipped else "none"],
    )
    # The CTAS above preserves file order, so rowids count lines (inside a transaction
    # they start at a large offset, hence the subtraction).
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT rowid - min(rowid) OVER () + 1 AS _line, line FROM {read}
    """)  # noqa: S608 -- staging names are the adapters' constants, quoted
    cur.execute(f"DROP TABLE {read}")
