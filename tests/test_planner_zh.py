"""The planner reads Chinese questions: intents (multilingual exemplars, whatever the
shop's index model), entities (ratings, counts, sentiment, periods, aspects,
categories through the alias table both ways, English product names inside Chinese),
clarifications and refusals in Chinese, and a review query that keeps the question's
own words.

Both demo shops are generated and ingested only (no index, no sentiment): planning
needs the store and an embedder. The Chinese shop plans with multilingual-e5, the
English one with MiniLM, so a Chinese question on it crosses models.
"""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from assistant.planner.decide import Decider, clarify, refusal
from assistant.planner.entities import Entities
from assistant.planner.entities_zh import read_zh
from assistant.planner.intents import IntentModel, split_clauses
from assistant.planner.model import choose
from assistant.planner.thread import Paused, Thread
from assistant.templates import placeholders
from tests.conftest import ROOT
from tools import resolve
from tools.context import ToolContext

TODAY = date(2026, 11, 1)
SCALE = 0.5


# -- texts ------------------------------------------------------------------------------
def _templates(doc: dict, prefix: str = "") -> dict[str, set[str]]:
    out = {}
    for key in ("refusal", "refusal_example"):
        out[key] = placeholders(doc[key])
    for key, text in doc["clarify"].items():
        out[f"clarify.{key}"] = placeholders(text)
    return out


