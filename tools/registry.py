"""The one list of the agent's tools: every capability module contributes ``build_tools``."""

from __future__ import annotations

import importlib

from langchain_core.tools import BaseTool

from tools.context import ToolContext

TOOL_MODULES = (
    "tools.reviews",
    "tools.insights",
    "tools.customers",
    "tools.recommend",
    "tools.metrics",
    "tools.catalog",
)


def build_all_tools(ctx: ToolContext) -> list[BaseTool]:
    """Every tool, bound to ``ctx``; a name defined twice is a bug, reported at once."""
    tools: list[BaseTool] = []
    seen: dict[str, str] = {}
    for module_name in TOOL_MODULES:
        module = importlib.import_module(module_name)
        for tool in module.build_tools(ctx):
            if tool.name in seen:
                raise RuntimeError(
                    f"tool {tool.name!r} is defined by both {seen[tool.name]} and {module_name}"
                )
            seen[tool.name] = module_name
            tools.append(tool)
    return tools
