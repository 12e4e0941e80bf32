"""CSV files meant for a spreadsheet, written so no cell runs as a formula.

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``,
``-`` or ``@`` as a formula (tab and carriage return are stripped first by some
of them), and a formula can fetch URLs or run commands. Shop data is written by
customers (names, review text, ids from a feed), so every text cell that starts
with one of those gets a leading ``'``, which spreadsheets show as text and do
not evaluate. Numbers are written as they are: ``-3`` stays a number.

Every CSV the product hands to people goes through here. CSV files written as
input for ``insight ingest`` (the demo shop's source files, benchmark inputs) do
not: they are read back by the ingest, which must see the values unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell passed through ``safe_cell``."""

    def __init__(self, fh: IO[str], **fmtparams) -> None:
        self._writer = csv.writer(fh, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_table(
    fh: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]]
) -> int:
    """A header and one line per row (a mapping by column name, or a sequence in
    column order); returns the number of rows written."""
    writer = SafeWriter(fh)
    writer.writerow(columns)
    count = 0
    for row in rows:
        if isinstance(row, Mapping):
            extra = set(row) - set(columns)
            if extra:
                raise ValueError(f"row {count + 1} has fields not in the columns: {sorted(extra)}")
            row = [row.get(c) for c in columns]
        writer.writerow(row)
        count += 1
    return count
