"""Answers in the language of the question: the Chinese answer templates mirror the
English ones, every formatter writes a real result in both languages with the same
figures, and the checks of an eval run read Chinese answers as they read English."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pytest

from assistant import templates
from assistant.evaluation.cases import Case
from assistant.evaluation.faithfulness import _NUMBER, trace_answer
from assistant.evaluation.runner import _fact_stated, score_turn
from assistant.planner.compose import compose, read_as_marker, render_call
from assistant.planner.decide import Plan
from assistant.planner.entities import Entities
from assistant.planner.now import Now
from assistant.planner.periods import parse_period
from assistant.planner.render import period_line, spec
from assistant.planner.thread import Call, Thread

CJK = re.compile("[\u4e00-\u9fff]")
# Fixed words of the English templates: none may be left in a Chinese answer.
ENGLISH_FRAGMENTS = (
    "more not shown",
    "more rows not shown",
    "Read as",
    "nothing matched",
    "(from ",
    "orders contain it",
    "Churn risk",
    "average rating",
    "no history",
    "Side by side",
    "Contact details",
    "not on file",
    "What changed",
    "most relevant first",
    "Most complained",
    "Customer segments",
    "Recommendations for",
    "Bought together",
    "Products matching",
    "customers match",
    "Sentiment of",
    "Evidence:",
    "What to offer",
    "no data",
    "Period:",
)


# -- the Chinese files mirror the English ones ----------------------------------------
def _shape(doc, contract, where=""):
    """{path: placeholders} of every template; a data section by its own keys."""
    out = {}
    for key, value in doc.items():
        sub = contract.get(key, contract.get(templates.ANY)) if isinstance(contract, dict) else None
        path = f"{where}{key}"
        if isinstance(value, dict) and sub is not templates.DATA:
            out.update(_shape(value, sub or {}, path + "."))
        elif sub is templates.DATA:
            out[path] = sorted(value) if isinstance(value, dict) else len(value)
        else:
            out[path] = templates.placeholders(value)
    return out


READINGS = (
    "analyze.reading.",
    "compare_products.reading",
    "customer_profile.actions.",
    "recommend_for_customer.reasons.",
    "similar_products.reasons.",
    "digest.reading",
    "digest.titles.",
    "digest.also_lines.",
    "campaign_brief.held_reasons.",
    "find_customers.built.",
)


@pytest.mark.parametrize(
    "english, chinese",
    [("answers.yaml", "answers.zh.yaml"), ("conversation.yaml", "conversation.zh.yaml")],
)
def test_chinese_templates_have_the_keys_and_placeholders_of_the_english(english, chinese):
    templates.check_all()  # both load against the code's contract
    contract = templates._contracts[english]
    en = _shape(templates.load(english), contract)
    zh = _shape(templates.load(chinese), contract)
    # The tables of words are filled per language; which tables exist is shared.
    en = {k: v for k, v in en.items() if not k.startswith(("words.", "tool_labels"))}
    zh = {k: v for k, v in zh.items() if not k.startswith(("words.", "tool_labels"))}
    # English answers quote the analyst tools' own readings; Chinese words them.
    worded = {k for k in zh if k.startswith(READINGS)}
    assert bool(worded) == (english == "answers.yaml")
    assert not any(k.startswith(READINGS) for k in en)
    assert en == {k: v for k, v in zh.items() if k not in worded}
    if english == "answers.yaml":
        assert set(spec("en")["words"]) == set(spec("zh")["words"])
        assert len(spec("zh")["period"]["month_names"]) == 12
        assert spec("zh")["analyze"]["read_as"].startswith("理解为：")


def test_fallback_note_comes_in_the_question_language():
    from assistant.answer import fallback_note

    zh = fallback_note("上个月耳机的差评有哪些？", "openai:m", "timeout")
    en = fallback_note("What changed last month?", "openai:m", "timeout")
    assert "openai:m" in zh and "timeout" in zh and CJK.search(zh)
    assert en.startswith("(The remote model openai:m could not answer: timeout.")
    assert zh.endswith("\n\n") and en.endswith("\n\n")


def test_system_prompt_asks_for_the_question_language():
    text = templates._read("system.md")
    assert "language of the user's question" in text and "Chinese" in text


# -- the period line ------------------------------------------------------------------
NOW = Now(day=date(2026, 11, 1), today=date(2026, 11, 29), data_end=date(2026, 10, 31))


def test_the_period_line_in_both_languages():
    last_month = parse_period("last month", NOW.day)
    assert period_line(last_month, NOW, "en") == (
        "Period: 'last month' = October 2026; data runs to 2026-10-31, "
        "so periods count from that day."
    )
    zh = period_line(last_month, NOW, "zh")
    assert zh == "时间段：‘last month’ = 2026 年 10 月；数据截至 2026-10-31，相对时间从这一天起算。"
    # The line is read as prose: its figures are dates, none of them untraced.
    assert trace_answer(zh, []).faithful
    today = Now(day=date(2026, 10, 31), today=date(2026, 10, 31), data_end=date(2026, 10, 31))
    assert period_line(parse_period("this year", today.day), today, "zh") == (
        "时间段：‘this year’ = 2026-01-01 起；从今天 2026-10-31 起算。"
    )


# -- compose picks the question's language ---------------------------------------------
SEARCH_RESULT = {
    "results": [
        {"review_id": f"R00000{i}", "snippet": f"battery died after {i} hours", "rating": 2,
         "date": "2026-10-0{i}"}
        for i in range(1, 8)
    ],
    "n": 12,
    "title": "Aurora Pulse",
}  # fmt: skip


def _thread(question: str, calls: list[Call]) -> Thread:
    return Thread(question=question, calls=calls)


def _search(args=None) -> Call:
    args = args or {"query": "battery", "product_id": "P0016", "sentiment": "negative"}
    return Call("c1", "search_reviews", args, json.loads(json.dumps(SEARCH_RESULT)))


def test_compose_answers_in_the_language_of_the_question():
    plan = Plan("tools")
    en = compose(_thread("What do buyers say about the Aurora battery?", [_search()]), plan)
    zh = compose(_thread("Aurora 的电池有什么问题？", [_search()]), plan)
    assert en.startswith(
        "12 reviews for Aurora Pulse (P0016) (most relevant first, negative only):"
    )
    assert en.endswith("(7 more not shown)")
    assert zh.startswith("共 12 条评论（Aurora Pulse，P0016）（按相关度排序，仅看差评）：")
    assert zh.endswith("（还有 7 条未显示）")
    assert _figures(en) == _figures(zh)
    # A reply that picked an option answers the paused question, in that question's language.
    resumed = _thread("Aurora 的电池有什么问题？", [_search()])
    resumed.reply = "P0016"
    assert compose(resumed, plan).startswith("共 12 条评论")


def test_a_reply_of_ids_alone_keeps_the_conversation_language():
    reply = _thread("P0016", [_search()])
    reply.previous_question = "哪款耳机的电池问题最多？"
    assert compose(reply, Plan("tools")).startswith("共 12 条评论")
    reply.previous_question = "Which headphones have the most battery complaints?"
    assert compose(reply, Plan("tools")).startswith("12 reviews")
    # A question with words of its own is answered in its own language.
    english = _thread("and P0016?", [_search()])
    english.previous_question = "哪款耳机的电池问题最多？"
    assert compose(english, Plan("tools")).startswith("12 reviews")


def test_an_error_and_an_empty_answer_in_chinese():
    failed = Call("c1", "customer_profile", {"customer_id": "C9"}, {"error": "NotFoundError",
                  "message": "no customer 'C9'", "hint": "check the id"})  # fmt: skip
    assert render_call(failed, "zh") == ["客户画像无法回答：no customer 'C9' (check the id)"]
    assert compose(_thread("客户 C9 的画像", []), Plan("tools")) == "工具：没有符合条件的记录。"


def test_a_category_of_an_english_shop_shows_its_chinese_name():
    call = _search({"query": "", "category": "Headphones"})
    call.result["title"] = None
    (header,) = render_call(call, "zh")[:1]
    assert "类目：Headphones（耳机）" in header
    assert "in Headphones" in render_call(call, "en")[0]
    # And the other way round: a Chinese shop's category in an English answer.
    call.args["category"] = "耳机"
    assert "in 耳机 (Headphones)" in render_call(call, "en")[0]
    assert "类目：耳机）" in render_call(call, "zh")[0]
    # A category the alias table does not know is shown as the shop names it.
    call.args["category"] = "Garden Gnomes"
    assert "类目：Garden Gnomes）" in render_call(call, "zh")[0]


def test_the_period_line_follows_the_chinese_reading_line():
    result = {
        "metric": "revenue", "metric_label": "Revenue", "unit": "currency", "by": [],
        "filters": {}, "since": "2026-10-01", "until": "2026-10-31", "compare_since": None,
        "compare_until": None, "rows": [], "total": {"value": 1234.5, "n": 40},
        "interpretation": "revenue, 2026-10-01 to 2026-10-31", "left_out": 0, "notes": [],
    }  # fmt: skip
    plan = Plan("tools", entities=Entities(period=parse_period("上个月的销售额", NOW.day)))
    text = compose(
        _thread("上个月的销售额是多少？", [Call("c1", "analyze", {}, result)]), plan, NOW
    )
    head, period, total = text.split("\n")[:3]
    assert head.startswith(read_as_marker("zh")) and head.startswith("理解为：")
    assert period.startswith("时间段：") and "2026 年 10 月" in period
    assert total == "销售额：1,234.50（n=40）。"


# -- every tool on the demo shop, in both languages ----------------------------------------
def _figures(text: str) -> Counter:
    return Counter(m.group(1) + (m.group(2) or "").strip() for m in _NUMBER.finditer(text))


@pytest.fixture(scope="module")
def demo_results(demo_ws, demo_dir):
    import test_tool_specs

    manifest = json.loads((demo_dir / "demo_manifest.json").read_text())
    admin = demo_ws.toolbox("admin")
    out = []
    for name, args in test_tool_specs._demo_calls(manifest):
        outcome = admin.call(name, **args)
        assert outcome.ok, (name, outcome.result)
        out.append(Call("c1", name, args, outcome.result))
    return out


def test_every_tool_answers_in_chinese_with_the_english_figures(demo_results):
    from tools.registry import TOOL_NAMES

    covered = set()
    for call in demo_results:
        before = json.dumps(call.result, sort_keys=True, default=str)
        en = "\n".join(render_call(call, "en"))
        zh = "\n".join(render_call(call, "zh"))
        assert json.dumps(call.result, sort_keys=True, default=str) == before  # untouched
        assert CJK.search(zh.split("\n")[0]), (call.name, zh)
        assert _figures(en) == _figures(zh), (call.name, en, zh)
        # The tool's own words (readings, notes, reasons, quotes) are data, not template.
        ours = zh
        for text in sorted(_strings(call.result), key=len, reverse=True):
            ours = ours.replace(text.strip().rstrip("."), "")
        leaked = [f for f in ENGLISH_FRAGMENTS if f in ours]
        assert not leaked, (call.name, leaked, zh)
        # Each answer stays traceable to its tool result in Chinese as in English.
        assert trace_answer(zh, [call.result]).untraced_numbers == (
            trace_answer(en, [call.result]).untraced_numbers
        ), call.name
        covered.add(call.name)
    assert covered == set(TOOL_NAMES)


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) and len(value) > 3 else []


def test_aspects_show_their_chinese_names(demo_results):
    insights = next(c for c in demo_results if c.name == "product_insights")
    zh = "\n".join(render_call(insights, "zh"))
    aspects = [a["aspect"] for a in insights.result["top_complained"][:3]]
    assert aspects
    from tools.aliases import aspect_label

    for aspect in aspects:
        assert f"- {aspect_label(aspect, 'zh')}：" in zh


# -- the eval checks read Chinese answers -------------------------------------------------
@dataclass
class _Answer:
    text: str
    tool_calls: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def test_figures_written_against_chinese_words_are_found_and_traced():
    text = "平均评分3.1，共212条评论，差评占15%"
    assert _fact_stated(212, text, 0.0) and _fact_stated(0.15, text, 0.0)
    assert _fact_stated(3.1, text, 0.0)
    # An invented figure inside Chinese prose is caught, as it is in English.
    trace = trace_answer("客户C00042共下单12单，退货率9%", [{"orders": 7, "rate": 0.09}])
    assert trace.untraced_numbers == ["12"]
    assert trace_answer("共 12 条评论（还有 7 条未显示）", [{"n": 12, "r": [1] * 5}]).faithful


def test_a_chinese_answer_may_name_aspects_and_categories_in_chinese():
    case = Case(id="zh1", question="耳机的电池有什么问题？", must_contain=["Headphones", "battery"])
    good = _Answer("耳机的电池投诉最多：续航差。")
    checks, reasons, _ = score_turn(case, good, 1.0, None)
    assert checks["facts"], reasons
    english = Case(
        id="en1",
        question="What is wrong with headphone batteries?",
        must_contain=["Headphones", "battery"],
    )
    checks, reasons, _ = score_turn(english, good, 1.0, None)
    assert not checks["facts"] and "answer lacks 'Headphones'" in reasons
    assert _fact_stated("size_fit", "尺码偏小", 0.0, "zh")
    assert not _fact_stated("size_fit", "尺码偏小", 0.0, "en")


# -- the next best action in Chinese ---------------------------------------------------------
def _profile(**over):
    base = {
        "open_tickets": [], "reviews": [], "favourite_categories": [], "segment": "Hibernating",
        "browsing": {"abandoned_carts": [], "interests_not_bought": []},
        "churn": {"risk": "low"}, "rfm": {"m": 1},
    }  # fmt: skip
    return {**base, **over}


ACTION_PROFILES = {
    "resolve_ticket": _profile(open_tickets=[{"ticket_id": "T00012"}]),
    "service_recovery": _profile(
        reviews=[{"review_id": "R000449", "rating": 2, "sentiment": "negative",
                  "product_title": "Haven 2 浴巾套装", "product_id": "P0031"}]
    ),
    "cart_reminder": _profile(
        browsing={"abandoned_carts": [{"title": "Aurora Pulse 耳机", "product_id": "P0015"}],
                  "interests_not_bought": []}
    ),
    "win_back_category": _profile(
        churn={"risk": "high"}, rfm={"m": 4}, favourite_categories=[{"category": "Headphones"}]
    ),
    "win_back": _profile(churn={"risk": "high"}, rfm={"m": 4}),
    "browse_follow_up": _profile(
        browsing={"abandoned_carts": [], "interests_not_bought": ["户外"]}
    ),
    "reward": _profile(segment="Champions"),
    "second_purchase": _profile(segment="New"),
    "first_purchase": _profile(segment="Prospect"),
    "re_engage": _profile(),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(ACTION_PROFILES))
def test_every_next_best_action_is_worded_in_chinese(kind):
    from assistant.planner.formatters import ACTION_KINDS, _action_words
    from tools.customers import next_best_action

    action = next_best_action(ACTION_PROFILES[kind])
    assert action["action"] == kind.removesuffix("_category")
    assert kind in ACTION_KINDS
    zh = _action_words(action, spec("zh")["customer_profile"]["actions"], "zh")
    assert zh and CJK.search(zh)
    for value in action["about"].values():
        # What the action is about is named (a category in Chinese, ids and titles as is).
        assert value in zh or (value == "Headphones" and "耳机" in zh), (value, zh)
    shown = zh
    for value in action["about"].values():
        shown = shown.replace(value, "")
    assert not re.search(r"[A-Za-z]{2,}", shown.replace("Headphones", "")), zh
    # English answers keep the tool's own sentence.
    assert _action_words(action, spec("en")["customer_profile"].get("actions"), "en") is None


# -- recommendation reasons in Chinese -------------------------------------------------------
REASON_ABOUT = {
    "best_seller": {"category": "Headphones"}, "best_seller_shop": {},
    "popular": {"category": "户外"}, "popular_shop": {}, "similar_tastes": {},
    "similar_tastes_liked": {"title": "Aurora Pulse 耳机"},
    "similar_rated": {"title": "Aurora Pulse 耳机", "stars": "5"},
    "similar_bought": {"title": "Trail Runner X"}, "similar_viewed": {"title": "Trail Runner X"},
    "bought_with": {"title": "Trail Runner X"}, "interested_with": {"title": "Trail Runner X"},
    "co_interest": {}, "described_alike": {},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(REASON_ABOUT))
def test_every_recommendation_reason_is_worded_in_chinese(kind):
    from assistant.planner.formatters import REASON_KINDS

    assert kind in REASON_KINDS
    tool_kind = kind.removesuffix("_shop")
    row = {"rank": 1, "product_id": "P0001", "title": "Veltra Pulse Pro", "category": None,
           "price": 10.0, "score": 0.5, "reason": "(the English reason)", "scorer": "knn",
           "reason_kind": tool_kind, "reason_about": REASON_ABOUT[kind]}  # fmt: skip
    result = {"customer_id": "C00001", "category": None, "k": 5, "cold_start": False,
              "history_items": 3, "recommendations": [row], "held_back": [],
              "negative_signals": [], "method": "m", "n": 1, "evidence": {}}  # fmt: skip
    zh = render_call(Call("c1", "recommend_for_customer", {}, result), "zh")[1]
    en = render_call(Call("c1", "recommend_for_customer", {}, result), "en")[1]
    assert "(the English reason)" in en and "(the English reason)" not in zh
    reason = zh.split(" — ", 1)[1]
    for value in REASON_ABOUT[kind].values():
        assert value in reason or (value == "Headphones" and "耳机" in reason), reason
    named = reason
    for value in REASON_ABOUT[kind].values():
        named = named.replace(value, "")
    assert CJK.search(named) and not re.search(r"[A-Za-z]{2,}", named), reason
    # A reason without a kind (an older result) keeps the tool's words.
    del row["reason_kind"]
    assert render_call(Call("c1", "recommend_for_customer", {}, result), "zh")[1].endswith(
        "(the English reason)"
    )


# -- how an audience was built, in Chinese ---------------------------------------------------
def test_an_audience_is_described_in_chinese_from_its_parts():
    from assistant.planner.formatters import audience_words

    audience = {
        "built": "in segment Champions; spent at least 500 -> 12 of 300 customers",
        "built_parts": {"filters": {"segment": "Champions", "min_spend": 500}, "about": None},
        "count": 12, "of_customers": 300,
    }  # fmt: skip
    assert audience_words(audience, "zh") == "分群为核心客户；消费至少 500 → 300 位客户中的 12 位"
    assert audience_words(audience, "en") is None  # English quotes the tool
    about = {
        "built": "wrote a review of Aurora (P0015) labelled negative (40), or a support "
        "ticket naming it on an order of it (3 more) -> 43 of 300 customers",
        "built_parts": {"filters": {}, "about": {"product": "Aurora (P0015)",
                        "sentiment": "negative", "by_review": 40, "by_ticket": 3}},
        "count": 43, "of_customers": 300,
    }  # fmt: skip
    said = audience_words(about, "zh")
    assert said.startswith(
        "给Aurora (P0015)写过差评（40 位），或在其订单的客服工单中提到它（另 3 位）"
    )
    assert _figures(said) == _figures(about["built"])
    aspect = {**about, "built_parts": {"filters": {"churn_risk": ["high"]}, "about": {
        "category": "Headphones", "aspect": "battery", "by_review": 9}}}  # fmt: skip
    assert audience_words(aspect, "zh").startswith(
        "在对Headphones（耳机）类目的评论中抱怨过电池；流失风险高 →"
    )
    # A filter this version cannot word, or a result without parts: the tool's sentence.
    odd = {**audience, "built_parts": {"filters": {"loyalty_tier": "gold"}, "about": None}}
    assert audience_words(odd, "zh") is None
    assert audience_words({"built": "x", "count": 1, "of_customers": 2}, "zh") is None
