"""A workspace is one data directory: the DuckDB store, the review index, trained
models, conversation threads, the audit log and the quarantine of rejected rows.

Everything that needs data gets it from here, so there is one place that knows
the layout on disk and one writer lock.

The workspace holds customers' contact details (the store, and the threads
database whose WAL keeps support tool results), so it is private to its owner:
the directory is 0700 and its files 0600. Opening a workspace tightens what is
already there and the process umask, since SQLite, DuckDB and Chroma create their
WAL, journal and segment files whenever they need them, long after the open.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from filelock import FileLock, Timeout

from assistant import storefile
from assistant.config import Settings, load_settings
from assistant.data.schema import migrate
from assistant.errors import BackendError, UserError, WorkspaceBusy

# How often a long-running reader (the web app) looks for a newly published store.
REFRESH_SECONDS = 0.5

if TYPE_CHECKING:
    from tools.context import ToolContext
    from tools.toolbox import Toolbox
    from vectorstore.embeddings import Embedder
    from vectorstore.index import ReviewIndex


PRIVATE_UMASK = 0o077


def make_private(path: Path) -> None:
    """Create ``path`` as a 0700 directory, or make it one, and make everything under
    it owner-only (directories 0700, files 0600); from now on this process creates
    files private to its owner."""
    # Tighten only: a stricter umask set by the caller stays.
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    uid = os.getuid()
    for root, dirs, files in os.walk(path):
        for name in [None, *dirs, *files]:
            target = Path(root) if name is None else Path(root) / name
            try:
                st = target.lstat()
            except FileNotFoundError:  # a lock or journal file that came and went
                continue
            if st.st_uid != uid or stat.S_ISLNK(st.st_mode):
                continue
            mode = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
            if stat.S_IMODE(st.st_mode) & ~mode:
                os.chmod(target, stat.S_IMODE(st.st_mode) & mode)


# A request still running when the app shuts down (a page's digest mid-query) holds
# the connection; DuckDB refuses to close it until that call ends.
_CLOSE_TRIES = 50
_CLOSE_PAUSE_S = 0.05


def _close_when_idle(conn: duckdb.DuckDBPyConnection) -> None:
    """Close ``conn``, interrupting a query another thread still runs on it."""
    busy = getattr(duckdb, "ResourceInUseException", ())
    for _ in range(_CLOSE_TRIES):
        try:
            conn.close()
            return
        except busy:
            conn.interrupt()
            time.sleep(_CLOSE_PAUSE_S)
    conn.close()


class Workspace:
    def __init__(self, settings: Settings, *, read_only: bool = False) -> None:
        self.settings = settings
        self.path: Path = settings.data_dir
        self.read_only = read_only
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_lock = threading.Lock()
        self._writer: storefile.WriterSession | None = None
        self._retired: duckdb.DuckDBPyConnection | None = None
        self._store_id: tuple[int, int] | None = None
        self._checked_at = 0.0
        # Bumped each time a reader switches to a newly published store: caches of
        # data-derived things (catalog, recommender inputs) are stale from then on.
        self.generation = 0

    # -- opening -----------------------------------------------------------
    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        create: bool = False,
        read_only: bool = False,
        settings: Settings | None = None,
    ) -> Workspace:
        """Open the workspace at ``data_dir`` (or the configured one).

        ``create`` makes the directory and store if missing; otherwise a missing
        store is a clear error telling the user how to make one.
        """
        settings = settings or load_settings()
        if data_dir is not None:
            settings = settings.model_copy(update={"data_dir": Path(data_dir)})
        ws = cls(settings, read_only=read_only)
        if not ws.settings.store_path.exists():
            if not create:
                raise UserError(
                    f"no workspace store at {ws.settings.store_path}",
                    hint="run `insight demo` or `insight ingest PATH` first, or pass --data-dir / set INSIGHT_DATA_DIR",
                )
        make_private(ws.path)
        ws.connect()
        return ws

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The process-wide connection; use :meth:`cursor` from worker threads."""
        with self._conn_lock:
            if self._conn is None:
                store = self.settings.store_path
                try:
                    if self.read_only:
                        self._conn = storefile.open_reader(store, fresh=False)
                    else:
                        self._writer = storefile.open_writer(store)
                        self._conn = self._writer.conn
                except duckdb.IOException as exc:
                    raise WorkspaceBusy(
                        f"cannot open the store {store}: an ingest or index run is writing to it",
                        hint="run the command again when it has finished",
                    ) from exc
                self._store_id = storefile.identity(store)
                self._checked_at = time.monotonic()
                if not self.read_only:
                    migrate(self._conn)
            elif self.read_only:
                self._follow_store()
            return self._conn

    def _follow_store(self) -> None:
        """Switch to the store a writer published since we opened ours (caller holds the lock).

        Checked at most every ``REFRESH_SECONDS``: one stat, no query. Queries already
        running finish on the file they started on.
        """
        now = time.monotonic()
        if now - self._checked_at < REFRESH_SECONDS:
            return
        self._checked_at = now
        store = self.settings.store_path
        current = storefile.identity(store)
        if current is None or current == self._store_id:
            return
        try:
            fresh = storefile.open_reader(store, fresh=True)
        except (duckdb.IOException, OSError):
            return  # a writer holds the new file right now; keep serving the old one
        # The replaced connection may still have cursors mid-query in other threads:
        # retire it, and close only the one retired before it.
        if self._retired is not None:
            self._retired.close()
        self._retired, self._conn = self._conn, fresh
        self._store_id = current
        self.generation += 1
        # An index run publishes a store as well; Chroma caches what a process has
        # read, so the index is reopened afresh on next use.
        self.__dict__.pop("review_index", None)

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        return self.connect()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor safe to use from the calling thread (DuckDB connections are not)."""
        return self.connect().cursor()

    def close(self) -> None:
        with self._conn_lock:
            if self._writer is not None:
                self._writer.close()  # publishes the copy when readers held the store
                self._writer = None
            elif self._conn is not None:
                _close_when_idle(self._conn)
            self._conn = None
            if self._retired is not None:
                self._retired.close()
                self._retired = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writers -----------------------------------------------------------
    @contextmanager
    def writer_lock(self, timeout: float = 0):
        """One writer at a time for the index and models; a second one gets a clear error."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path / ".writer.lock"))
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise WorkspaceBusy(
                f"another process is writing to the workspace {self.path}",
                hint="wait for it to finish (it holds .writer.lock) and run the command again",
            ) from exc
        try:
            yield
        finally:
            lock.release()

    # -- derived resources, loaded on first use ------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        from vectorstore.embeddings import load_embedder
        from vectorstore.model_choice import workspace_model

        return load_embedder(
            workspace_model(self.settings.embedding_model, self.cursor()),
            batch_size=self.settings.embedding_batch_size,
            cache_path=self.path / "cache" / "embeddings.sqlite",
        )

    @cached_property
    def review_index(self) -> ReviewIndex:
        from vectorstore.index import open_review_index

        return open_review_index(
            path=self.settings.index_dir,
            embedder=self.embedder,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
            fresh=self.generation > 0,
        )

    # -- what tools see ---------------------------------------------------------------
    @cached_property
    def _tool_base(self) -> ToolContext:
        from tools.context import ToolContext

        return ToolContext(
            cursor=self.cursor,
            role="admin",
            models_dir=self.settings.models_dir,
            embedder_loader=lambda: self.embedder,
            index_loader=lambda: self.review_index,
            generation=lambda: self.generation,
        )

    def tool_context(self, role: str) -> ToolContext:
        """The one place a ToolContext is built: the role's view of this workspace.
        Every role's context shares the loaded embedder, index and caches."""
        return self._tool_base.with_role(role)

    def toolbox(self, role: str) -> Toolbox:
        """The role's guarded entry to the tools over this workspace."""
        from tools.toolbox import Toolbox

        return Toolbox(self.tool_context(role))

    def table_counts(self) -> dict[str, int]:
        from assistant.data.schema import TABLES

        cur = self.cursor()
        return {name: cur.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}  # noqa: S608 -- table names from the schema constants

    def require_rows(self, table: str) -> None:
        if self.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:  # noqa: S608 -- callers pass a canonical table name, never input
            raise BackendError(f"the workspace has no {table}", hint="ingest data first")
