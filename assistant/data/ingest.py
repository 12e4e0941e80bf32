"""Ingest files into the workspace store: detect the format, validate every row,
upsert the good ones, quarantine the bad ones.

Each file is loaded in one transaction: a crash or Ctrl-C mid-file leaves the
store exactly as it was before that file. Re-ingesting the same input changes
nothing (upsert by key; the counts say "unchanged").
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import duckdb

from assistant.data import encoding
from assistant.data.adapters import FilePlan, canonical
from assistant.data.adapters.canonical import split_name
from assistant.data.adapters.detect import Source, detect_all
from assistant.data.quarantine import Quarantine
from assistant.data.validate import LOAD_ORDER, Limits, TableCounts, load_batch
from assistant.errors import DataError, UserError

# Called with the name of each step inside a file's transaction. Tests set it to
# interrupt an ingest mid-file; it is None in normal runs.
checkpoint: Callable[[str], None] | None = None


@dataclass
class FileReport:
    path: str
    format: str
    kind: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    quarantined: int = 0
    notes: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "kind": self.kind,
            "tables": {t: c.to_dict() for t, c in self.tables.items()},
            "quarantined": self.quarantined,
            "notes": self.notes,
        }


@dataclass
class IngestReport:
    detected_format: str
    tables: dict[str, TableCounts]
    quarantined: int
    quarantine_path: Path | None
    files: list[FileReport]
    skipped: list[str] = field(default_factory=list)

    @property
    def files_processed(self) -> int:
        return len(self.files)

    def loaded(self, table: str) -> int:
        return self.tables[table].loaded if table in self.tables else 0

    def to_dict(self) -> dict:
        return {
            "detected_format": self.detected_format,
            "files_processed": self.files_processed,
            "tables": {t: c.to_dict() for t, c in self.tables.items()},
            "quarantined": self.quarantined,
            "quarantine_path": str(self.quarantine_path) if self.quarantine_path else None,
            "files": [f.to_dict() for f in self.files],
            "skipped": self.skipped,
        }


def _planner(source: Source) -> Callable[..., FilePlan]:
    if source.format == "canonical":
        return canonical.plan
    module = import_module(f"assistant.data.adapters.{source.format}")
    return getattr(module, f"plan_{source.kind}")


def _step(name: str) -> None:
    if checkpoint is not None:
        checkpoint(name)


def _ingest_file(
    cur: duckdb.DuckDBPyConnection, source: Source, limits: Limits, on_step
) -> tuple[FileReport, list[dict]]:
    report = FileReport(str(source.path), source.format, source.kind)
    ext = split_name(source.path)[1]
    with tempfile.TemporaryDirectory(prefix="insight-ingest-") as workdir:
        prepared = (
            encoding.Prepared(source.path)
            if ext == ".parquet"
            else encoding.prepare(source.path, Path(workdir), line_based=ext != ".csv")
        )
        report.notes.update(prepared.notes)
        bad = list(prepared.rejected)
        _load_file(cur, source, prepared.path, limits, on_step, report, bad)
    bad.sort(key=lambda r: r["line"] if r["line"] is not None else -1)
    report.quarantined = len(bad)
    return report, bad


def _load_file(cur, source: Source, read: Path, limits: Limits, on_step, report, bad) -> None:
    """Plan, validate and upsert one file in one transaction."""
    cur.execute("BEGIN TRANSACTION")
    try:
        on_step("reading", 0.0)
        plan = _planner(source)(cur, source.path, read)
        steps = 1 + len(plan.batches)  # reading, then one step per table
        report.notes.update(plan.notes)
        if plan.rejected_sql:
            bad += [
                {"line": line, "raw": raw, "reason": reason}
                for line, raw, reason in cur.execute(plan.rejected_sql).fetchall()
            ]
        _step("staged")
        for i, batch in enumerate(plan.batches, start=1):
            on_step(f"loading {batch.table}", i / steps)
            counts = load_batch(cur, batch, limits)
            report.tables.setdefault(batch.table, TableCounts()).add(counts)
            bad += batch.bad_rows
            _step(f"loaded {batch.table}")
        on_step("committing", 1.0)
        cur.execute("COMMIT")
    except BaseException as exc:
        cur.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise DataError(f"{source.path}: could not be loaded ({exc})") from exc
        raise


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[str, int], None]]:
    """A bar over the input bytes on stderr, advanced as each file's tables load;
    silent when stderr is not a terminal or ``enabled`` is false."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda _desc, _advance=0: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=total)

        def update(desc: str, advance: int = 0) -> None:
            bar.update(task, description=desc, advance=advance)

        yield update


def ingest_paths(
    ws, paths: list[Path | str], fmt: str = "auto", progress: bool = True
) -> IngestReport:
    """Ingest files or folders into ``ws``; see the module docstring for guarantees."""
    if not paths:
        raise UserError("nothing to ingest", hint="give one or more files or folders")
    if ws.read_only:
        raise UserError("the workspace is open read-only; cannot ingest")
    sources, skipped = detect_all([Path(p) for p in paths], fmt)
    formats = sorted({s.format for s in sources})
    label = Path(paths[0]).name if len(paths) == 1 else f"{Path(paths[0]).name}-and-more"
    quarantine = Quarantine(ws.settings.quarantine_dir, label)
    totals: dict[str, TableCounts] = {}
    reports: list[FileReport] = []
    cur = ws.cursor()
    limits = Limits(max_review_chars=ws.settings.max_review_chars)
    with _progress(progress, sum(s.path.stat().st_size for s in sources)) as update:
        for source in sources:
            name, size = source.path.name, source.path.stat().st_size
            shown = [0]  # bytes of this file already shown as done

            def on_step(step: str, done: float, name=name, size=size, shown=shown) -> None:
                advance = int(size * done) - shown[0]
                shown[0] += advance
                update(f"{name}: {step}", advance)

            file_report, bad = _ingest_file(cur, source, limits, on_step)
            quarantine.write(source.path, bad)
            reports.append(file_report)
            for table, counts in file_report.tables.items():
                totals.setdefault(table, TableCounts()).add(counts)
    ordered = {t: totals[t] for t in LOAD_ORDER if t in totals}
    return IngestReport(
        detected_format=formats[0] if len(formats) == 1 else "mixed (" + ", ".join(formats) + ")",
        tables=ordered,
        quarantined=quarantine.count,
        quarantine_path=quarantine.written,
        files=reports,
        skipped=[str(p) for p in skipped],
    )
