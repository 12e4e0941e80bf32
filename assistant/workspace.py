"""A workspace is one data directory: the DuckDB store, the review index, trained
models, conversation threads, the audit log and the quarantine of rejected rows.

Everything that needs data gets it from here, so there is one place that knows
the layout on disk and one writer lock.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from filelock import FileLock, Timeout

from assistant.config import Settings, load_settings
from assistant.data.schema import migrate
from assistant.errors import BackendError, UserError, WorkspaceBusy

if TYPE_CHECKING:
    from tools.context import ToolContext
    from tools.toolbox import Toolbox
    from vectorstore.embeddings import Embedder
    from vectorstore.index import ReviewIndex


class Workspace:
    def __init__(self, settings: Settings, *, read_only: bool = False) -> None:
        self.settings = settings
        self.path: Path = settings.data_dir
        self.read_only = read_only
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_lock = threading.Lock()

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
            ws.path.mkdir(parents=True, exist_ok=True)
        ws.connect()
        return ws

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The process-wide connection; use :meth:`cursor` from worker threads."""
        with self._conn_lock:
            if self._conn is None:
                try:
                    self._conn = duckdb.connect(
                        str(self.settings.store_path), read_only=self.read_only
                    )
                except duckdb.IOException as exc:
                    raise WorkspaceBusy(
                        f"cannot open the store {self.settings.store_path}: {exc}",
                        hint="another process (the app or an `insight` command) may be writing to it",
                    ) from exc
                if not self.read_only:
                    migrate(self._conn)
            return self._conn

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        return self.connect()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor safe to use from the calling thread (DuckDB connections are not)."""
        return self.connect().cursor()

    def close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

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

        return load_embedder(
            self.settings.embedding_model, batch_size=self.settings.embedding_batch_size
        )

    @cached_property
    def review_index(self) -> ReviewIndex:
        from vectorstore.index import open_review_index

        return open_review_index(
            path=self.settings.index_dir,
            embedder=self.embedder,
            host=self.settings.chroma_host,
            port=self.settings.chroma_port,
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
        return {name: cur.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}

    def require_rows(self, table: str) -> None:
        if self.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
            raise BackendError(f"the workspace has no {table}", hint="ingest data first")
