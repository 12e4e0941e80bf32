"""What a tool needs from the workspace, passed in by whoever binds the tools.

``tools`` never imports ``assistant``: the agent builds a ToolContext from its
workspace (cursor factory, lazily loaded embedder/index, models directory) and the
caller's role, and every tool reads only from it. Tests build one directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tools.access import check_role

# Cached resources that do not derive from the shop's data: they survive a newly
# published store. The review index is not among them: an index run in another
# process publishes a store too, and the index must then be reopened to see it.
PROCESS_RESOURCES = frozenset({"embedder"})
_GENERATION_KEY = "__store_generation__"


@dataclass
class ToolContext:
    cursor: Callable[[], duckdb.DuckDBPyConnection]
    role: str = "admin"
    models_dir: Path | None = None
    embedder_loader: Callable[[], Any] | None = None
    index_loader: Callable[[], Any] | None = None
    # The store's generation (it changes when a writer publishes new data while we
    # run); cached data-derived resources are dropped when it moves.
    generation: Callable[[], int] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # Re-entrant: a loader may itself use ctx.cached (the planner builds on the catalog).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        check_role(self.role)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """Load an expensive resource once per context (thread-safe)."""
        with self._lock:
            self._drop_stale()
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def _drop_stale(self) -> None:
        if self.generation is None:
            return
        now = self.generation()
        if self._cache.get(_GENERATION_KEY, now) != now:
            kept = {k: v for k, v in self._cache.items() if k in PROCESS_RESOURCES}
            self._cache.clear()
            self._cache.update(kept)
        self._cache[_GENERATION_KEY] = now

    @property
    def embedder(self):
        if self.embedder_loader is None:
            raise RuntimeError("this tool context has no embedder")
        return self.cached("embedder", self.embedder_loader)

    @property
    def review_index(self):
        if self.index_loader is None:
            raise RuntimeError("this tool context has no review index")
        return self.cached("review_index", self.index_loader)

    @property
    def aspect_taxonomy(self):
        """The workspace's aspect taxonomy (``aspects.yaml`` beside ``models/``, the file the
        labelling step reads; else the packaged one). Reloaded when the file changes, so
        an aspect a shop adds is recognised in chat without a restart."""
        from tools.aspects import workspace_taxonomy

        data_dir = self.models_dir.parent if self.models_dir else None
        path = data_dir / "aspects.yaml" if data_dir else None
        stamp = path.stat().st_mtime_ns if path and path.exists() else None
        return self.cached(f"aspect_taxonomy:{stamp}", lambda: workspace_taxonomy(data_dir))

    def with_role(self, role: str) -> ToolContext:
        """Same resources (shared cache), another role."""
        ctx = ToolContext(
            self.cursor,
            role,
            self.models_dir,
            self.embedder_loader,
            self.index_loader,
            self.generation,
        )
        ctx._cache, ctx._lock = self._cache, self._lock
        return ctx
