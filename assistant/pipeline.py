"""Derived data built from the store: sentiment labels, the review index, recommender models.

Run after data changes (`insight demo`, `insight index`, `insight train`); each
step is incremental where it can be and runs under the workspace writer lock.
"""

from __future__ import annotations

from collections.abc import Callable

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
        return ws.review_index
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
