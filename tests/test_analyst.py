"""The analyst reading of questions (assistant/planner/analyst.py) on a small catalog:
each class becomes the right analyze / compare_products call whatever the phrasing,
questions about data the store does not hold get "I can't answer that yet", and the
answers open with "Read as:" and show n, intervals, change and products side by side."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import create_model

from assistant.planner.compose import render_call
from assistant.planner.model import LocalPlanner
from assistant.planner.thread import Call
from tests.test_planner import SCHEMAS, TODAY, fake_tool
from tests.test_planner import ctx as ctx  # noqa: F401 -- the small catalog fixture
from tests.test_planner import embedder as embedder  # noqa: F401

ANALYST_SCHEMAS = {
    "analyze": dict(
        metric=(str, ...), by=(list[str], []), filters=(dict, {}), since=(str | None, None),
        until=(str | None, None), compare=(str, "none"), sort=(str, "value"),
        order=(str, "desc"), limit=(int | None, None), min_n=(int | None, None),
    ),
    "compare_products": dict(
        product_ids=(list[str], ...), metrics=(list[str] | None, None),
        since=(str | None, None), until=(str | None, None),
    ),
}  # fmt: skip


def analyst_tool(name: str) -> StructuredTool:
    schema = create_model(f"{name}_args", **ANALYST_SCHEMAS[name])
    return StructuredTool.from_function(
        lambda **kw: {}, name=name, description=name, args_schema=schema
    )


@pytest.fixture
def planner(ctx):  # noqa: F811
    tools = [fake_tool(n) for n in SCHEMAS] + [analyst_tool(n) for n in ANALYST_SCHEMAS]
    return LocalPlanner(ctx, today=TODAY).bind_tools(tools)


def ask(planner, question: str) -> AIMessage:
    return planner.invoke([HumanMessage(question)])


def call(reply: AIMessage, name: str = "analyze") -> dict:
    found = [tc["args"] for tc in reply.tool_calls if tc["name"] == name]
    assert found, f"no {name} call in {reply.tool_calls or reply.content!r}"
    return found[0]


# -- rankings and top N -----------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "which product has the most returns",
        "What item gets returned the most?",
        "highest return rate of all products",
        "products ranked by return rate",
    ],
)
def test_superlatives_rank_products_by_the_named_metric(planner, question):
    args = call(ask(planner, question))
    assert (args["metric"], args["by"], args["order"]) == ("return_rate", ["product"], "desc")


@pytest.mark.parametrize(
    ("question", "limit"),
    [
        ("top 5 brands by revenue", 5),
        ("our three best brands by sales", 3),
        ("brands top 7 revenue", 7),
    ],
)
def test_top_n_sets_the_limit_and_the_dimension(planner, question, limit):
    args = call(ask(planner, question))
    assert (args["metric"], args["by"], args["limit"]) == ("revenue", ["brand"], limit)


@pytest.mark.parametrize(
    "question",
    [
        "lowest rated categories",
        "which category has the worst ratings",
        "categories with the lowest stars",
    ],
)
def test_lowest_and_worst_rank_from_the_bottom(planner, question):
    args = call(ask(planner, question))
    assert (args["metric"], args["by"], args["order"]) == ("average_rating", ["category"], "asc")


def test_worst_return_rate_is_the_highest_one(planner):
    # "worst" is about the news, not the number: for returns that is the top of the list.
    args = call(ask(planner, "which brands have the worst return rate"))
    assert (args["metric"], args["by"], args["order"]) == ("return_rate", ["brand"], "desc")


def test_minimum_records_phrase_is_min_n_not_a_metric(planner):
    args = call(ask(planner, "our 3 worst rated products with at least 20 reviews"))
    assert args["metric"] == "average_rating"
    assert (args["limit"], args["min_n"], args["order"]) == (3, 20, "asc")


# -- counts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("How many reviews did we get in March?", "review_count"),
        ("number of reviews written in march", "review_count"),
        ("how many customers bought something in March", "customers"),
        ("how many open tickets were opened in march", "open_tickets"),
    ],
)
def test_how_many_is_a_count_over_the_period(planner, question, metric):
    args = call(ask(planner, question))
    assert (args["metric"], args["by"]) == (metric, [])
    assert (args["since"], args["until"]) == ("2026-03-01", "2026-03-31")


# -- comparisons -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "compare the Castello skillet and the Zenith earbuds",
        "Castello skillet vs Zenith Sport Earbuds",
        "how does the castelo skilet compare with the zenith earbuds",  # typos
        "Zenith earbuds versus Castello skillet",
    ],
)
def test_two_products_named_in_words_go_side_by_side(planner, question):
    args = call(ask(planner, question), "compare_products")
    assert set(args["product_ids"]) == {"B0CASTIRON", "B01ABCDEF0"}


def test_two_categories_compare_in_one_ranking(planner):
    args = call(ask(planner, "compare Kitchen and Headphones revenue"))
    assert args["by"] == ["category"]
    assert set(args["filters"]["category"]) == {"Kitchen", "Headphones"}


def test_comparison_without_two_things_asks_what_to_compare(planner):
    reply = ask(planner, "compare the Castello skillet")
    assert not reply.tool_calls and "compare" in reply.content.lower()


# -- change ------------------------------------------------------------------------------
def test_got_worse_ranks_falls_in_rating_against_the_previous_period(planner):
    args = call(ask(planner, "which products got worse this quarter"))
    assert args["metric"] == "average_rating" and args["by"] == ["product"]
    assert (args["compare"], args["sort"], args["order"]) == ("previous", "change", "asc")
    assert args["since"] == "2026-10-01"


def test_steepest_drop_since_last_year_is_relative_and_year_over_year(planner):
    args = call(ask(planner, "steepest drop in revenue since last year"))
    assert (args["compare"], args["sort"], args["order"]) == (
        "year_before",
        "relative_change",
        "asc",
    )
    assert args["since"] == "2026-01-01"  # this year so far, against the same dates before


def test_this_quarter_vs_last_is_a_total_with_the_previous_period(planner):
    args = call(ask(planner, "revenue this quarter vs last"))
    assert (args["metric"], args["by"], args["compare"]) == ("revenue", [], "previous")
    assert args["since"] == "2026-10-01"


def test_improved_return_rate_means_it_fell(planner):
    args = call(
        ask(planner, "which categories improved their return rate compared with last quarter")
    )
    assert (args["metric"], args["order"], args["compare"]) == ("return_rate", "asc", "previous")


# -- group-by, verified, aspect summaries ---------------------------------------------------
@pytest.mark.parametrize(
    ("question", "by"),
    [
        ("revenue by channel", ["channel"]),
        ("orders per country and month", ["country", "month"]),
        ("cancellation rate across segments", ["segment"]),
        ("monthly conversion rate", ["month"]),
    ],
)
def test_by_names_the_grouping(planner, question, by):
    assert call(ask(planner, question))["by"] == by


def test_verified_buyers_filter_review_metrics(planner):
    args = call(ask(planner, "average rating from verified buyers in the Kitchen category"))
    assert args["metric"] == "average_rating"
    assert args["filters"] == {"category": "Kitchen", "verified": True}


def test_verified_versus_unverified_is_a_grouping(planner):
    args = call(ask(planner, "average rating of verified vs unverified reviews"))
    assert args["by"] == ["verified"]


def test_shop_wide_aspect_summary_has_share_products_and_quotes(planner):
    reply = ask(planner, "summarise complaints about delivery")
    args = call(reply)
    assert args["metric"] == "aspect_complaint_share"
    assert args["filters"] == {"aspect": "delivery"} and args["by"] == ["product"]
    assert call(reply, "search_reviews")["sentiment"] == "negative"


# -- what cannot be answered, and what needs a question back -----------------------------
@pytest.mark.parametrize(
    ("question", "what"),
    [
        ("What is our profit margin on the skillet?", "profit"),
        ("ROI of our ad spend last quarter", "advertising"),
        ("stock levels of the Zenith earbuds", "inventory"),
        ("average delivery times by carrier", "carrier"),
        ("what is the website bounce rate", "web analytics"),
        ("which products will sell best next month", "forecast"),
        ("How did our email campaigns perform?", "email campaign"),
    ],
)
def test_data_the_store_does_not_hold_is_said_plainly(planner, question, what):
    reply = ask(planner, question)
    assert not reply.tool_calls, "no other tool's output may stand in for the answer"
    assert reply.content.startswith("I can't answer that yet")
    assert what in reply.content.lower()


@pytest.mark.parametrize(
    "question",
    [
        "Draft an email campaign for at-risk customers with 10% off headphones",
        "Write a newsletter for our champions in Kitchen",
    ],
)
def test_asking_for_a_mailing_is_a_draft_not_its_missing_results(planner, question):
    reply = ask(planner, question)
    # This planner is bound without campaign_brief: it says that is the tool it lacks.
    assert "I can't answer that yet" not in reply.content
    assert "(draft a campaign email for an audience)" in reply.content, reply.content


def test_a_ranking_without_a_metric_asks_which_figure(planner):
    reply = ask(planner, "best products")
    assert not reply.tool_calls and "Which figure" in reply.content


def test_review_questions_are_left_to_the_review_tools(planner):
    reply = ask(planner, "show me reviews that mention the courier")
    assert [tc["name"] for tc in reply.tool_calls] == ["search_reviews"]


# -- answers -------------------------------------------------------------------------------
def _row(label, value, n, **extra):
    base = {"keys": {}, "label": label, "value": value, "n": n, "ci": None, "previous": None,
            "previous_n": None, "change": None, "relative_change": None, "evidence": []}  # fmt: skip
    return {**base, **extra}


def _analyze_result(**extra):
    base = {
        "metric": "return_rate", "metric_label": "Return rate", "unit": "rate",
        "by": ["product"], "filters": {}, "since": "2026-01-01", "until": "2026-10-31",
        "compare_since": None, "compare_until": None,
        "rows": [
            _row("Kettle (P0089)", 0.336, 568, ci=[0.299, 0.376], evidence=["O1"]),
            _row("Tempo 3 (P0059)", 0.308, 822, ci=[0.277, 0.34], evidence=["O2"]),
        ],
        "total": _row("", 0.078, 15138, ci=[0.074, 0.082]),
        "interpretation": "top 2 products by return rate, 2026-01-01 to 2026-10-31",
        "left_out": 0, "notes": [],
    }  # fmt: skip
    return {**base, **extra}


def test_ranked_answer_reads_as_first_then_value_n_and_interval():
    lines = render_call(Call("c1", "analyze", {}, _analyze_result()))
    assert lines[0] == "Read as: top 2 products by return rate, 2026-01-01 to 2026-10-31."
    assert lines[1] == "1. Kettle (P0089): 33.6% (n=568; interval 29.9% to 37.6%)"
    assert "Tempo 3 (P0059): 30.8%" in lines[2]


def test_change_answer_has_before_after_and_relative_change():
    row = _row("Kitchen", 3.2, 40, previous=4.0, previous_n=35, change=-0.8, relative_change=-0.2)
    result = _analyze_result(
        metric="average_rating", unit="rating", by=["category"], rows=[row],
        total=_row("", 3.9, 400), compare_since="2026-07-01", compare_until="2026-09-30",
    )  # fmt: skip
    lines = render_call(Call("c1", "analyze", {}, result))
    assert lines[1] == "1. Kitchen: 3.20 (n=40; before 4.00, n=35; change -0.80, -20%)"


def test_comparison_answer_puts_products_side_by_side():
    result = {
        "products": [
            {"product_id": "P1", "title": "Kettle", "values": {"revenue": {"value": 10.5, "n": 3, "ci": None}}},
            {"product_id": "P2", "title": "Shoe", "values": {"revenue": {"value": 20.0, "n": 4, "ci": None}}},
        ],
        "metrics": ["revenue"], "since": None, "until": None,
        "interpretation": "Kettle (P1), Shoe (P2) compared on revenue",
        "aspects": [{"aspect": "price", "products": {
            "P1": {"praise_share": 0.1, "complaint_share": 0.2, "n": 3},
            "P2": {"praise_share": 0.3, "complaint_share": 0.0, "n": 4}}}],
    }  # fmt: skip
    lines = render_call(Call("c1", "compare_products", {}, result))
    assert lines[0].startswith("Read as: Kettle (P1), Shoe (P2)")
    assert "- Revenue: P1 10.50 (n=3) | P2 20.00 (n=4)" in lines
    assert "- price: P1 10.0% / 20.0% (n=3) | P2 30.0% / 0.0% (n=4)" in lines


def test_the_answer_to_an_analyst_question_starts_with_read_as(planner):
    question = HumanMessage("which product has the most returns")
    first = planner.invoke([question])
    result = _analyze_result()
    tool_messages = [
        ToolMessage(json.dumps(result), tool_call_id=tc["id"], name=tc["name"])
        for tc in first.tool_calls
    ]
    final = planner.invoke([question, first, *tool_messages])
    assert final.content.startswith("Read as: ")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which 5 products have the highest return rate?", {"limit": 5, "metric": "return_rate"}),
        ("what share of our reviews are negative?", {"metric": "negative_share", "by": []}),
        ("what is our average order value this year", {"metric": "average_order_value", "by": []}),
        ("what do customers complain about most?", {"metric": "aspect_complaint_share", "by": ["aspect"]}),
        ("did revenue grow compared with the same quarter last year", {"compare": "year_before", "since": "2026-10-01"}),
    ],
)  # fmt: skip
def test_more_phrasings_of_the_classes(planner, question, expected):
    args = call(ask(planner, question))
    assert {k: args.get(k) for k in expected} == expected


def test_which_one_of_two_products_is_a_comparison_on_that_figure(planner):
    reply = ask(planner, "Castello skillet or Zenith earbuds: which one gets returned more?")
    args = call(reply, "compare_products")
    assert set(args["product_ids"]) == {"B0CASTIRON", "B01ABCDEF0"}
    assert args["metrics"] == ["return_rate"]