def test_chinese_planner_texts_have_the_english_keys_and_placeholders():
    en = yaml.safe_load((ROOT / "prompts" / "planner.yaml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((ROOT / "prompts" / "planner.zh.yaml").read_text(encoding="utf-8"))
    assert _templates(zh) == _templates(en)


def test_chinese_exemplars_name_only_known_tools():
    en = yaml.safe_load((ROOT / "prompts" / "intents.yaml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((ROOT / "prompts" / "intents.zh.yaml").read_text(encoding="utf-8"))
    assert set(zh["intents"]) <= set(en["intents"])
    assert all(entry["examples"] for entry in zh["intents"].values())
    assert zh["out_of_scope"]["examples"]


def test_refusal_and_clarification_in_the_question_language():
    assert "只能回答" in refusal("zh").text
    assert refusal("en").text.startswith("Sorry")
    text = clarify("customer_unknown", "zh", raw="C9", suggestions="C00009").text
    assert "C9" in text and "C00009" in text and "没有找到" in text


# -- entities without a store --------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("上个月的一星评价", {"min_rating": 1, "max_rating": 1, "sentiment": "negative"}),
        ("3星以下的评论", {"max_rating": 3}),
        ("四星及以上的评价", {"min_rating": 4, "sentiment": "positive"}),
        ("低于3星的评价", {"max_rating": 2, "sentiment": "negative"}),
        ("1到3星的评价", {"min_rating": 1, "max_rating": 3}),
        ("给我看看差评", {"sentiment": "negative", "min_rating": None}),
        ("有哪些好评", {"sentiment": "positive"}),
        ("哪些客户不满意", {"sentiment": "negative"}),
        ("前五条评论", {"k": 5}),
        ("前10个产品", {"k": 10}),
        ("推荐三个商品", {"k": 3}),
        ("最近三个月的评价", {"k": None}),
        ("五星评价", {"k": None, "min_rating": 5}),
        ("哪些老客户有流失风险", {"churn_risk": "high"}),
        ("90天没有下单的客户", {"inactive_days": 90}),
        ("每个月的销售额", {"metric": "revenue", "group_by": "month"}),
        ("各类目的退货率", {"metric": "return_rate", "group_by": "category"}),
        ("这款的差评", {"product_pronoun": True}),
        ("他们的工单", {"customer_pronoun": True}),
    ],
)
def test_chinese_entities(question, expected):
    e = Entities()
    read_zh(question, e)
    for name, value in expected.items():
        assert getattr(e, name) == value, (question, name)


def test_chinese_clauses():
    assert split_clauses("C00042 的客户画像，还有应该给他推荐什么？", "zh") == [
        "C00042 的客户画像",
        "应该给他推荐什么",
    ]
    assert split_clauses("上个月，耳机的差评", "zh") == ["上个月，耳机的差评"]
    assert split_clauses("P0016 和 P0059 哪个好", "zh") == ["P0016 和 P0059 哪个好"]


def test_a_chinese_reply_picks_by_position():
    options = [{"product_id": f"P{i}", "title": f"Kettle {i}"} for i in range(3)]
    paused = Paused("水壶的差评", options)
    assert paused.pick("第二个")["product_id"] == "P1"
    assert paused.pick("就第一款吧")["product_id"] == "P0"
    assert paused.pick("最后一个")["product_id"] == "P2"
    assert paused.pick("第二个产品的差评怎么样") is None


# -- over the demo shops ------------------------------------------------------------
def _shop(tmp_path_factory, lang: str):
    from assistant.pipeline import build_demo
    from assistant.workspace import Workspace

    path = tmp_path_factory.mktemp(f"planner_{lang}") / "ws"
    build_demo(path, seed=7, scale=SCALE, lang=lang)
    return Workspace.open(path, read_only=True)


@pytest.fixture(scope="module")
def zh_ctx(tmp_path_factory):
    from vectorstore.embeddings import load_embedder

    ws = _shop(tmp_path_factory, "zh")
    embedder = load_embedder("multilingual-e5-small")
    yield ToolContext(ws.cursor, "admin", ws.settings.models_dir, lambda: embedder)
    ws.close()


@pytest.fixture(scope="module")
def en_ctx(tmp_path_factory):
    from vectorstore.embeddings import load_embedder

    ws = _shop(tmp_path_factory, "en")
    embedder = load_embedder("")
    yield ToolContext(ws.cursor, "admin", ws.settings.models_dir, lambda: embedder)
    ws.close()


def plan(ctx, question):
    return Decider(ctx, TODAY, set()).plan(Thread(question=question))


def tools_of(p) -> list[str]:
    return [name for name, _ in p.calls]


def args_of(p, tool: str) -> dict:
    return dict(p.calls)[tool]


def product_id(ctx, title_start: str) -> str:
    """The id the demo shop gave a product (ids depend on the scale it is built at)."""
    rows = (
        ctx.cursor()
        .execute("SELECT product_id FROM products WHERE title LIKE ?", [title_start + " %"])
        .fetchall()
    )
    assert len(rows) == 1, (title_start, rows)
    return rows[0][0]


def resolved(ctx, p):
    return choose(resolve.products(ctx, p.resolve), p.resolve, False, "zh")


def test_chinese_question_on_the_chinese_shop(zh_ctx):
    p = plan(zh_ctx, "耳机的电池有什么问题？")
    assert tools_of(p) == ["search_reviews"]
    args = args_of(p, "search_reviews")
    assert args["category"] == "耳机"
    assert args["sentiment"] == "negative"
    assert "电池" in args["query"]
    for filler in ("什么", "有", "问题？"):
        assert filler not in args["query"].split()


def test_english_category_name_finds_the_chinese_category(zh_ctx):
    p = plan(zh_ctx, "Headphones 的差评")
    assert args_of(p, "search_reviews")["category"] == "耳机"
    assert resolve.category(zh_ctx, "Running Shoes") == "跑鞋"


def test_english_product_name_inside_a_chinese_question(zh_ctx):
    p = plan(zh_ctx, "Stridex Tempo 3 的优缺点")
    assert tools_of(p) == ["product_insights"]
    assert resolved(zh_ctx, p) == {"product_id": product_id(zh_ctx, "Stridex Tempo 3")}


def test_chinese_product_words_resolve_through_the_catalog(zh_ctx):
    p = plan(zh_ctx, "有没有人说这款电热水壶漏水？")
    assert tools_of(p) == ["search_reviews"]
    assert "漏水" in args_of(p, "search_reviews")["query"]
    picked = resolved(zh_ctx, p)
    # Several kettles: the planner asks which one, in Chinese, listing only kettles.
    assert picked.plan.kind == "clarify" and "您指的是哪一个" in picked.plan.text
    assert all("电热水壶" in o["title"] for o in picked.options)


@pytest.mark.parametrize(
    ("question", "tool", "expected"),
    [
        ("给我看看客户 C00042 的画像", "customer_profile", {"customer_id": "C00042"}),
        ("给 C00042 推荐5个产品", "recommend_for_customer", {"customer_id": "C00042", "k": 5}),
        ("和 P0010 类似的产品", "similar_products", {"product_id": "P0010"}),
        ("哪些客户有流失风险？", "find_customers", {"churn_risk": "high"}),
        (
            "上个月的销售额按类目",
            "analyze",
            {"metric": "revenue", "by": ["category"], "since": "2026-10-01"},
        ),
        ("C00042 有没有未处理的工单", "tickets", {"customer_id": "C00042"}),
        ("给我前五条关于物流的差评", "search_reviews", {"k": 5, "sentiment": "negative"}),
    ],
)
def test_chinese_questions_pick_tool_and_arguments(zh_ctx, question, tool, expected):
    p = plan(zh_ctx, question)
    assert p.kind == "tools", p.text
    assert tool in tools_of(p)
    args = args_of(p, tool)
    for key, value in expected.items():
        assert args.get(key) == value, (question, key, args)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("给耳机写过差评的客户", {"category": "耳机", "sentiment": "negative"}),
        ("抱怨电池的客户有哪些", {"sentiment": "negative", "aspect": "battery"}),
        ("消费超过5000且90天没下单的核心客户", {"min_spend": 5000.0, "inactive_days": 90}),
        ("对耳机音质满意的客户", {"category": "耳机", "sentiment": "positive"}),
    ],
)
def test_a_description_of_customers_asks_for_them(zh_ctx, question, expected):
    p = plan(zh_ctx, question)
    assert tools_of(p) == ["find_customers"], (question, p.calls, p.text)
    args = args_of(p, "find_customers")
    assert {k: args.get(k) for k in expected} == expected, args


