"""A clarification is a paused plan; follow-ups carry a subject only when they name
none (assistant/planner/thread.py, model.py, decide.py), on a small catalog with
stand-in tools, so each rule is seen without the demo shop."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import StructuredTool
from pydantic import create_model

from assistant.planner.model import LocalPlanner
from assistant.planner.thread import PAUSED_KEY, Paused, Thread
from tests.test_catalog import CUSTOMERS, PRODUCTS
from tests.test_planner import SCHEMAS, TODAY, calls, fake_tool, tool_result
from tools.catalog import find_product
from tools.context import ToolContext


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


OPTIONS = [
    {"product_id": "P0059", "title": "Tempo 3 Road Running Shoes", "brand": "Stridex"},
    {"product_id": "P0033", "title": "Tempo S Road Running Shoes", "brand": "Stridex"},
    {"product_id": "P0038", "title": "Summit Road Running Shoes", "brand": "Stridex"},
]


def picked(reply: str) -> str | None:
    option = Paused("q", OPTIONS).pick(reply)
    return option["product_id"] if option else None


def test_a_reply_picks_an_option_by_id_position_or_name():
    assert picked("p0033") == "P0033"
    assert picked("I mean P0038 please") == "P0038"
    assert picked("the first one") == "P0059"
    assert picked("2") == "P0033"
    assert picked("#3") == "P0038"
    assert picked("option 2") == "P0033"
    assert picked("the last one") == "P0038"
    assert picked("the Tempo 3") == "P0059"
    assert picked("tempo3") == "P0059"  # the space dropped
    assert picked("summitt") == "P0038"  # a small typo
    assert picked("Tempo S please") == "P0033"


def test_a_reply_that_picks_none_is_a_new_question():
    assert picked("4") is None  # only three were offered
    assert picked("stridex") is None  # names all three
    assert picked("running shoes") is None
    assert picked("how much revenue did the tempo 3 make last month?") is None
    assert picked("") is None


def test_the_paused_plan_travels_with_the_message_and_lasts_one_turn():
    paused = Paused("how are the stridex shoes?", OPTIONS)
    ask = AIMessage("Which one do you mean?", additional_kwargs=paused.to_kwargs())
    thread = Thread.read([HumanMessage("how are the stridex shoes?"), ask, HumanMessage("2")])
    assert thread.paused == paused
    later = Thread.read(
        [HumanMessage("how are the stridex shoes?"), ask, HumanMessage("2"), AIMessage("ok"),
         HumanMessage("3")]
    )  # fmt: skip
    assert later.paused is None
    broken = AIMessage("?", additional_kwargs={PAUSED_KEY: {"question": "q", "options": "x"}})
    assert Paused.from_message(broken) is None


def _clarify(planner, ctx, question: str):
    """Ask, answer find_product, return the messages up to the clarifying question."""
    q = HumanMessage(question)
    first = planner.invoke([q])
    ((name, args),) = calls(first)
    assert name == "find_product"
    found = find_product(ctx, args["text"])
    results = tool_result(first, {"find_product": found})
    ask = planner.invoke([q, first, *results])
    assert not ask.tool_calls and PAUSED_KEY in ask.additional_kwargs
    return [q, first, *results, ask]


def test_the_reply_resumes_the_paused_question_with_the_same_tools(planner, ctx):
    before = _clarify(planner, ctx, "what is bought together with the aurora headphones?")
    offered = [o["product_id"] for o in before[-1].additional_kwargs[PAUSED_KEY]["options"]]
    assert set(offered) >= {"B07XJ8C8F5", "B07XJ8C8F6"}
    reply = planner.invoke([*before, HumanMessage("the wired one")])
    assert calls(reply) == [("bought_together", {"product_id": "B07XJ8C8F6"})]
    reply = planner.invoke([*before, HumanMessage(offered[0])])
    assert calls(reply) == [("bought_together", {"product_id": offered[0]})]


def test_a_new_question_after_a_clarification_is_planned_as_new(planner, ctx):
    before = _clarify(planner, ctx, "what is bought together with the aurora headphones?")
    reply = planner.invoke([*before, HumanMessage("profile of C00042")])
    assert calls(reply) == [("customer_profile", {"customer_id": "C00042"})]


def _answered(planner, question: str, results: dict) -> list:
    q = HumanMessage(question)
    first = planner.invoke([q])
    messages = [q, first, *tool_result(first, results)]
    return [*messages, planner.invoke(messages)]


def test_a_question_with_its_own_subject_does_not_inherit_the_customer(planner):
    before = _answered(
        planner, "profile of C00042", {"customer_profile": {"customer_id": "C00042", "n": 1}}
    )
    reply = planner.invoke([*before, HumanMessage("what is bought together with B0CASTIRON?")])
    assert calls(reply) == [("bought_together", {"product_id": "B0CASTIRON"})]
    reply = planner.invoke([*before, HumanMessage("and their reviews?")])
    (name, args), *_ = calls(reply)
    assert name == "search_reviews" and args["customer_id"] == "C00042"


def test_a_turn_about_something_else_ends_the_customer_scope(planner):
    before = _answered(
        planner, "profile of C00042", {"customer_profile": {"customer_id": "C00042", "n": 1}}
    )
    q = HumanMessage("how did revenue move month by month?")
    first = planner.invoke([*before, q])
    assert calls(first)[0][0] == "sales_metrics"
    after = [*before, q, first, *tool_result(first, {"sales_metrics": {"rows": [], "n": 0}})]
    after.append(planner.invoke(after))
    reply = planner.invoke([*after, HumanMessage("and their reviews?")])
    (name, args), *_ = calls(reply)
    assert name == "search_reviews" and "customer_id" not in args


@pytest.fixture
def review_planner(ctx):
    """The planner bound to a search_reviews that takes ``verified``, as the real one does."""
    fields = {**SCHEMAS["search_reviews"], "verified": (bool | None, None)}
    schema = create_model("search_reviews_args", **fields)
    tool = StructuredTool.from_function(
        lambda **kw: {}, name="search_reviews", description="reviews", args_schema=schema
    )
    return LocalPlanner(ctx, today=TODAY).bind_tools([tool])


def test_those_reviews_narrow_the_previous_search(review_planner):
    planner = review_planner  # noqa: F811 -- the one that takes ``verified``
    q = HumanMessage("show reviews of B0CASTIRON")
    first = planner.invoke([q])
    ((name, args),) = calls(first)
    assert name == "search_reviews"
    result = {"results": [], "n": 0, "matched": 0, "filters": {}, "query": args["query"]}
    before = [q, first, *tool_result(first, {"search_reviews": result})]
    before.append(planner.invoke(before))
    reply = planner.invoke([*before, HumanMessage("how many of those are from verified buyers?")])
    assert calls(reply) == [("search_reviews", {**args, "verified": True})]
    reply = planner.invoke([*before, HumanMessage("only the 1-star ones")])
    assert calls(reply) == [("search_reviews", {**args, "min_rating": 1, "max_rating": 1})]
