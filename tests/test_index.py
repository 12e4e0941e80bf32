"""The review index sync: metadata and redaction, incremental runs, rebuild, the
writer lock, and recovery after the indexing process is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tools.indexing import content_hash, sync_review_index
from vectorstore.embeddings import load_embedder
from vectorstore.index import open_review_index

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "battery sound comfort price delivery quality great poor broke love hate fit size box "
    "kettle boil shoes grip laces warm cold cheap sturdy fast slow noisy quiet soft"
).split()


def insert_reviews(conn, n: int, start: int = 1, seed: int = 0) -> list[tuple]:
    """n reviews of two products in two categories, with deterministic text."""
    rng = np.random.default_rng(seed + start)
    conn.execute(
        "INSERT OR IGNORE INTO products (product_id, title, brand, category) VALUES "
        "('P1', 'Aurora Pulse headphones', 'Aurora', 'Headphones'), "
        "('P2', 'Kessler kettle', 'Kessler', 'Kitchen')"
    )
    rows = []
    for i in range(start, start + n):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 14))))
        rows.append(
            (
                f"R{i:06d}",
                "P1" if i % 2 else "P2",
                f"C{i % 7:05d}",
                int(rng.integers(1, 6)),
                f"title {i}",
                text,
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 12:30:00",
            )
        )
    conn.executemany(
        "INSERT INTO reviews (review_id, product_id, customer_id, rating, title, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return rows


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("", batch_size=32)


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.encoded = inner, inner.name, inner.dim, 0

    def encode(self, texts):
        self.encoded += len(texts)
        return self.inner.encode_uncached(texts)


def index_state(index) -> dict[str, dict]:
    return index.metadata_by_id()


def test_sync_indexes_every_review_with_metadata_and_redacted_text(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 20)
    conn.execute(
        "UPDATE reviews SET text = 'call me on +44 7700 900123 or mail jo.bloggs@example.com' "
        "WHERE review_id = 'R000003'"
    )
    index = open_review_index(empty_ws.settings.index_dir, CountingEmbedder(embedder))
    summary = sync_review_index(conn, index, progress=False)
    assert summary["embedded"] == 20 and summary["indexed"] == 20

    expected = {
        rid: {
            "product_id": pid,
            "category": cat,
            "customer_id": cust,
            "rating": rating,
            "created_at": int(day.strftime("%Y%m%d")),
            "sentiment": "",
            "content_hash": content_hash(title, text),
        }
        for rid, pid, cat, cust, rating, day, title, text in conn.execute(
            "SELECT r.review_id, r.product_id, p.category, r.customer_id, r.rating, "
            "r.created_at, r.title, r.text FROM reviews r JOIN products p USING (product_id)"
        ).fetchall()
    }
    assert index_state(index) == expected

    doc = index.collection.get(ids=["R000003"], include=["documents"])["documents"][0]
    assert "[email]" in doc and "[phone]" in doc
    assert "example.com" not in doc and "900123" not in doc
    stored = conn.execute("SELECT text FROM reviews WHERE review_id = 'R000003'").fetchone()[0]
    assert "jo.bloggs@example.com" in stored  # the store keeps the original


def test_incremental_sync_embeds_only_changes(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 30)
    counting = CountingEmbedder(embedder)
    index = open_review_index(empty_ws.settings.index_dir, counting)
    sync_review_index(conn, index, progress=False)
    assert counting.encoded == 30

    again = sync_review_index(conn, index, progress=False)
    assert (again["embedded"], again["metadata_updated"], again["deleted"]) == (0, 0, 0)
    assert counting.encoded == 30

    insert_reviews(conn, 3, start=31)
    conn.execute(
        "UPDATE reviews SET text = 'completely new words here' WHERE review_id = 'R000005'"
    )
    conn.execute("UPDATE reviews SET rating = 6 - rating WHERE review_id = 'R000006'")
    conn.execute(
        "INSERT INTO review_sentiment VALUES ('R000007', 'negative', -0.8, 'h', 'm'), "
        "('R000008', 'positive', 0.9, 'h', 'm')"
    )
    conn.execute("DELETE FROM reviews WHERE review_id IN ('R000010', 'R000011')")
    before = index.collection.get(ids=["R000006"], include=["embeddings"])["embeddings"][0]

    summary = sync_review_index(conn, index, progress=False)
    assert summary["embedded"] == 4  # three new reviews and one changed text
    assert counting.encoded == 34
    assert summary["metadata_updated"] == 3  # a rating and two sentiment labels
    assert summary["deleted"] == 2

    state = index_state(index)
    store_ids = {r[0] for r in conn.execute("SELECT review_id FROM reviews").fetchall()}
    assert set(state) == store_ids and len(store_ids) == 31
    assert state["R000007"]["sentiment"] == "negative"
    assert state["R000008"]["sentiment"] == "positive"
    rating = conn.execute("SELECT rating FROM reviews WHERE review_id = 'R000006'").fetchone()[0]
    assert state["R000006"]["rating"] == rating
    after = index.collection.get(ids=["R000006"], include=["embeddings"])["embeddings"][0]
    assert np.array_equal(np.asarray(before), np.asarray(after))  # metadata-only: same vector
    doc = index.collection.get(ids=["R000005"], include=["documents"])["documents"][0]
    assert "completely new words here" in doc


def test_rebuild_starts_over(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 12)
    counting = CountingEmbedder(embedder)
    index = open_review_index(empty_ws.settings.index_dir, counting)
    sync_review_index(conn, index, progress=False)
    summary = sync_review_index(conn, index, rebuild=True, progress=False)
    assert summary["rebuilt"] and summary["embedded"] == 12 and summary["indexed"] == 12
    assert counting.encoded == 24


def test_another_embedding_model_forces_a_rebuild(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 5)
    index = open_review_index(empty_ws.settings.index_dir, CountingEmbedder(embedder))
    sync_review_index(conn, index, progress=False)
    other = CountingEmbedder(embedder)
    other.name = "another-model"
    index.embedder = other
    summary = sync_review_index(conn, index, progress=False)
    assert summary["rebuilt"] and other.encoded == 5
    assert index.info()["embedding_model"] == "another-model"


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, **kw)


LOCK_SCRIPT = """
import sys, time
from assistant.config import load_settings
from assistant.workspace import Workspace

