"""A persistent store of sentence vectors, keyed by model and text hash.

It lets a new process answer from vectors earlier processes computed (the planner's
intent exemplars, catalog titles, questions asked before) without loading the model
at all. SQLite with raw float32 bytes: nothing is unpickled, so a file someone
dropped into the workspace can at worst give wrong vectors, never run code. Every
failure to read or write degrades to "not cached": the cache never costs an answer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, key TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, key)
);
CREATE TABLE IF NOT EXISTS models (model TEXT PRIMARY KEY, dim INTEGER NOT NULL);
"""
_CHUNK = 500  # SQLite's bound-parameter limit is far above; keeps statements small


class VectorCache:
    def __init__(self, path: Path | str, model: str) -> None:
        self.path = Path(path)
        self.model = model
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._con is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)
                self._con = con
            except (sqlite3.Error, OSError) as exc:
                log.warning("embedding cache %s unavailable: %s", self.path, exc)
                self._broken = True
                return None
        return self._con

    def dim(self) -> int | None:
        with self._lock:
            con = self._connect()
            if con is None:
                return None
            try:
                row = con.execute("SELECT dim FROM models WHERE model = ?", [self.model]).fetchone()
            except sqlite3.Error:
                return None
        return int(row[0]) if row else None

    def get_many(self, keys: list[str], dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            con = self._connect()
            if con is None:
                return out
            try:
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = con.execute(
                        f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",  # noqa: S608 -- only ? placeholders are formatted
                        [self.model, *chunk],
                    ).fetchall()
                    for key, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32)
                        if vec.shape == (dim,):  # a vector of another size is not ours
                            out[key] = vec.copy()
            except sqlite3.Error as exc:
                log.warning("embedding cache read failed: %s", exc)
        return out

    def put_many(self, items: dict[str, np.ndarray], dim: int) -> None:
        if not items:
            return
        with self._lock:
            con = self._connect()
            if con is None:
                return
            try:
                with con:
                    con.execute(
                        "INSERT OR REPLACE INTO models (model, dim) VALUES (?, ?)",
                        [self.model, dim],
                    )
                    con.executemany(
                        "INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                        [
                            (self.model, k, np.asarray(v, dtype=np.float32).tobytes())
                            for k, v in items.items()
                        ],
                    )
            except sqlite3.Error as exc:
                log.warning("embedding cache write failed: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
