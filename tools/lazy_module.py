"""A module imported on first use, for heavy libraries only some calls need.

``pd = lazy_module("pandas")`` at the top of a tool module reads like the import it
replaces, and pandas (about a second of a cold start on a busy machine) is imported
when a function first touches ``pd.``, not when the tool registry imports every tool
module. Annotations that name ``pd.DataFrame`` cost nothing: every tool module has
``from __future__ import annotations``.

Nothing is put in ``sys.modules`` before the real import, so "is pandas loaded?"
(tests/test_startup.py) keeps meaning what it says.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_module(name: str) -> LazyModule:
    return LazyModule(name)
