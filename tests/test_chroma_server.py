"""Server mode: the same index and search against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import BackendError
from tests.test_index import CountingEmbedder, insert_reviews
from tools.context import ToolContext
from tools.indexing import sync_review_index
from tools.reviews import search_reviews
from vectorstore.embeddings import load_embedder
from vectorstore.index import open_review_index

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    if not CHROMA.exists():
        pytest.skip(f"no chroma CLI at {CHROMA}")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma server did not start in 60 s")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_index_and_search_on_a_chroma_server(chroma_server, empty_ws):
    conn = empty_ws.conn
    insert_reviews(conn, 40)
    conn.execute(
        "UPDATE reviews SET text = 'the ZQ-9000 adapter melted' WHERE review_id = 'R000021'"
    )
    embedder = CountingEmbedder(load_embedder("", batch_size=32))
    index = open_review_index(
        empty_ws.settings.index_dir, embedder, host="127.0.0.1", port=chroma_server
    )
    assert index.location == f"http://127.0.0.1:{chroma_server}"
    assert not empty_ws.settings.index_dir.exists()  # nothing embedded locally

    first = sync_review_index(conn, index, progress=False)
    assert first["embedded"] == 40 and index.count() == 40
    conn.execute("DELETE FROM reviews WHERE review_id = 'R000002'")
    second = sync_review_index(conn, index, progress=False)
    assert (second["embedded"], second["deleted"], second["indexed"]) == (0, 1, 39)
    assert embedder.encoded == 40

    ctx = ToolContext(
        empty_ws.cursor,
        embedder_loader=lambda: embedder.inner,
        index_loader=lambda: index,
    )
    res = search_reviews(ctx, "ZQ-9000", k=3)
    assert res["results"][0]["review_id"] == "R000021"
    res = search_reviews(ctx, "battery", min_rating=4, category="Kitchen", k=10)
    ratings = dict(conn.execute("SELECT review_id, rating FROM reviews").fetchall())
    assert res["n"] > 0
    for row in res["results"]:
        assert ratings[row["review_id"]] >= 4 and row["product_id"] == "P2"


def test_unreachable_server_is_a_clear_error(tmp_path):
    port = _free_port()
    with pytest.raises(BackendError) as err:
        open_review_index(tmp_path, object(), host="127.0.0.1", port=port)
    assert "INSIGHT_CHROMA_HOST" in str(err.value)
