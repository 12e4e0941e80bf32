"""campaign_brief (tools/campaign.py) on the demo shop, its draft from prompts/, and a
remote model writing the copy from the same result under the faithfulness check."""

from __future__ import annotations

import json

import pytest

from assistant.errors import UserError
from assistant.evaluation.faithfulness import trace_answer
from assistant.planner.campaign import draft
from tools.campaign import campaign_brief
from tools.customers import find_customers
from tools.recsys.health import held_back

FILTERS = {"category": "Running Shoes", "churn_risk": "high"}


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return demo_ws.tool_context("marketer")


@pytest.fixture(scope="module")
def brief(ctx):
    return campaign_brief(ctx, **FILTERS, offer_percent=10, k=3)


def test_the_audience_is_the_one_find_customers_builds(ctx, brief):
    audience = find_customers(ctx, **FILTERS, all_ids=True)
    a = brief["audience"]
    assert a["count"] == audience["count"] > 0
    assert sum(a["segments"].values()) == a["count"]
    assert a["churn_risk"] == {"high": a["count"]}
    assert "churn risk high" in a["built"] and "Running Shoes" in a["built"]


def test_what_they_bought_and_when_is_from_their_orders(ctx, brief):
    cur = ctx.cursor()
    ids = find_customers(ctx, **FILTERS, all_ids=True)["ids"]
    top = brief["bought"]["products"][0]
    (buyers, last) = cur.execute(
        """SELECT count(DISTINCT o.customer_id), max(o.ordered_at)::DATE::VARCHAR FROM orders o
           JOIN order_items i USING (order_id)
           WHERE o.status = 'completed' AND i.product_id = ? AND o.customer_id IN (SELECT unnest(?))""",
        [top["product_id"], ids],
    ).fetchone()
    assert (top["buyers"], top["last_bought"]) == (buyers, last)
    counts = [p["buyers"] for p in brief["bought"]["products"]]
    assert counts == sorted(counts, reverse=True)


def test_praise_quotes_are_positive_clauses_of_the_category(ctx, brief):
    cur = ctx.cursor()
    assert brief["praise_scope"] == {"category": "Running Shoes"} and brief["praise"]
    for aspect in brief["praise"]:
        for quote in aspect["quotes"]:
            (category, polarity) = cur.execute(
                """SELECT p.category, a.polarity FROM review_aspects a
                   JOIN reviews r USING (review_id) JOIN products p USING (product_id)
                   WHERE a.review_id = ? AND a.aspect = ?""",
                [quote["review_id"], aspect["aspect"]],
            ).fetchone()
            assert (category, polarity) == ("Running Shoes", "positive")
    assert set(brief["evidence"]["reviews"]) == {
        q["review_id"] for a in brief["praise"] for q in a["quotes"]
    }


def test_featured_products_are_recommended_and_never_held_back(ctx, brief):
    unhealthy = held_back(ctx)
    featured = brief["featured"]
    assert 1 <= len(featured) <= 3
    assert all(f["category"] == "Running Shoes" for f in featured)
    assert not {f["product_id"] for f in featured} & set(unhealthy)
    assert {h["product_id"] for h in brief["held_back"]} <= set(unhealthy)


def test_the_draft_is_filled_from_the_brief(brief):
    subject, body = draft(brief)
    top = brief["praise"][0]
    assert subject.startswith("10% off Running Shoes")
    assert top["quotes"][0]["review_id"] in body
    assert all(f["title"] in body for f in brief["featured"])
    assert "{" not in subject + body
    text = f"Subject: {subject}\n\n{body}"
    assert trace_answer(text, [brief]).faithful


