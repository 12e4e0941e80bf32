"""Product-kind words cross languages (tools/aliases.yaml ``kinds``): 水壶 in a
question finds the kettle of an English shop, "kettle" the 电热水壶 of a Chinese one.
Small shops of a few titles; the demo shops are in test_resolve_kinds_demo.py."""

from __future__ import annotations

import pytest

from tools import resolve
from tools.context import ToolContext

EN_ROWS = [
    ("P1", "Sonora Pulse Noise Cancelling Headphones", "Sonora", "Headphones"),
    ("P2", "Kessler Classic Electric Kettle 1.7L", "Kessler", "Kitchen"),
    ("P3", "Kessler Classic Coffee Grinder", "Kessler", "Kitchen"),
    ("P4", "Nordhem Loft Throw Blanket", "Nordhem", "Home"),
]
ZH_ROWS = [
    ("P1", "Sonora Pulse 主动降噪耳机", "Sonora", "耳机"),
    ("P2", "Kessler Classic 电热水壶 1.7L", "Kessler", "厨房用品"),
    ("P3", "Kessler Classic 咖啡磨豆机", "Kessler", "厨房用品"),
    ("P5", "Hestia Trail 保温水壶 750ml", "Hestia", "户外"),
]


def _shop(ws, rows):
    ws.cursor().executemany(
        "INSERT INTO products (product_id, title, brand, category) VALUES (?, ?, ?, ?)", rows
    )
    return ToolContext(ws.cursor, models_dir=ws.settings.models_dir)


def _top(ctx, text):
    found = resolve.products(ctx, text)["candidates"]
    return found[0]["product_id"], found[0]["confidence"] - found[1]["confidence"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Kessler Classic 水壶的评论", "Kessler Classic kettle 的评论"),
        ("电热水壶漏水", "kettle 漏水"),
        ("那款降噪耳机", "那款 noise cancelling headphones"),
        ("磨豆机", "grinder"),
        ("毯子起球吗", "blanket 起球吗"),
        # A category name stays the category where the shop has it.
        ("耳机的电池", "Headphones 的电池"),
        # The shop's own words, and kinds it does not sell, stay as they are.
        ("Kessler kettles", "Kessler kettles"),
        ("跑鞋和台灯", "跑鞋和台灯"),
    ],
)
def test_chinese_kind_words_become_the_english_shops_words(empty_ws, question, expected):
    ctx = _shop(empty_ws, EN_ROWS)
    assert resolve.localise_categories(ctx, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Kessler Classic kettle reviews", "Kessler Classic 电热水壶 reviews"),
        ("any leaky Kettles?", "any leaky 电热水壶 ?"),
        ("coffee grinders", "coffee 磨豆机"),
        # 保温水壶 is a water bottle, not a kettle: the longer name wins.
        ("保温水壶", "保温水壶"),
        ("水壶的差评", "水壶的差评"),
        ("Headphones 的差评", "耳机 的差评"),
    ],
)
def test_english_kind_words_become_the_chinese_shops_words(empty_ws, question, expected):
    ctx = _shop(empty_ws, ZH_ROWS)
    assert resolve.localise_categories(ctx, question) == expected


def test_a_brand_and_model_with_a_chinese_kind_pick_one_english_product(empty_ws):
    ctx = _shop(empty_ws, EN_ROWS)
    # Without the kind word the kettle and the grinder of the same line tie.
    pid, lead = _top(ctx, "Kessler Classic 水壶")
    assert pid == "P2" and lead >= resolve.AMBIGUITY_MARGIN
    assert _top(ctx, "降噪耳机")[0] == "P1"


def test_an_english_kind_word_picks_the_chinese_product(empty_ws):
    ctx = _shop(empty_ws, ZH_ROWS)
    pid, lead = _top(ctx, "Kessler Classic kettle")
    assert pid == "P2" and lead >= resolve.AMBIGUITY_MARGIN


def test_the_shops_file_adds_a_kind_the_resolver_uses(empty_ws):
    ctx = _shop(empty_ws, EN_ROWS)
    data_dir = ctx.models_dir.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "aliases.yaml").write_text("kinds:\n  throw: [盖毯]\n", encoding="utf-8")
    assert resolve.localise_categories(ctx, "盖毯") == "throw"
    # Taken from the shipped blanket entry, which keeps its other names.
    assert resolve.localise_categories(ctx, "毛毯") == "blanket"


def test_an_english_variant_of_a_kind_finds_the_chinese_word(empty_ws):
    ctx = _shop(empty_ws, ZH_ROWS)
    assert resolve.localise_categories(ctx, "electric kettle") == "电热水壶"
