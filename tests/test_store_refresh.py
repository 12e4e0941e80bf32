"""Data refresh while the app runs: readers never block an ingest, and see its data.

A long-running reader (the web app) holds the store read-only; an `insight ingest`
in another process must still succeed, and the reader must answer from the new data
shortly after, without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant import storefile
from assistant.workspace import REFRESH_SECONDS, Workspace

NEW_PRODUCT = "P9001"
NEW_TITLE = "Quillfeather Ceramic Pour-Over Dripper"


def _ingest(ws_dir: Path, source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(source), "--data-dir", str(ws_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _new_product_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "products.csv").write_text(
        "product_id,title,brand,category,price,currency\n"
        f"{NEW_PRODUCT},{NEW_TITLE},Quillfeather,Kitchen,24.50,USD\n"
    )
    return folder


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(REFRESH_SECONDS / 2)
    return predicate()


def test_ingest_succeeds_while_a_reader_holds_the_store_and_the_reader_follows(empty_ws, tmp_path):
    ws_dir = empty_ws.path
    empty_ws.close()
    reader = Workspace.open(ws_dir, read_only=True)
    try:
        assert reader.cursor().execute("SELECT count(*) FROM products").fetchone()[0] == 0
        done = _ingest(ws_dir, _new_product_file(tmp_path / "in"))
        assert done.returncode == 0, done.stdout + done.stderr

        def sees_new_row() -> bool:
            cur = reader.cursor()
            return cur.execute("SELECT count(*) FROM products").fetchone()[0] == 1

        assert _wait_for(sees_new_row)
        assert reader.generation == 1
        assert not (ws_dir / ("store.duckdb" + storefile.NEXT_SUFFIX)).exists()
    finally:
        reader.close()


def test_writer_without_readers_writes_in_place(empty_ws):
    store = empty_ws.settings.store_path
    before = storefile.identity(store)
    empty_ws.cursor().execute("INSERT INTO products (product_id) VALUES ('P1')")
    empty_ws.close()
    assert storefile.identity(store) == before


def test_a_writer_killed_mid_write_leaves_the_store_as_it_was(empty_ws, tmp_path):
    """The copy being written is never published; the next writer removes it."""
    ws_dir = empty_ws.path
    empty_ws.close()
    reader = Workspace.open(ws_dir, read_only=True)
    script = (
        "import os, sys\n"
        "from assistant.workspace import Workspace\n"
        "ws = Workspace.open(sys.argv[1])\n"
        "ws.cursor().execute(\"INSERT INTO products (product_id) VALUES ('PX')\")\n"
        "print('written', flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    try:
        killed = subprocess.run(
            [sys.executable, "-c", script, str(ws_dir)], capture_output=True, text=True
        )
        assert "written" in killed.stdout and killed.returncode == -9
        copy = ws_dir / ("store.duckdb" + storefile.NEXT_SUFFIX)
        assert copy.exists(), "the writer should have been writing a copy"
        time.sleep(REFRESH_SECONDS * 1.5)
        assert reader.cursor().execute("SELECT count(*) FROM products").fetchone()[0] == 0
    finally:
        reader.close()
    with Workspace.open(ws_dir) as ws:
        assert ws.cursor().execute("SELECT count(*) FROM products").fetchone()[0] == 0
    assert not copy.exists()


def test_two_writers_are_refused_with_a_clear_error(empty_ws):
    from assistant.errors import WorkspaceBusy

    ws_dir = empty_ws.path  # empty_ws holds the writer session
    with pytest.raises(WorkspaceBusy, match="another ingest or index run"):
        Workspace.open(ws_dir)


@pytest.mark.slow
def test_ingest_while_four_chats_run_then_the_chat_sees_the_new_product(workspace_copy, tmp_path):
    from assistant.agent import Assistant
    from tools.catalog import find_product

    with Assistant.open(workspace_copy) as assistant:
        ctx = assistant.tool_context("marketer")
        assert all(
            c["product_id"] != NEW_PRODUCT for c in find_product(ctx, NEW_TITLE)["candidates"]
        )
        errors: list[BaseException] = []
        answered: list[str] = []
        stop = threading.Event()

        def chat(n: int) -> None:
            try:
                while not stop.is_set():
                    answer = assistant.ask(
                        "How did revenue of the Kitchen category move by month?",
                        role="marketer",
                        thread_id=f"refresh-{n}",
                    )
                    answered.append(answer.text)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=chat, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            done = _ingest(workspace_copy, _new_product_file(tmp_path / "in"))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not errors, errors
        assert answered

        def found() -> bool:
            candidates = find_product(ctx, NEW_TITLE)["candidates"]
            return any(c["product_id"] == NEW_PRODUCT for c in candidates)

        assert _wait_for(found)


@pytest.mark.slow
def test_an_index_run_while_the_app_reads_makes_new_reviews_searchable(workspace_copy, tmp_path):
    from assistant.agent import Assistant
    from tools.reviews import search_reviews

    token = "QX7781ZEBRA"
    with Assistant.open(workspace_copy) as assistant:
        ctx = assistant.tool_context("marketer")
        assert all(token not in h["snippet"] for h in search_reviews(ctx, token)["results"])
        source = tmp_path / "in"
        source.mkdir()
        (source / "reviews.csv").write_text(
            "review_id,product_id,rating,text,created_at\n"
            f"R990001,P0001,2,The {token} clasp snapped on the second day,2026-10-20\n"
        )
        assert _ingest(workspace_copy, source).returncode == 0
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        indexed = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "index", "--data-dir", str(workspace_copy)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert indexed.returncode == 0, indexed.stdout + indexed.stderr

        def searchable() -> bool:
            results = search_reviews(ctx, token)["results"]
            return bool(results) and results[0]["review_id"] == "R990001"

        assert _wait_for(searchable)
