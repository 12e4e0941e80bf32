"""`insight doctor`: is the workspace whole, and do its parts agree?

Checks the store, the sentiment labels, the review index (present, openable,
searchable, built with our embedding model, and holding exactly the store's
reviews with their current text), the recommender and the writer lock. Each check
says what it found, with counts, and how to fix what is wrong. Nothing is
changed: a missing index directory is reported, not created.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from assistant.config import Settings
from assistant.errors import InsightError
from assistant.workspace import Workspace

Status = Literal["ok", "warn", "error"]
REBUILD_HINT = "run `insight index --rebuild`"


@dataclass
class Check:
    name: str
    status: Status
    message: str
    hint: str | None = None
    counts: dict = field(default_factory=dict)


@dataclass
class DoctorReport:
    data_dir: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != "error" for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict:
        return {
            "data_dir": self.data_dir,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
        }


def _store(settings: Settings) -> tuple[Check, Workspace | None]:
    if not settings.store_path.exists():
        return Check(
            "store",
            "error",
            f"no store at {settings.store_path}",
            "run `insight demo` or `insight ingest PATH`",
        ), None
    try:
        ws = Workspace.open(settings.data_dir, read_only=True, settings=settings)
        counts = ws.table_counts()
    except InsightError as exc:
        return Check("store", "error", exc.message, exc.hint), None
    except Exception as exc:  # noqa: BLE001 - a damaged DuckDB file raises many types
        return Check(
            "store",
            "error",
            f"cannot read the store {settings.store_path}: {exc}",
            "restore it from a backup or ingest the source data again",
        ), None
    status: Status = "ok" if counts.get("reviews") or counts.get("orders") else "warn"
    total = sum(counts.values())
    message = f"{total:,} rows in {len(counts)} tables"
    hint = None if status == "ok" else "the store is empty: ingest data first"
    return Check("store", status, message, hint, counts), ws


def _sentiment(ws: Workspace) -> Check:
    cur = ws.cursor()
    reviews = cur.execute("SELECT count(*) FROM reviews").fetchone()[0]
    unlabelled = cur.execute(
        "SELECT count(*) FROM reviews r ANTI JOIN review_sentiment s USING (review_id)"
    ).fetchone()[0]
    orphans = cur.execute(
        "SELECT count(*) FROM review_sentiment s ANTI JOIN reviews r USING (review_id)"
    ).fetchone()[0]
    counts = {"reviews": reviews, "unlabelled": unlabelled, "labels_without_review": orphans}
    if unlabelled or orphans:
        return Check(
            "sentiment",
            "warn",
            f"{unlabelled:,} of {reviews:,} reviews have no sentiment label"
            + (f", {orphans:,} labels belong to deleted reviews" if orphans else ""),
            "run `insight index`",
            counts,
        )
    return Check("sentiment", "ok", f"all {reviews:,} reviews labelled", None, counts)


def _open_index(ws: Workspace):
    """The review index, without creating anything: a missing directory is an error."""
    settings = ws.settings
    if not settings.chroma_host and not settings.index_dir.is_dir():
        return None, Check(
            "index",
            "error",
            f"the review index directory {settings.index_dir} is missing",
            REBUILD_HINT,
        )
    if not settings.chroma_host and not (settings.index_dir / "chroma.sqlite3").is_file():
        return None, Check(
            "index",
            "error",
            f"the review index at {settings.index_dir} has no database (chroma.sqlite3)",
            REBUILD_HINT,
        )
    try:
        index = ws.review_index
        index.count()
    except InsightError as exc:
        return None, Check("index", "error", exc.message, exc.hint or REBUILD_HINT)
    except Exception as exc:  # noqa: BLE001 - Chroma and SQLite fail in many ways
        return None, Check(
            "index",
            "error",
            f"the review index at {settings.index_dir} cannot be read ({type(exc).__name__}: {exc})",
            REBUILD_HINT,
        )
    return index, None


def _index(ws: Workspace) -> Check:
    from tools.indexing import plan_sync, read_store

    index, problem = _open_index(ws)
    if problem:
        return problem
    try:
        indexed = index.metadata_by_id()
        if indexed:
            probe = index.embedder.encode(["doctor probe"])[0]
            index.query(probe, 1)
        model_ok = not indexed or index.model_matches()
    except Exception as exc:  # noqa: BLE001 - a damaged vector segment fails on query
        return Check(
            "index",
            "error",
            f"the review index at {index.location} cannot be searched ({type(exc).__name__}: {exc})",
            REBUILD_HINT,
        )
    store = read_store(ws.cursor())
    missing_or_changed, stale, orphaned = plan_sync(store, indexed)
    missing = [rid for rid in missing_or_changed if rid not in indexed]
    counts = {
        "store_reviews": len(store),
        "indexed": len(indexed),
        "missing": len(missing),
        "changed_text": len(missing_or_changed) - len(missing),
        "stale_metadata": len(stale),
        "orphaned": len(orphaned),
    }
    if not model_ok:
        return Check(
            "index",
            "error",
            f"the index was built with another embedding model ({index.info().get('embedding_model')}), "
            f"not {index.embedder.name}",
            REBUILD_HINT,
            counts,
        )
    if missing_or_changed or orphaned:
        parts = [
            f"{counts[k]:,} {label}"
            for k, label in (
                ("missing", "reviews not indexed"),
                ("changed_text", "with changed text"),
                ("orphaned", "indexed reviews no longer in the store"),
            )
            if counts[k]
        ]
        return Check(
            "index",
            "error",
            f"store and index disagree: {', '.join(parts)} "
            f"({len(indexed):,} indexed, {len(store):,} in the store)",
            "run `insight index` (incremental) to bring the index up to date",
            counts,
        )
    if stale:
        return Check(
            "index",
            "warn",
            f"{len(stale):,} indexed reviews carry outdated filter metadata (sentiment, category, ...)",
            "run `insight index`",
            counts,
        )
    return Check(
        "index",
        "ok",
        f"{len(indexed):,} reviews indexed, matching the store, at {index.location}",
        None,
        counts,
    )


def _recommender(settings: Settings) -> Check:
    path = Path(settings.models_dir) / "recommender"
    if path.is_dir() and any(path.iterdir()):
        return Check("recommender", "ok", f"trained models at {path}")
    return Check(
        "recommender",
        "warn",
        "no trained recommender: recommendation tools will report an error",
        "run `insight index` or `insight train`",
    )


def _writer_lock(ws: Workspace) -> Check:
    from assistant.errors import WorkspaceBusy

    try:
        with ws.writer_lock(timeout=0):
            pass
    except WorkspaceBusy as exc:
        return Check("writer", "warn", exc.message, exc.hint)
    return Check("writer", "ok", "no writer holds the workspace")


def _store_integrity(ws: Workspace) -> Check:
    """Read every column of every table: DuckDB verifies each block's checksum on read,
    so a truncated or damaged file is found here rather than in the middle of a chat."""
    from assistant.data.schema import TABLES

    cur = ws.cursor()
    for table in [*TABLES, "review_sentiment", "review_aspects"]:
        try:
            # Table names are the schema's own constants, never text from a file.
            cur.execute(f"SELECT min(hash(COLUMNS(*))) FROM {table}").fetchall()  # noqa: S608
        except duckdb.CatalogException:
            continue  # derived tables appear with the first `insight index`
        except duckdb.Error as exc:
            return Check(
                "store_integrity",
                "error",
                f"the store {ws.settings.store_path} is damaged: table {table} cannot be read "
                f"({type(exc).__name__}: {exc})",
                "restore it from a backup or ingest the source data again into a new workspace",
            )
    return Check("store_integrity", "ok", "every table reads back whole")


def _threads(settings: Settings) -> Check:
    """The conversation store: a damaged one would make every `ask` fail."""
    path = settings.threads_path
    if not path.exists():
        return Check("threads", "ok", "no conversations yet")
    hint = (
        f"move {path.name} (and its -wal/-shm files) aside: conversations start afresh, "
        "the shop's data is untouched"
    )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            threads = (
                conn.execute("SELECT count(*) FROM insight_threads").fetchone()[0]
                if "insight_threads" in tables
                else 0
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("threads", "error", f"{path} cannot be read ({exc})", hint)
    if verdict != "ok":
        return Check("threads", "error", f"{path} is damaged ({verdict})", hint)
    return Check("threads", "ok", f"{threads:,} conversations", None, {"threads": threads})


def _safely(name: str, check: Callable[[], Check]) -> Check:
    """A check that crashes is reported as that check's error, never as a traceback."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - a damaged workspace fails in many ways
        return Check(
            name,
            "error",
            f"{name} check failed: {type(exc).__name__}: {exc}",
            "the workspace may be damaged: restore it from a backup or rebuild it",
        )


def run_doctor(settings: Settings) -> DoctorReport:
    """Every check over the workspace of ``settings``; never raises for a broken workspace."""
    store, ws = _safely_store(settings)
    checks = [store]
    if ws is not None:
        try:
            integrity = _safely("store_integrity", lambda: _store_integrity(ws))
            checks.append(integrity)
            if integrity.status == "ok":
                checks.append(_safely("sentiment", lambda: _sentiment(ws)))
                checks.append(_safely("index", lambda: _index(ws)))
            checks.append(_safely("recommender", lambda: _recommender(settings)))
            checks.append(_safely("writer", lambda: _writer_lock(ws)))
        finally:
            ws.close()
    checks.append(_safely("threads", lambda: _threads(settings)))
    return DoctorReport(str(settings.data_dir), checks)


def _safely_store(settings: Settings) -> tuple[Check, Workspace | None]:
    try:
        return _store(settings)
    except Exception as exc:  # noqa: BLE001 - a damaged DuckDB file raises many types
        return Check(
            "store",
            "error",
            f"cannot read the store {settings.store_path}: {type(exc).__name__}: {exc}",
            "restore it from a backup or ingest the source data again",
        ), None
