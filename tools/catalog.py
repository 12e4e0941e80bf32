"""find_product: names to product ids, as a tool.

Matching itself lives in tools/resolve.py, the one resolver every tool, the planner
and the web panels share, so a name resolves the same wherever it is typed.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from assistant.errors import UserError
from tools import resolve
from tools.context import ToolContext, errors_as_data

# Kept importable from here for modules that read the catalog or encode queries.
from tools.resolve import catalog, encode_queries, normalise, words  # noqa: F401


def find_product(ctx: ToolContext, text: str, k: int = 5) -> dict:
    """Products (and categories) a free-text mention most likely names, ranked."""
    if not (text or "").strip():
        raise UserError("find_product needs some words of the product's name, brand or id")
    return resolve.products(ctx, text, k)


class FindProductArgs(BaseModel):
    text: str = Field(
        description="Words naming the product: part of its title, its brand, or its id."
    )
    k: int = Field(default=5, ge=1, le=20, description="How many candidates to return.")


def build_tools(ctx: ToolContext) -> list[BaseTool]:
    @errors_as_data
    def _find_product(text: str, k: int = 5) -> dict:
        """Resolve a product named in words (title fragment, brand, typo or id) to ranked
        candidates with a confidence, plus matching categories. Use before tools that
        need a product_id when the user named the product in words."""
        return find_product(ctx, text, k)

    return [
        StructuredTool.from_function(
            _find_product, name="find_product", args_schema=FindProductArgs
        )
    ]
