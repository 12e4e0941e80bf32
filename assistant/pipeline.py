"""Derived data built from the store: sentiment labels, the review index, recommender models.

Run after data changes (`insight demo`, `insight index`, `insight train`); each
step is incremental where it can be and runs under the workspace writer lock.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from assistant.data.ingest import ingest_paths
from assistant.data.schema import TABLES
from assistant.demo.build import MANIFEST, SOURCE_DIR, generate_demo_files
from assistant.errors import DataError, UserError
from assistant.workspace import Workspace

Report = Callable[[str], None]


def label_sentiment(ws: Workspace, report: Report = print) -> dict:
    from tools.sentiment import describe_summary, label_reviews

    summary = label_reviews(ws.conn, ws.embedder, ws.settings.models_dir)
    for line in describe_summary(summary):
        report(f"sentiment: {line}")
    return summary


def sync_index(
    ws: Workspace, *, rebuild: bool = False, progress: bool = True, report: Report = print
) -> dict:
    from tools.indexing import sync_review_index

    index = _index_to_rebuild(ws, report) if rebuild else ws.review_index
    summary = sync_review_index(ws.conn, index, rebuild=rebuild, progress=progress)
    report(f"index: {summary}")
    return summary


def _index_to_rebuild(ws: Workspace, report: Report):
    """The review index, or a fresh one when the embedded index cannot even be opened
    (a damaged database): a rebuild re-embeds everything, so nothing of value is lost."""
    import shutil

    from assistant.errors import BackendError

    try:
        return ws.review_index.connect()  # an embedded index opens lazily: open it now
    except BackendError:
        if ws.settings.chroma_host:
            raise
    # A client that failed to open released its cached Chroma system: the new one
    # starts from the files as they are after the removal.
    report(f"index: {ws.settings.index_dir} is unreadable; starting a new one")
    shutil.rmtree(ws.settings.index_dir, ignore_errors=True)
    return ws.review_index


def train_recommender(ws: Workspace, report: Report = print) -> dict:
    from tools.recommend import train_models

    summary = train_models(ws.conn, ws.embedder, ws.settings.models_dir)
    report(f"recommender: {summary}")
    return summary


def prepare(
    ws: Workspace, *, rebuild: bool = False, progress: bool = True, report: Report = print
) -> dict:
    """All derived data, in dependency order (index metadata carries sentiment labels)."""
    with ws.writer_lock():
        return {
            "sentiment": label_sentiment(ws, report),
            "index": sync_index(ws, rebuild=rebuild, progress=progress, report=report),
            "recommender": train_recommender(ws, report),
        }


# -- the demo shop: generate, clear an earlier demo, ingest ----------------------------


def clear_previous_demo(ws: Workspace) -> bool:
    """Empty a workspace that holds an earlier demo; refuse to touch anyone's real data."""
    counts = ws.table_counts()
    if not any(counts.values()):
        return False
    if not (ws.path / MANIFEST).exists():
        raise UserError(
            f"the workspace {ws.path} already holds shop data that is not a demo",
            hint="pass an empty --data-dir for the demo shop",
        )
    cur = ws.cursor()
    cur.execute("BEGIN")
    for name in [*TABLES, "review_sentiment"]:
        cur.execute(f"DELETE FROM {name}")  # noqa: S608 -- table names from the schema constants
    cur.execute("COMMIT")
    # Index and models describe the old rows; they are rebuilt by the pipeline.
    for derived in (ws.settings.index_dir, ws.settings.models_dir):
        shutil.rmtree(derived, ignore_errors=True)
    (ws.path / MANIFEST).unlink()
    return True


def build_demo(data_dir: str | Path, seed: int = 7, scale: float = 1.0, lang: str = "en") -> dict:
    """Generate the demo shop into ``data_dir`` and ingest it; returns a summary.
    Derived data is left to :func:`prepare` (the old index and models are removed).
    ``lang="zh"`` builds the Chinese shop (same structure and planted cases).

    An earlier demo in the same directory is replaced; a workspace holding other
    data is refused rather than mixed with demo rows.
    """
    data_dir = Path(data_dir)
    t0 = time.perf_counter()
    source = data_dir / SOURCE_DIR
    manifest = generate_demo_files(source, seed=seed, scale=scale, lang=lang)
    t1 = time.perf_counter()
    with Workspace.open(data_dir, create=True) as ws:
        replaced = clear_previous_demo(ws)
        report = ingest_paths(ws, [source], fmt="canonical", progress=False)
        counts = ws.table_counts()
    t2 = time.perf_counter()
    if report.quarantined:
        raise DataError(
            f"the demo generator produced {report.quarantined} row(s) that ingest rejected",
            hint=f"see {report.quarantine_path}",
        )
    (data_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {
        "data_dir": str(data_dir),
        "source_dir": str(source),
        "manifest": manifest,
        "row_counts": counts,
        "replaced_previous_demo": replaced,
        "ingest": report.to_dict(),
        "seconds": {"generate": round(t1 - t0, 2), "ingest": round(t2 - t1, 2)},
    }