def test_a_chinese_campaign_reads_its_discount(zh_ctx):
    p = plan(zh_ctx, "给流失风险客户写一封营销邮件，耳机九折")
    assert tools_of(p) == ["campaign_brief"]
    args = args_of(p, "campaign_brief")
    assert args["offer_percent"] == 10.0 and args["churn_risk"] == "high"


@pytest.mark.parametrize("question", ["耳机的差评有哪些", "客户 C00042 写过的评论"])
def test_reviews_asked_for_stay_reviews(zh_ctx, question):
    assert "find_customers" not in tools_of(plan(zh_ctx, question))


def test_two_requests_in_one_chinese_question(zh_ctx):
    p = plan(zh_ctx, "C00042 的客户画像，还有应该给他推荐什么？")
    assert tools_of(p) == ["customer_profile", "recommend_for_customer"]


def test_chinese_refusal_and_clarification(zh_ctx):
    p = plan(zh_ctx, "今天上海天气怎么样")
    assert p.kind == "refuse" and "只能回答" in p.text
    p = plan(zh_ctx, "客户 C99999 的画像")
    assert p.kind == "clarify" and "C99999" in p.text and "没有找到" in p.text


def test_a_tool_the_role_lacks_is_named_in_chinese(zh_ctx):
    available = {"customer_profile", "analyze", "search_reviews"}
    p = Decider(zh_ctx, TODAY, available).plan(Thread(question="给 C00010 什么优惠"))
    assert p.kind == "clarify" and "客户优惠建议" in p.text, p.text
    assert "数据分析、客户画像、评论检索" in p.text and "suggest" not in p.text
    english = Decider(zh_ctx, TODAY, available).plan(Thread(question="What could we offer C00010?"))
    assert english.kind == "clarify" and "suggest what to offer a customer" in english.text


def test_chinese_question_on_the_english_shop(en_ctx):
    p = plan(en_ctx, "耳机的电池有什么问题？")
    assert tools_of(p) == ["search_reviews"]
    args = args_of(p, "search_reviews")
    assert args["category"] == "Headphones"
    assert "电池" in args["query"]
    assert resolve.category(en_ctx, "跑鞋") == "Running Shoes"
    # The English shop's MiniLM model never scores a Chinese question.
    assert IntentModel.for_question(en_ctx.embedder, "耳机的电池").embedder is not en_ctx.embedder


def test_english_product_name_in_chinese_on_the_english_shop(en_ctx):
    p = plan(en_ctx, "Aurora Pulse 的差评")
    assert "search_reviews" in tools_of(p)
    assert resolved(en_ctx, p) == {"product_id": product_id(en_ctx, "Aurora Pulse")}


def test_english_questions_stay_on_the_shop_model(en_ctx):
    p = plan(en_ctx, "What do buyers complain about for the Aurora Pulse headphones?")
    assert tools_of(p) == ["product_insights", "search_reviews"]
    assert IntentModel.for_question(en_ctx.embedder, "What changed?").embedder is en_ctx.embedder
