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


@dataclass
class ToolContext:
    cursor: Callable[[], duckdb.DuckDBPyConnection]
    role: str = "admin"
    models_dir: Path | None = None
    embedder_loader: Callable[[], Any] | None = None
    index_loader: Callable[[], Any] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    # Re-entrant: a loader may itself use ctx.cached (the planner builds on the catalog).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        check_role(self.role)

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """Load an expensive resource once per context (thread-safe)."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

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

    def with_role(self, role: str) -> ToolContext:
        """Same resources (shared cache), another role."""
        ctx = ToolContext(
            self.cursor, role, self.models_dir, self.embedder_loader, self.index_loader
        )
        ctx._cache, ctx._lock = self._cache, self._lock
        return ctx
