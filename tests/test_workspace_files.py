"""Workspace files hold contact details: owner-only, including files made after the open."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from assistant.answer import Answer
from assistant.audit import AuditLog
from assistant.workspace import Workspace, make_private


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The common default umask (022), restored afterwards whatever the test did."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_workspace_is_private(tmp_path, loose_umask):
    path = tmp_path / "ws"
    with Workspace.open(path, create=True) as ws:
        assert mode(path) == 0o700
        assert mode(ws.settings.store_path) == 0o600
        # Files made later by the engines (SQLite WAL here) are private too.
        conn = sqlite3.connect(ws.settings.threads_path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES ('alice@example.com')")
        conn.commit()
        wal = ws.settings.threads_path.with_name("threads.sqlite-wal")
        assert wal.exists()
        assert mode(ws.settings.threads_path) == 0o600 and mode(wal) == 0o600
        conn.close()


def test_opening_tightens_an_existing_workspace(tmp_path, loose_umask):
    path = tmp_path / "ws"
    with Workspace.open(path, create=True):
        pass
    os.chmod(path, 0o755)
    loose = {
        "store.duckdb": None,
        "users.json": '{"users": {}}',
        "audit.jsonl": "{}\n",
        "quarantine/reviews.jsonl": "{}\n",
        "models/recommender.pkl": "x",
        "index/chroma.sqlite3": "x",
    }
    for rel, text in loose.items():
        target = path / rel
        target.parent.mkdir(exist_ok=True)
        if text is not None:
            target.write_text(text)
        os.chmod(target, 0o644)
    os.chmod(path / "index", 0o755)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    os.chmod(outside, 0o644)
    (path / "link").symlink_to(outside)

    with Workspace.open(path, read_only=True):
        pass
    assert mode(path) == 0o700
    assert {rel: mode(path / rel) for rel in loose} == dict.fromkeys(loose, 0o600)
    assert mode(path / "index") == 0o700 and mode(path / "quarantine") == 0o700
    assert mode(outside) == 0o644  # a symlink's target outside the workspace is left alone


def test_make_private_keeps_a_stricter_umask(tmp_path):
    old = os.umask(0o277)
    try:
        make_private(tmp_path / "ws")
        assert os.umask(0o277) == 0o277
    finally:
        os.umask(old)


def test_audit_log_is_owner_only_whatever_the_umask(tmp_path, loose_umask):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(question="who is C00042", answer=Answer(text="x", role="support"), user="ann")
    assert mode(log.path) == 0o600
    assert log.entries()[0]["user"] == "ann"