with Workspace(load_settings(data_dir=sys.argv[1])).writer_lock():
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_writer_gets_a_clear_message(empty_ws):
    insert_reviews(empty_ws.conn, 2)
    empty_ws.close()  # release the store so the command can open it
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_SCRIPT, str(empty_ws.path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        res = _run(
            [sys.executable, "-m", "assistant.cli", "index", "--data-dir", str(empty_ws.path)]
        )
        assert res.returncode == 1
        assert "another process is writing" in res.stderr
        assert "Traceback" not in res.stderr
    finally:
        holder.kill()
        holder.wait()


KILL_SCRIPT = """
import sys
import time

import tools.indexing
from assistant.pipeline import sync_index
from assistant.workspace import Workspace
from vectorstore.index import ReviewIndex

tools.indexing.CHUNK = 32  # many small steps, so the kill lands in the middle
written = 0
real_upsert = ReviewIndex.upsert


def upsert_then_stall(self, *args, **kwargs):
    # Announce each committed chunk; after three, stall like a slow encoder would,
    # so the kill always lands mid-run however fast this machine is.
    global written
    real_upsert(self, *args, **kwargs)
    written += 1
    print(f"chunk {written} written", file=sys.stderr, flush=True)
    if written == 3:
        time.sleep(120)


ReviewIndex.upsert = upsert_then_stall
ws = Workspace.open(sys.argv[1])
with ws.writer_lock():
    sync_index(ws, progress=True, report=print)
"""


@pytest.mark.slow
def test_kill_during_indexing_then_resume(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 400)
    path = empty_ws.path
    empty_ws.close()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(path)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    # The script reports each chunk written to the index; kill once three are in.
    seen, deadline = b"", time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if b"chunk 3 written" in seen:
                break
        else:
            pytest.fail("indexing made no progress in time")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert b"chunk 3 written" in seen and b"400/400" not in seen, seen[-500:]
    assert b"reviews/s" in seen  # the progress bar shows the rate

    from assistant.workspace import Workspace

    with Workspace.open(path) as ws:
        index = open_review_index(ws.settings.index_dir, CountingEmbedder(embedder))
        partial = index.count()
        assert 0 < partial < 400
        summary = sync_review_index(ws.conn, index, progress=False)
        assert summary["embedded"] == 400 - partial
        store = {
            rid: content_hash(title, text)
            for rid, title, text in ws.conn.execute(
                "SELECT review_id, title, text FROM reviews"
            ).fetchall()
        }
        state = index_state(index)
        assert {rid: m["content_hash"] for rid, m in state.items()} == store
        assert index.count() == 400


@pytest.mark.slow
def test_index_command_is_incremental_on_the_demo_shop(workspace_copy):
    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.workspace import Workspace

    with Workspace.open(workspace_copy) as ws:
        ws.conn.execute(
            "DELETE FROM reviews WHERE review_id = (SELECT min(review_id) FROM reviews)"
        )
        n_reviews = ws.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    res = CliRunner().invoke(app, ["index", "--data-dir", str(workspace_copy)])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.stdout.splitlines() if x.startswith("index: "))
    assert "'embedded': 0" in line and "'deleted': 1" in line
    assert f"'indexed': {n_reviews}" in line


_OPEN_AND_QUERY = """
import sys
import numpy as np
from vectorstore.index import open_review_index

class Named:
    name, dim = sys.argv[2], 384

index = open_review_index(sys.argv[1], Named())
hits = index.query(np.ones(384, np.float32) / np.sqrt(384), 3)
print(len(hits))
"""


def test_a_pickle_planted_in_the_index_folder_is_never_executed(empty_ws, embedder, tmp_path):
    """Chroma's legacy HNSW metadata file is a pickle; the Rust engine decodes it as
    data. A planted payload must not run when the index is opened and queried."""
    import builtins
    import pickle  # noqa: S403 - builds the hostile payload this test plants

    class Payload:
        def __reduce__(self):
            return (builtins.open, (str(sentinel), "w"))

    sentinel = tmp_path / "owned"
    insert_reviews(empty_ws.conn, 5)
    index = open_review_index(empty_ws.settings.index_dir, embedder)
    sync_review_index(empty_ws.conn, index, progress=False)
    segments = [p for p in Path(empty_ws.settings.index_dir).iterdir() if p.is_dir()]
    assert segments
    for segment in segments:
        (segment / "index_metadata.pickle").write_bytes(pickle.dumps(Payload()))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_QUERY, str(empty_ws.settings.index_dir), embedder.name],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not sentinel.exists()
    # The file was read (chroma 1.5: "Error deserializing pickle file: ... unresolved
    # global reference"), as data: the query fails, nothing runs.
    assert out.returncode != 0 and "pickle" in out.stderr
