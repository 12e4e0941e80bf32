"""An interrupted ingest leaves the store exactly as it was before the file:
an exception raised mid-file, Ctrl-C, and a real kill -9 of a running ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.data import ingest as ingest_module
from assistant.data.ingest import ingest_paths
from assistant.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def _reviews_2018(path: Path, n: int, offset: int = 0) -> Path:
    with open(path, "w") as fh:
        for i in range(offset, offset + n):
            fh.write(
                json.dumps(
                    {
                        "overall": 1 + i % 5,
                        "verified": i % 2 == 0,
                        "reviewerID": f"U{i % 997}",
                        "asin": f"B{i % 113:04d}",
                        "reviewerName": f"Name {i % 997}",
                        "summary": f"Summary {i}",
                        "reviewText": f"Review text number {i}",
                        "unixReviewTime": 1500000000 + i * 60,
                    }
                )
                + "\n"
            )
    return path


def _snapshot(ws: Workspace) -> dict[str, list]:
    return {
        t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 -- names from the store's own table list
        for t in ws.table_counts()
    }


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_exception_mid_file_rolls_the_file_back(empty_ws, tmp_path, monkeypatch, exc):
    ingest_paths(empty_ws, [_reviews_2018(tmp_path / "old.json", 300)], progress=False)
    before = _snapshot(empty_ws)
    assert len(before["reviews"]) == 300

    def interrupt(step: str) -> None:
        if step == "loaded orders":  # products, customers, orders written; reviews not yet
            raise exc("interrupted")

    monkeypatch.setattr(ingest_module, "checkpoint", interrupt)
    with pytest.raises(exc):
        ingest_paths(empty_ws, [_reviews_2018(tmp_path / "new.json", 500, 200)], progress=False)
    assert _snapshot(empty_ws) == before

    # The same connection keeps working and the next run loads the file completely.
    monkeypatch.setattr(ingest_module, "checkpoint", None)
    report = ingest_paths(empty_ws, [tmp_path / "new.json"], progress=False)
    assert report.tables["reviews"].inserted == 400 and report.tables["reviews"].unchanged == 100
    assert empty_ws.table_counts()["reviews"] == 700


def test_files_before_the_interrupted_one_stay_committed(empty_ws, tmp_path, monkeypatch):
    (tmp_path / "customers.csv").write_text("customer_id,name\nC1,Ann\nC2,Bob\n")
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,status\nO1,C1,2024-01-01,completed\n"
    )

    def interrupt(step: str) -> None:
        if step == "loaded orders":
            raise Boom("interrupted")

    monkeypatch.setattr(ingest_module, "checkpoint", interrupt)
    with pytest.raises(Boom):
        ingest_paths(empty_ws, [tmp_path], progress=False)
    counts = empty_ws.table_counts()
    assert counts["customers"] == 2 and counts["orders"] == 0


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.data import ingest
    from assistant.workspace import Workspace

    ws_dir, src, marker = sys.argv[1:4]

    def hold(step):
        if step == "loaded order_items":  # orders written inside the open transaction
            Path(marker).write_text("mid-file")
            time.sleep(120)

    ingest.checkpoint = hold
    ws = Workspace.open(ws_dir)
    ingest.ingest_paths(ws, [src], progress=False)
    """
)


def test_kill_9_mid_file_leaves_the_store_as_before(tmp_path):
    ws_dir = tmp_path / "ws"
    with Workspace.open(ws_dir, create=True) as ws:
        ingest_paths(ws, [_reviews_2018(tmp_path / "old.json", 2000)], progress=False)
        before = _snapshot(ws)
    big = _reviews_2018(tmp_path / "big.json", 20000, 1000)
    marker = tmp_path / "marker"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ws_dir), str(big), str(marker)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the ingest ended before reaching mid-file"
            assert time.monotonic() < deadline, "the ingest never reached mid-file"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    with Workspace.open(ws_dir) as ws:
        assert _snapshot(ws) == before
        report = ingest_paths(ws, [big], progress=False)
        assert report.tables["reviews"].inserted == 19000
        assert ws.table_counts()["reviews"] == 21000
