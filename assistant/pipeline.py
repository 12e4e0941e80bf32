"""Derived data built from the store: sentiment labels, the review index, recommender models.

Run after data changes (`insight demo`, `insight index`, `insight train`); each
step is incremental where it can be and runs under the workspace writer lock.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.workspace import Workspace

Report = Callable[[str], None]


def label_sentiment(ws: Workspace, report: Report = print) -> dict:
    from tools.sentiment import label_reviews

    summary = label_reviews(ws.conn, ws.embedder, ws.settings.models_dir)
    report(f"sentiment: {summary}")
    return summary


def sync_index(
    ws: Workspace, *, rebuild: bool = False, progress: bool = True, report: Report = print
) -> dict:
    from tools.indexing import sync_review_index

    summary = sync_review_index(ws.conn, ws.review_index, rebuild=rebuild, progress=progress)
    report(f"index: {summary}")
    return summary


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
