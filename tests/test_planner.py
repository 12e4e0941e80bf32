"""LocalPlanner as a chat model: tool calls from questions, two-step product
resolution, follow-ups from the thread, clarifying questions, refusals, role-limited
tools, deterministic output and answers composed from tool results."""

from __future__ import annotations

import json
from datetime import date

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import create_model

from assistant.planner.model import LocalPlanner
from tests.test_catalog import CUSTOMERS, PRODUCTS
from tools.catalog import find_product
from tools.context import ToolContext

TODAY = date(2026, 11, 1)
SCHEMAS = {
    "search_reviews": dict(
        query=(str, ...), product_id=(str | None, None), category=(str | None, None),
        customer_id=(str | None, None), min_rating=(int | None, None),
        max_rating=(int | None, None), since=(str | None, None), until=(str | None, None),
        sentiment=(str | None, None), k=(int, 8),
    ),
    "product_insights": dict(
        product_id=(str | None, None), category=(str | None, None),
        since=(str | None, None), until=(str | None, None),
    ),
    "customer_profile": dict(customer_id=(str, ...)),
    "recommend_for_customer": dict(customer_id=(str, ...), k=(int, 10), category=(str | None, None)),
    "similar_products": dict(product_id=(str, ...), k=(int, 10)),
    "bought_together": dict(product_id=(str, ...), k=(int, 10)),
    "sales_metrics": dict(metric=(str, ...), group_by=(str | None, None), since=(str | None, None)),
    "find_product": dict(text=(str, ...), k=(int, 5)),
}  # fmt: skip


def fake_tool(name: str) -> StructuredTool:
    schema = create_model(f"{name}_args", **SCHEMAS[name])
    return StructuredTool.from_function(
        lambda **kw: {}, name=name, description=name, args_schema=schema
    )


@pytest.fixture(scope="module")
def embedder():
    from vectorstore.embeddings import load_embedder

    return load_embedder("")


@pytest.fixture
def ctx(empty_ws, embedder):
    cur = empty_ws.cursor()
    cur.executemany(
        "INSERT INTO products (product_id, title, brand, category) VALUES (?, ?, ?, ?)", PRODUCTS
    )
    cur.executemany("INSERT INTO customers (customer_id) VALUES (?)", [[c] for c in CUSTOMERS])
    return ToolContext(empty_ws.cursor, role="marketer", embedder_loader=lambda: embedder)


@pytest.fixture
def planner(ctx):
    return LocalPlanner(ctx, today=TODAY).bind_tools([fake_tool(n) for n in SCHEMAS])


def calls(message: AIMessage) -> list[tuple[str, dict]]:
    return [(tc["name"], tc["args"]) for tc in message.tool_calls]


def tool_result(message: AIMessage, results: dict[str, dict]) -> list[ToolMessage]:
    return [
        ToolMessage(json.dumps(results[tc["name"]]), tool_call_id=tc["id"], name=tc["name"])
        for tc in message.tool_calls
    ]


def test_customer_id_of_any_shape_is_looked_up(planner):
    reply = planner.invoke([HumanMessage("profile of ae2xmq7j3vz5wyq4xgtrn6hlj3ka")])
    assert calls(reply) == [("customer_profile", {"customer_id": CUSTOMERS[0]})]
    reply = planner.invoke([HumanMessage("what should we recommend to customer 12345?")])
    assert calls(reply) == [("recommend_for_customer", {"customer_id": "12345"})]


def test_several_tools_in_one_turn(planner):
    reply = planner.invoke([HumanMessage("profile of C00042 and what to recommend them")])
    assert calls(reply) == [
        ("customer_profile", {"customer_id": "C00042"}),
        ("recommend_for_customer", {"customer_id": "C00042"}),
    ]


def test_unknown_customer_gets_a_clarifying_question(planner):
    reply = planner.invoke([HumanMessage("profile of customer X77Q")])
    assert not reply.tool_calls and "couldn't find" in reply.content


def test_product_named_in_words_is_resolved_first(planner, ctx):
    question = HumanMessage("what is bought together with the castelo skillet?")
    first = planner.invoke([question])
    assert calls(first) == [("find_product", {"text": "castello skillet"})]
    found = find_product(ctx, "castello skillet")
    second = planner.invoke([question, first, *tool_result(first, {"find_product": found})])
    assert calls(second) == [("bought_together", {"product_id": "B0CASTIRON"})]


