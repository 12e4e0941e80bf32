"""Conversation threads kept in the workspace (SQLite at ``Settings.threads_path``).

The LangGraph checkpointer stores each thread's messages so a restart keeps them;
a small side table remembers who started a thread, in which role and with what
question, so threads can be listed without unpickling every checkpoint.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from assistant.errors import BackendError, NotFoundError, PermissionDenied

_SCHEMA = """
CREATE TABLE IF NOT EXISTS insight_threads (
    thread_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    user TEXT,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0
)
"""


class ThreadStore:
    """The checkpointer plus the thread list. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by all threads: SqliteSaver serialises its use with its
        # own lock, and the side table below goes through the same lock.
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            # Strict: a crafted row in this file can rebuild only message and plain data
            # types, never an object of any importable class.
            self.saver = SqliteSaver(
                self._conn, serde=JsonPlusSerializer(allowed_msgpack_modules=None)
            )
            self.saver.setup()
            self._lock: threading.Lock = self.saver.lock
            with self._lock, self._conn:
                self._conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise BackendError(
                f"the conversation store {path} is damaged ({exc})",
                hint=f"move {path.name} (and its -wal/-shm files) aside: conversations start "
                "afresh, the shop's data is untouched (`insight doctor` checks it)",
            ) from exc

    # -- turns -----------------------------------------------------------------
    def begin_turn(self, thread_id: str, *, role: str, user: str | None, question: str) -> None:
        """Record a turn; a thread stays in the role it was started in.

        A support conversation holds contact details, so it may not be resumed as a
        marketer (and the other way round keeps audit trails honest).
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._conn:
            row = self._conn.execute(
                "SELECT role FROM insight_threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
            if row and row[0] != role:
                raise PermissionDenied(
                    f"thread {thread_id} belongs to the {row[0]} role, not {role}",
                    hint="start a new thread, or continue this one in its own role",
                )
            if row:
                self._conn.execute(
                    "UPDATE insight_threads SET updated_at = ?, turns = turns + 1 "
                    "WHERE thread_id = ?",
                    (now, thread_id),
                )
            else:
                self._conn.execute(
                    "INSERT INTO insight_threads VALUES (?, ?, ?, ?, ?, ?, 1)",
                    (thread_id, role, user, _title(question), now, now),
                )

    def role_of(self, thread_id: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT role FROM insight_threads WHERE thread_id = ?", (thread_id,)
            ).fetchone()
        return row[0] if row else None

    # -- listing, reading, deleting ----------------------------------------------
    def list(self, *, role: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        """Threads, most recently used first."""
        sql = "SELECT thread_id, role, user, title, created_at, updated_at, turns FROM insight_threads"
        where, params = [], []
        if role:
            where.append("role = ?")
            params.append(role)
        if user:
            where.append("user = ?")
            params.append(user)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, thread_id"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        keys = ("thread_id", "role", "user", "title", "created_at", "updated_at", "turns")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def get(self, thread_id: str) -> dict[str, Any]:
        for info in self.list():
            if info["thread_id"] == thread_id:
                return info
        raise NotFoundError(f"no thread {thread_id!r}", hint="`insight threads list` shows them")

    def messages(self, thread_id: str) -> list[BaseMessage]:
        """The thread's messages as of its latest checkpoint."""
        self.get(thread_id)
        found = self.saver.get_tuple({"configurable": {"thread_id": thread_id}})
        if found is None:
            return []
        return list(found.checkpoint.get("channel_values", {}).get("messages", []))

    def delete(self, thread_id: str) -> None:
        self.get(thread_id)
        self.saver.delete_thread(thread_id)
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM insight_threads WHERE thread_id = ?", (thread_id,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _title(question: str, limit: int = 80) -> str:
    line = " ".join(question.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
