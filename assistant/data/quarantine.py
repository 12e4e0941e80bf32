"""The quarantine: rejected input rows, one JSONL file per ingest run inside the
workspace, each line {source, line, raw, reason}. Nothing is dropped silently.
A raw row longer than MAX_RAW_CHARS is cut, with its full length in ``raw_chars``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

MAX_RAW_CHARS = 10_000


class Quarantine:
    """Created lazily: a run without bad rows leaves no file behind."""

    def __init__(self, directory: Path, source_label: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        label = re.sub(r"[^A-Za-z0-9._-]+", "_", source_label)[:60] or "input"
        self.path = directory / f"{label}-{stamp}.jsonl"
        self.count = 0

    def write(self, source: Path, rows: list[dict]) -> None:
        if not rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            for row in rows:
                raw = row["raw"]
                record = {
                    "source": str(source),
                    "line": row["line"],
                    "raw": raw,
                    "reason": row["reason"],
                }
                if raw is not None and len(raw) > MAX_RAW_CHARS:
                    # The line number finds the whole row in the source; a copy of a
                    # 50 MB line here would only make the quarantine unreadable.
                    record["raw"] = raw[:MAX_RAW_CHARS]
                    record["raw_chars"] = len(raw)
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += len(rows)

    @property
    def written(self) -> Path | None:
        return self.path if self.count else None


def read_quarantine(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
