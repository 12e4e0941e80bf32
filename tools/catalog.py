"""find_product: names to product ids, as a tool.

Matching itself lives in tools/resolve.py, the one resolver every tool, the planner
and the web panels share, so a name resolves the same wherever it is typed.
"""

from __future__ import annotations

from typing import NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import resolve
from tools.context import ToolContext

# Kept importable from here for modules that read the catalog or encode queries.
from tools.resolve import catalog, encode_queries, normalise, words  # noqa: F401
from tools.spec import ToolSpec, strict


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


class Candidate(TypedDict):
    product_id: str
    title: str
    brand: str | None
    category: str | None
    confidence: float
    best_by: NotRequired[list[str]]  # signals it ranks first by (always offered)


class CategoryMatch(TypedDict):
    category: str
    confidence: float


@strict
class FindProductResult(TypedDict):
    query: str
    candidates: list[Candidate]
    categories: list[CategoryMatch]
    ambiguous: bool
    n: int
    evidence: dict[str, list[str]]


SPECS = (
    ToolSpec(
        name="find_product",
        engine=find_product,
        args=FindProductArgs,
        result=FindProductResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="none",
        label="Product lookup",
        purpose="look up products by name",
        description="Resolve a product named in words (title fragment, brand, typo or id) to "
        "ranked candidates with a confidence, plus matching categories. Use before tools that "
        "need a product_id when the user named the product in words.",
    ),
)
