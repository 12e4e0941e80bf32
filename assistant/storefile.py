"""How readers and writers share one DuckDB store file without blocking each other.

DuckDB lets one process write a database file, or several read it, never both. A
running web app holds a read-only connection all day, so an ingest or index run
must still be able to write. The protocol:

- A writer takes ``.store-writer.lock`` (one writer at a time, across processes).
  If no reader holds the store, it writes in place. If readers do, it copies the
  store to ``store.duckdb.next``, writes there, and on close atomically renames the
  copy over the store. A crash mid-write leaves the store as it was (the stale copy
  is removed by the next writer).
- A reader keeps using the file it opened (the renamed-over inode stays readable),
  and notices the new file by its inode on its next query. DuckDB caches one
  database per path inside a process, so the new file is opened through a
  hard-link alias with a fresh name; the alias is unlinked at once.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from assistant.errors import WorkspaceBusy

LOCK_NAME = ".store-writer.lock"
NEXT_SUFFIX = ".next"


def identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names now (device, inode); None when it is missing."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def open_reader(path: Path, *, fresh: bool) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file at ``path``.

    ``fresh`` opens it under a new name so this process's DuckDB instance cache
    cannot hand back the database of a file that has since been replaced.
    """
    if not fresh:
        return duckdb.connect(str(path), read_only=True)
    alias = path.with_name(f".{path.name}.{uuid.uuid4().hex}.reader")
    os.link(path, alias)
    try:
        return duckdb.connect(str(alias), read_only=True)
    finally:
        alias.unlink(missing_ok=True)


@dataclass
class WriterSession:
    """A read-write connection to the store, in place or on a copy to publish."""

    store: Path
    conn: duckdb.DuckDBPyConnection
    lock: FileLock
    copy: Path | None  # the copy being written, when readers hold the store

    def close(self) -> None:
        """Close, and publish the copy (every committed transaction in it)."""
        try:
            self.conn.close()
            if self.copy is not None:
                _fsync(self.copy)
                os.replace(self.copy, self.store)
                _fsync_dir(self.store.parent)
        finally:
            self.lock.release()


def open_writer(path: Path) -> WriterSession:
    """The store opened for writing; a clear error when another writer holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path.parent / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise WorkspaceBusy(
            f"another ingest or index run is writing to {path.parent}",
            hint="wait for it to finish and run the command again",
        ) from exc
    try:
        copy = path.with_name(path.name + NEXT_SUFFIX)
        _remove_copy(copy)  # left by a writer that crashed: never published, never wanted
        try:
            return WriterSession(path, duckdb.connect(str(path)), lock, None)
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise
        # Readers (the web app, a running `insight ask`) hold the store: write a copy.
        shutil.copyfile(path, copy)
        wal = Path(str(path) + ".wal")
        if wal.exists():
            shutil.copyfile(wal, Path(str(copy) + ".wal"))
        return WriterSession(path, duckdb.connect(str(copy)), lock, copy)
    except BaseException:
        lock.release()
        raise


def _remove_copy(copy: Path) -> None:
    copy.unlink(missing_ok=True)
    Path(str(copy) + ".wal").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems cannot fsync a directory; the rename still stands
        pass
