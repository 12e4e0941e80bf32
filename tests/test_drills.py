"""Reliability drills: a damaged or missing review index.

Each drill breaks a copy of a small demo workspace, then checks the whole recovery
path as a user walks it: `insight search` / `insight ask` give a clear error (never
a traceback), `insight doctor` finds the problem and exits non-zero,
`insight index --rebuild` fixes it, and doctor is clean again with the store and the
index holding the same reviews. (Killing ingest and indexing with SIGKILL is drilled
in test_ingest_crash.py and test_index.py.)
"""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from assistant.cli import app

SMALL_SCALE = 0.1  # ~500 reviews: a rebuild takes seconds, not minutes


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    from assistant.pipeline import build_demo, prepare
    from assistant.workspace import Workspace

    path = tmp_path_factory.mktemp("drill") / "ws"
    build_demo(path, seed=7, scale=SMALL_SCALE)
    with Workspace.open(path) as ws:
        prepare(ws, progress=False, report=lambda _msg: None)
    return path


@pytest.fixture
def ws_dir(small_dir, tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(small_dir, dest, ignore=shutil.ignore_patterns(".writer.lock"))
    return dest


def cli(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    # A clean exit or a typer.Exit with a code: anything else would be a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    return result


def review_count(path) -> int:
    con = duckdb.connect(str(path / "store.duckdb"), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM reviews").fetchone()[0]
    finally:
        con.close()


def doctor(path) -> tuple[int, dict]:
    result = cli("doctor", "--json", "--data-dir", path)
    report = json.loads(result.output)
    return result.exit_code, {c["name"]: c for c in report["checks"]}


def corrupt(path) -> None:
    db = path / "index" / "chroma.sqlite3"
    size = db.stat().st_size
    with open(db, "r+b") as fh:  # clobber the SQLite header and a page in the middle
        fh.write(os.urandom(4096))
        fh.seek(size // 2)
        fh.write(os.urandom(8192))


def rebuild_and_check(path) -> None:
    result = cli("index", "--rebuild", "--data-dir", path)
    assert result.exit_code == 0, result.output
    code, checks = doctor(path)
    assert code == 0, checks
    n = review_count(path)
    assert checks["index"]["counts"]["indexed"] == n
    assert checks["index"]["counts"]["missing"] == 0
    found = cli("search", "battery", "--json", "--data-dir", path)
    assert found.exit_code == 0, found.output
    result = json.loads(found.output)
    assert result["indexed"] == n and result["n"] > 0


def test_corrupt_index_clear_error_doctor_finds_rebuild_fixes(ws_dir):
    corrupt(ws_dir)

    search = cli("search", "battery", "--data-dir", ws_dir)
    assert search.exit_code == 1
    assert "cannot open the review index" in search.output
    assert "insight index --rebuild" in search.output

    ask = cli("ask", "Find reviews mentioning battery", "--json", "--data-dir", ws_dir)
    assert ask.exit_code == 0, ask.output
    answer = json.loads(ask.output)
    assert answer["text"]
    errors = [c["error"] or (c["result"] or {}).get("message") for c in answer["tool_calls"]]
    assert any("review index" in str(e) for e in errors), answer["tool_calls"]

    code, checks = doctor(ws_dir)
    assert code == 1
    assert checks["index"]["status"] == "error"
    assert "insight index --rebuild" in checks["index"]["hint"]
    assert checks["store"]["status"] == "ok"

    rebuild_and_check(ws_dir)


def test_missing_index_dir_clear_error_doctor_finds_rebuild_fixes(ws_dir):
    shutil.rmtree(ws_dir / "index")
    n = review_count(ws_dir)

    code, checks = doctor(ws_dir)
    assert code == 1
    assert checks["index"]["status"] == "error"
    assert "missing" in checks["index"]["message"]
    assert not (ws_dir / "index").exists()  # the doctor only looks

    search = cli("search", "battery", "--data-dir", ws_dir)
    assert search.exit_code == 1
    assert "index is empty" in search.output and "insight index" in search.output

    # The search opened an empty index: now the store and the index disagree by every review.
    code, checks = doctor(ws_dir)
    assert code == 1
    assert checks["index"]["counts"]["missing"] == n
    assert checks["index"]["counts"]["indexed"] == 0

    rebuild_and_check(ws_dir)


def test_index_of_another_embedding_model_is_reported(ws_dir):
    import chromadb

    client = chromadb.PersistentClient(path=str(ws_dir / "index"))
    col = client.get_collection("reviews")
    meta = dict(col.metadata or {})
    meta["embedding_model"] = "some-other-model"
    col.modify(metadata=meta)
    client.close()  # releases Chroma's cached system for this path only

    code, checks = doctor(ws_dir)
    assert code == 1
    assert "another embedding model" in checks["index"]["message"]
    assert "insight index --rebuild" in checks["index"]["hint"]
