"""Tell which format a file is in from its contents (field names of the first
records) or, for canonical files, from its name."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from assistant.data.adapters.canonical import SUFFIXES, split_name, table_for
from assistant.data.schema import TABLES
from assistant.data.validate import LOAD_ORDER
from assistant.errors import UserError

FORMATS = ("auto", "canonical", "amazon2023", "amazon2018")
PEEK_LINES = 50


@dataclass(frozen=True)
class Source:
    path: Path
    format: str  # canonical | amazon2023 | amazon2018
    kind: str  # canonical: the table; amazon: "reviews" or "meta"

    @property
    def load_rank(self) -> tuple[int, int]:
        if self.format == "canonical":
            return (0, LOAD_ORDER.index(self.kind))
        return (1, 0 if self.kind == "meta" else 1)  # products (meta) before reviews


def _open_text(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def first_record_keys(path: Path) -> set[str] | None:
    """Keys of the first JSON object among the first lines, or None if there is none."""
    try:
        with _open_text(path) as fh:
            for _, line in zip(range(PEEK_LINES), fh, strict=False):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    return set(record)
    except (OSError, EOFError, UnicodeError):
        return None
    return None


def _amazon_kind(keys: set[str]) -> tuple[str, str] | None:
    if {"reviewerID", "asin"} <= keys and "overall" in keys:
        return ("amazon2018", "reviews")
    if {"user_id", "rating"} <= keys and ({"asin", "parent_asin"} & keys):
        return ("amazon2023", "reviews")
    if (
        "parent_asin" in keys
        and "rating" not in keys
        and ({"main_category", "categories", "store", "details"} & keys)
    ):
        return ("amazon2023", "meta")
    return None


def detect(path: Path, fmt: str = "auto") -> Source:
    """The format and role of one file; a clear error when it cannot be told."""
    ext = split_name(path)[1]
    keys = first_record_keys(path) if ext not in (".csv", ".parquet") else None
    amazon = _amazon_kind(keys) if keys else None
    table = table_for(path)
    if fmt in ("auto", "amazon2023", "amazon2018") and amazon and fmt in ("auto", amazon[0]):
        return Source(path, *amazon)
    if fmt in ("auto", "canonical") and table:
        return Source(path, "canonical", table)
    if fmt == "amazon2018":
        raise UserError(
            f"{path}: not Amazon Reviews 2018 JSON lines",
            hint="expected records with reviewerID, asin, overall",
        )
    if fmt == "amazon2023":
        raise UserError(
            f"{path}: not an Amazon Reviews 2023 reviews or meta file",
            hint="reviews need user_id, asin/parent_asin, rating; meta needs parent_asin",
        )
    if fmt == "canonical":
        raise UserError(
            f"{path}: not a canonical table file",
            hint="name files after a table ("
            + ", ".join(TABLES)
            + ") with extension "
            + "/".join(SUFFIXES),
        )
    raise UserError(
        f"cannot tell the format of {path}",
        hint="canonical files are named after a table (" + ", ".join(TABLES) + "); Amazon "
        "review files are recognised by their fields; or pass --format",
    )


def expand(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to ingest (folders expanded, sorted) and files in folders we skip
    because they are not data files (README, manifests...)."""
    files, skipped = [], []
    for path in paths:
        if not path.exists():
            raise UserError(f"no such file or folder: {path}")
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(".") or not child.is_file():
                    continue
                if split_name(child)[1] in SUFFIXES:
                    files.append(child)
                else:
                    skipped.append(child)
        else:
            files.append(path)
    if not files:
        raise UserError("no data files to ingest in " + ", ".join(str(p) for p in paths))
    return files, skipped


def detect_all(paths: list[Path], fmt: str = "auto") -> tuple[list[Source], list[Path]]:
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}", hint="one of " + ", ".join(FORMATS))
    files, skipped = expand(paths)
    sources = [detect(p, fmt) for p in files]
    return sorted(sources, key=lambda s: s.load_rank), skipped
