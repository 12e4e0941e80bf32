"""Product-kind words across languages, planned on both demo shops (generated and
ingested only, at half size: planning needs the store and an embedder). A Chinese
kind word names the English shop's product; an English one the Chinese shop's."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planner.decide import Decider
from assistant.planner.model import choose
from assistant.planner.thread import Thread
from tools import resolve
from tools.context import ToolContext

TODAY = date(2026, 11, 1)


def _shop(tmp_path_factory, lang: str, model: str):
    from assistant.pipeline import build_demo
    from assistant.workspace import Workspace
    from vectorstore.embeddings import load_embedder

    path = tmp_path_factory.mktemp(f"kinds_{lang}") / "ws"
    build_demo(path, seed=7, scale=0.5, lang=lang)
    ws = Workspace.open(path, read_only=True)
    embedder = load_embedder(model)
    return ws, ToolContext(ws.cursor, "admin", ws.settings.models_dir, lambda: embedder)


@pytest.fixture(scope="module")
def en_ctx(tmp_path_factory):
    ws, ctx = _shop(tmp_path_factory, "en", "")
    yield ctx
    ws.close()


@pytest.fixture(scope="module")
def zh_ctx(tmp_path_factory):
    ws, ctx = _shop(tmp_path_factory, "zh", "multilingual-e5-small")
    yield ctx
    ws.close()


def _planned(ctx, question: str, lang: str = "zh"):
    """The plan and what its product words resolve to (args, or a Choice to ask)."""
    p = Decider(ctx, TODAY, set()).plan(Thread(question=question))
    assert p.kind == "tools", (question, p.text)
    assert p.resolve, (question, p.calls)
    return p, choose(resolve.products(ctx, p.resolve), p.resolve, False, lang)


def _id(ctx, title_start: str) -> str:
    rows = (
        ctx.cursor()
        .execute("SELECT product_id FROM products WHERE title LIKE ?", [title_start + " %"])
        .fetchall()
    )
    assert len(rows) == 1, (title_start, rows)
    return rows[0][0]


def test_a_chinese_kind_word_names_the_english_product(en_ctx):
    # Without 水壶 -> kettle, the Kessler Classic kettle, pan and toaster were offered.
    p, picked = _planned(en_ctx, "Kessler Classic 水壶的评论")
    assert "search_reviews" in [name for name, _ in p.calls]
    assert picked == {"product_id": _id(en_ctx, "Kessler Classic Electric Kettle")}
    _, picked = _planned(en_ctx, "Kessler Classic 电热水壶漏水吗")
    assert picked == {"product_id": _id(en_ctx, "Kessler Classic Electric Kettle")}


def test_a_chinese_kind_with_its_feature_offers_only_those_products(en_ctx):
    _, picked = _planned(en_ctx, "那款降噪耳机怎么样")
    assert picked.plan.kind == "clarify" and "您指的是哪一个" in picked.plan.text
    assert picked.options
    assert all("noise cancelling" in o["title"].lower() for o in picked.options)


def test_an_english_kind_word_names_the_chinese_product(zh_ctx):
    kettle = _id(zh_ctx, "Kessler Classic 电热水壶")
    assert _planned(zh_ctx, "Kessler Classic kettle 的评论怎么样")[1] == {"product_id": kettle}
    assert _planned(zh_ctx, "Kessler Classic electric kettle reviews", "en")[1] == {
        "product_id": kettle
    }


def test_an_english_kind_word_alone_offers_the_chinese_shops_kettles(zh_ctx):
    _, picked = _planned(zh_ctx, "kettle 的差评")
    assert picked.plan.kind == "clarify"
    assert picked.options and all("电热水壶" in o["title"] for o in picked.options)
