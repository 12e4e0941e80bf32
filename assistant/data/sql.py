"""The one way a name reaches ingest SQL.

Column names and keys read from a file are data: they are never formatted into
SQL. Staged files get positional column names we choose (``c0``, ``c1``...), file
keys travel as parameters, and the identifiers that do appear in SQL are the
canonical schema names, quoted here so even those cannot break out.
"""

from __future__ import annotations

from assistant.errors import DataError


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB quoted identifier (embedded ``"`` doubled).

    NUL and line breaks are refused rather than quoted: DuckDB truncates at NUL,
    and no canonical name contains either, so their presence means a bug upstream.
    """
    if not name or any(ch in name for ch in "\x00\n\r"):
        raise DataError(f"refusing to use {name!r} as an SQL identifier")
    return '"' + name.replace('"', '""') + '"'


def positional_names(count: int) -> list[str]:
    """Column names for a staged file with ``count`` columns, in file order."""
    return [f"c{i}" for i in range(count)]


def json_pointer(key: str) -> str:
    """RFC 6901 pointer to the top-level ``key`` of a JSON object, for use as a
    parameter of DuckDB's json functions (quotes need no escaping there)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
