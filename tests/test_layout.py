"""The layout shows the architecture: imports flow one way, ui -> assistant -> tools ->
vectorstore, with assistant/errors.py the one leaf below them all; the demo generator
only generates (the pipeline loads and derives)."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    "folder, forbidden, allowed",
    [
        ("tools", ("assistant", "ui"), {"assistant.errors"}),
        ("vectorstore", ("assistant", "tools", "ui"), {"assistant.errors"}),
        (
            "assistant/demo",
            ("assistant.workspace", "assistant.data.ingest", "assistant.pipeline"),
            set(),
        ),
    ],
)
def test_imports_flow_one_way(folder, forbidden, allowed):
    offenders = []
    for path in _modules(folder):
        for module in _imports(path):
            if module in allowed:
                continue
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, offenders
