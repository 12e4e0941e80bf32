"""Entity resolution over a messy catalog: ASIN-like and numeric ids, long titles,
brands, typos, categories spelt in several ways."""

from __future__ import annotations

import pytest

from assistant.errors import NotFoundError
from tools.catalog import find_product
from tools.context import ToolContext
from tools.resolve import category as resolve_category
from tools.resolve import customer_id, lookup_ids, normalise, similar_ids

LONG_TITLE = (
    "Nimbus Trail Runner 3 Men's Lightweight Breathable Running Shoes with Cushioned "
    "Sole for Road and Trail, Wide Fit, Available in Many Colours and Sizes - Black/Grey"
)
PRODUCTS = [
    ("B07XJ8C8F5", "Aurora Wireless Over-Ear Headphones, Noise Cancelling", "Aurora", "Headphones"),
    ("B07XJ8C8F6", "Aurora Wired Studio Headphones", "Aurora", "Headphones"),
    ("B01ABCDEF0", "Zenith Sport Earbuds", "Zenith", "Headphones"),
    ("B0NIMBUS03", LONG_TITLE, "Nimbus", "Running Shoes"),
    ("B0CASTIRON", "Castello Cast Iron Skillet 26cm", "Castello", "Kitchen"),
    ("4711", "The Lighthouse (Blu-ray)", "A24", "Movies & TV"),
    ("4712", "Amazon eGift Card - Birthday", "Amazon", "Gift_Cards"),
    ("4713", "Glow Vitamin C Serum", "Glow", "All Beauty"),
]
CUSTOMERS = [
    "AE2XMQ7J3VZ5WYQ4XGTRN6HLJ3KA",
    "C00042",
    "12345",
    "8f14e45f-ceea-467a-a866-051f4b7d1e2a",
]


@pytest.fixture
def ctx(empty_ws):
    cur = empty_ws.cursor()
    cur.executemany(
        "INSERT INTO products (product_id, title, brand, category) VALUES (?, ?, ?, ?)", PRODUCTS
    )
    cur.executemany("INSERT INTO customers (customer_id) VALUES (?)", [[c] for c in CUSTOMERS])
    return ToolContext(empty_ws.cursor, role="marketer")


def top(result):
    return result["candidates"][0]["product_id"]


def test_exact_id_of_any_shape(ctx):
    assert top(find_product(ctx, "b0castiron")) == "B0CASTIRON"
    assert find_product(ctx, "4711")["candidates"][0]["confidence"] == 1.0


def test_few_words_of_a_long_title(ctx):
    assert top(find_product(ctx, "nimbus trail runner")) == "B0NIMBUS03"
    assert top(find_product(ctx, "cast iron skillet")) == "B0CASTIRON"


def test_typo_and_brand(ctx):
    assert top(find_product(ctx, "castelo skilet")) == "B0CASTIRON"
    assert top(find_product(ctx, "zenit earbuds")) == "B01ABCDEF0"


def test_close_candidates_are_ambiguous(ctx):
    result = find_product(ctx, "aurora headphones")
    assert result["ambiguous"] is True
    assert {c["product_id"] for c in result["candidates"][:2]} == {"B07XJ8C8F5", "B07XJ8C8F6"}
    # A distinguishing word settles it.
    result = find_product(ctx, "aurora wireless headphones")
    assert top(result) == "B07XJ8C8F5" and result["ambiguous"] is False


def test_categories_in_any_spelling(ctx):
    assert normalise("Movies & TV") == "movies tv"
    assert resolve_category(ctx, "movies and tv") == "Movies & TV"
    assert resolve_category(ctx, "gift cards") == "Gift_Cards"
    assert resolve_category(ctx, "all beauty") == "All Beauty"
    assert resolve_category(ctx, "running shoes") == "Running Shoes"
    assert find_product(ctx, "headphones")["categories"][0]["category"] == "Headphones"
    with pytest.raises(NotFoundError):
        resolve_category(ctx, "garden furniture")


def test_customer_ids_are_looked_up_not_pattern_matched(ctx):
    for cid in CUSTOMERS:
        assert customer_id(ctx, cid.lower()) == cid
    found = lookup_ids(ctx, ["ae2xmq7j3vz5wyq4xgtrn6hlj3ka", "12345", "C99999", "4711"])
    assert found["customers"] == {"ae2xmq7j3vz5wyq4xgtrn6hlj3ka": CUSTOMERS[0], "12345": "12345"}
    assert found["products"] == {"4711": "4711"}
    with pytest.raises(NotFoundError) as err:
        customer_id(ctx, "C0042")
    assert err.value.suggestions == ["C00042"]
    assert similar_ids(ctx, "C00043", "customers")[0] == "C00042"


def test_tool_wraps_errors(ctx):
    from tools.toolbox import Toolbox

    def tool(**args):
        return Toolbox(ctx).call("find_product", **args).result

    assert tool(text="skillet")["candidates"][0]["product_id"] == "B0CASTIRON"
    assert tool(text=" ")["error"] == "UserError"