def test_a_chinese_catalogue_gets_a_chinese_draft(brief):
    import copy

    from assistant.planner.campaign import catalogue_language

    zh = copy.deepcopy(brief)
    names = iter(["疾风 跑鞋 男款", "轻羽 跑鞋 女款", "云跑 3 越野跑鞋", "极光 跑鞋", "星速 跑鞋"])
    retitled = {}
    for p in [*zh["bought"]["products"], *zh["featured"]]:
        p["title"] = retitled.setdefault(p["product_id"], next(names, "跑鞋"))
    zh["praise_scope"] = {**(zh.get("praise_scope") or {}), "category": "跑鞋"}
    assert catalogue_language(brief) == "en" and catalogue_language(zh) == "zh"
    subject, body = draft(zh)
    assert subject.startswith("跑鞋享10% 的优惠：买家称赞的") and body.startswith("您好：")
    assert zh["praise"][0]["quotes"][0]["review_id"] in body
    assert all(f["title"] in body for f in zh["featured"])
    assert "{" not in subject + body and "off" not in subject
    assert trace_answer(f"主题：{subject}\n\n{body}", [zh]).faithful


def test_bad_arguments_say_what_is_wrong(ctx):
    with pytest.raises(UserError, match="offer_percent"):
        campaign_brief(ctx, category="Kitchen", offer_percent=150)
    with pytest.raises(UserError, match="k must be"):
        campaign_brief(ctx, category="Kitchen", k=0)


def test_a_remote_model_writes_the_copy_and_the_check_reads_it(demo_dir, tmp_path):
    """With a remote model configured, the copy is the model's, written from the same
    tool result; the faithfulness check passes faithful copy and flags invented figures."""
    import shutil

    from assistant.agent import Assistant
    from assistant.config import Settings
    from tests.fakes import ScriptedChatModel, calls

    shop = tmp_path / "ws"
    shutil.copytree(demo_dir, shop, ignore=shutil.ignore_patterns(".writer.lock"))

    def copy_from_result(messages, invent=False):
        result = json.loads(messages[-1].content)
        a, top = result["audience"], result["praise"][0]
        share = round(top["share"] * 100)
        figure = 35 if invent else share
        return (
            f"Subject: {result['offer_percent']:g}% off running shoes\n"
            f"{figure}% of reviewers praise the {top['aspect']}. "
            f"Sent to {a['count']} customers."
        )

    results = {}
    for invent in (False, True):
        model = ScriptedChatModel(
            replies=[
                calls(("campaign_brief", {**FILTERS, "offer_percent": 10})),
                lambda m, invent=invent: copy_from_result(m, invent),
            ]
        )
        settings = Settings(model="openai:scripted", openai_api_key="test-key", max_retries=0)
        with Assistant.open(shop, settings=settings, remote_factory=lambda n, s, m=model: m) as a:
            answer = a.ask("Draft an email to at-risk running-shoe buyers, 10% off")
        assert answer.backend == "openai:scripted" and not answer.fell_back
        results[invent] = trace_answer(answer.text, [c.result for c in answer.tool_calls])
    assert results[False].faithful
    assert not results[True].faithful


def test_held_back_reasons_in_chinese_say_the_same_figures(brief):
    from assistant.evaluation.faithfulness import _NUMBER
    from assistant.planner.campaign import _held_words
    from assistant.planner.render import spec
    from tools.recsys.health import reason_text, why_held

    def figures(text: str) -> list[str]:
        return sorted(m.group(0).strip() for m in _NUMBER.finditer(text))

    assert brief["held_back"], "the demo shop holds its defect products back"
    words = spec("zh")["campaign_brief"]["held_reasons"]
    for h in brief["held_back"]:
        assert reason_text(h["reason_parts"]) == h["reason"]
        zh = _held_words(h["reason_parts"], words)
        assert zh.startswith("近 90 天") and figures(zh) == figures(h["reason"]), (zh, h)
    both = why_held(reviews=22, negative=18 / 22, orders=81, returns=33 / 81)
    assert reason_text(both) == (
        "82% negative reviews (18 of 22) and 41% of orders returned (33 of 81) in the last 90 days"
    )
    assert (
        _held_words(both, words)
        == "近 90 天差评占 82%（22 条中 18 条），41% 的订单被退货（81 单中 33 单）"
    )
    assert _held_words(both, None) is None  # English keeps the tool's sentence