def test_close_candidates_get_a_clarifying_question(planner, ctx):
    question = HumanMessage("how are the aurora headphones doing?")
    first = planner.invoke([question])
    assert calls(first)[0][0] == "find_product"
    found = find_product(ctx, calls(first)[0][1]["text"])
    second = planner.invoke([question, first, *tool_result(first, {"find_product": found})])
    assert not second.tool_calls
    assert "B07XJ8C8F5" in second.content and "B07XJ8C8F6" in second.content


def test_category_and_period_arguments(planner):
    reply = planner.invoke([HumanMessage("sentiment for movies and tv since March")])
    assert calls(reply) == [
        ("product_insights", {"category": "Movies & TV", "since": "2026-03-01"})
    ]
    reply = planner.invoke([HumanMessage("1-star reviews of gift cards in 2025")])
    # Complaints about a category come with its aspect breakdown.
    assert [name for name, _ in calls(reply)] == ["product_insights", "search_reviews"]
    args = calls(reply)[1][1]
    assert args["category"] == "Gift_Cards" and args["min_rating"] == args["max_rating"] == 1
    assert (args["since"], args["until"]) == ("2025-01-01", "2025-12-31")


def test_follow_up_refers_to_the_customer_of_the_thread(planner):
    first_q = HumanMessage("profile of C00042")
    first = planner.invoke([first_q])
    results = tool_result(first, {"customer_profile": {"customer_id": "C00042", "n": 1}})
    answer = planner.invoke([first_q, first, *results])
    thread = [first_q, first, *results, answer, HumanMessage("and what about their complaints?")]
    reply = planner.invoke(thread)
    (name, args), *_ = calls(reply)
    assert name == "search_reviews"
    assert args["customer_id"] == "C00042" and args["sentiment"] == "negative"


def test_out_of_scope_is_refused_with_what_it_can_do(planner):
    reply = planner.invoke([HumanMessage("What's the weather in Paris tomorrow?")])
    assert not reply.tool_calls
    assert "shop" in reply.content and "reviews" in reply.content


def test_only_bound_tools_are_called(ctx):
    support = LocalPlanner(ctx, today=TODAY).bind_tools([fake_tool("customer_profile")])
    reply = support.invoke([HumanMessage("what is bought together with B0CASTIRON?")])
    assert not reply.tool_calls and "role" in reply.content


def test_deterministic(planner):
    question = [HumanMessage("profile of C00042 and what to recommend them")]
    assert planner.invoke(question).tool_calls == planner.invoke(question).tool_calls


def test_final_answer_from_tool_results(planner):
    question = HumanMessage("reviews of B0CASTIRON that mention rust")
    first = planner.invoke([question])
    result = {
        "n": 12,
        "results": [
            {"review_id": "R000017", "rating": 1, "snippet": "Cracked after a week.", "date": "2026-05-02"},
            {"review_id": "R000018", "rating": 2, "snippet": "Rusts quickly.", "date": "2026-06-01"},
        ],
    }  # fmt: skip
    final = planner.invoke([question, first, *tool_result(first, {"search_reviews": result})])
    assert not final.tool_calls
    assert "12 reviews" in final.content
    assert "R000017" in final.content and "Cracked after a week." in final.content
    chunks = list(
        planner.stream([question, first, *tool_result(first, {"search_reviews": result})])
    )
    assert "".join(c.content for c in chunks) == final.content and len(chunks) > 1


def test_tool_errors_are_reported(planner):
    question = HumanMessage("profile of C00042")
    first = planner.invoke([question])
    error = {"error": "PermissionDenied", "message": "the marketer role may not see this"}
    final = planner.invoke([question, first, *tool_result(first, {"customer_profile": error})])
    assert "may not see this" in final.content


def test_empty_store_gets_a_question_not_a_crash(empty_ws, embedder):
    ctx = ToolContext(empty_ws.cursor, role="marketer", embedder_loader=lambda: embedder)
    bound = LocalPlanner(ctx, today=TODAY).bind_tools([fake_tool("product_insights")])
    reply = bound.invoke([HumanMessage("how is the castello skillet doing?")])
    assert not reply.tool_calls and "Which product or category" in reply.content


def test_resolves_with_the_engine_when_find_product_is_not_bound(ctx):
    bound = LocalPlanner(ctx, today=TODAY).bind_tools([fake_tool("bought_together")])
    reply = bound.invoke([HumanMessage("what is bought together with the castello skillet?")])
    assert calls(reply) == [("bought_together", {"product_id": "B0CASTIRON"})]
