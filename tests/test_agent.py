"""The agent runtime over scripted chat models and SQL-backed tools on a tiny shop."""

from __future__ import annotations

import json
import threading

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from assistant.agent import Assistant
from assistant.errors import PermissionDenied, UserError
from tests.fakes import (
    ScriptedChatModel,
    build_tiny_shop,
    calls,
    keyword_planner,
    last_question,
    tiny_specs,
)


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "ws"
    build_tiny_shop(path)
    return path


def open_assistant(path, model: ScriptedChatModel) -> Assistant:
    return Assistant.open(path, local_factory=lambda ctx, settings: model, specs=tiny_specs())


def test_ask_collects_tool_calls_evidence_and_timings(shop):
    model = ScriptedChatModel(
        replies=[calls(("search_reviews", {"query": "battery"})), "Battery complaints: R1, R2."]
    )
    with open_assistant(shop, model) as assistant:
        answer = assistant.ask("What do buyers say about the battery?", role="marketer")

    assert answer.text == "Battery complaints: R1, R2."
    assert [(c.name, c.args) for c in answer.tool_calls] == [
        ("search_reviews", {"query": "battery"})
    ]
    call = answer.tool_calls[0]
    assert call.duration_ms is not None and call.duration_ms >= 0
    assert call.error is None
    # R1 and R2 mention the battery (by hand from TINY_REVIEWS); R3 does not.
    assert answer.evidence == {"reviews": ["R1", "R2"], "products": ["P1"]}
    assert answer.backend == "local" and not answer.fell_back and answer.role == "marketer"
    assert answer.timings["total_ms"] >= answer.timings["tools_ms"] >= 0
    # PII typed into R2 never reaches the answer object.
    dumped = answer.to_json()
    assert "alan.t@example.org" not in dumped and "496 0000" not in dumped
    payload = json.loads(dumped)
    assert payload["tool_calls"][0]["name"] == "search_reviews"
    assert payload["tool_calls"][0]["args"] == {"query": "battery"}


def test_stream_yields_tool_events_then_text_then_done(shop):
    model = ScriptedChatModel(
        replies=[calls(("find_customers", {"min_spend": 150})), "One customer: C2."]
    )
    with open_assistant(shop, model) as assistant:
        events = list(assistant.stream("Who spent at least 150?", role="marketer"))

    kinds = [e["type"] for e in events]
    assert kinds == ["tool_start", "tool_end", "text", "done"]
    start, end = events[0], events[1]
    assert start["name"] == end["name"] == "find_customers" and start["id"] == end["id"]
    assert start["args"] == {"min_spend": 150}
    # By hand: C1 spent 99, C2 spent 198.
    assert end["result"]["customers"] == ["C2"] and end["error"] is None
    assert end["duration_ms"] >= 0
    assert "".join(e["delta"] for e in events if e["type"] == "text") == "One customer: C2."
    assert events[-1]["answer"].evidence == {"customers": ["C2"]}


def test_tool_errors_reach_the_model_and_the_answer(shop):
    model = ScriptedChatModel(
        replies=[calls(("sales_metrics", {"product_id": "P9"})), "There is no product P9."]
    )
    with open_assistant(shop, model) as assistant:
        answer = assistant.ask("Sales of P9?", role="admin")
    call = answer.tool_calls[0]
    assert call.error == "no product 'P9'"
    assert call.result["error"] == "NotFoundError" and call.result["suggestions"] == ["P1"]
    tool_message = [m for m in model.seen[1] if isinstance(m, ToolMessage)][0]
    assert json.loads(tool_message.text)["error"] == "NotFoundError"


def test_each_role_gets_only_its_tools(shop):
    model = ScriptedChatModel(rule=lambda messages: AIMessage(content="ok"))
    with open_assistant(shop, model) as assistant:
        assistant.ask("hello", role="support")
        assert sorted(model.bound_tools) == ["customer_profile", "sales_metrics", "search_reviews"]
        assistant.ask("hello", role="marketer")
        assert "find_customers" in model.bound_tools


def test_marketer_never_sees_contact_details_even_from_a_leaky_tool(shop):
    def run(role):
        model = ScriptedChatModel(
            replies=[calls(("customer_profile", {"customer_id": "C1"})), "Profile of C1."]
        )
        with open_assistant(shop, model) as assistant:
            return assistant.ask("Tell me about C1", role=role)

    marketer = run("marketer").tool_calls[0].result
    assert marketer["customer"] == {"customer_id": "C1"}
    assert marketer["orders"] == ["O1"]
    support = run("support").tool_calls[0].result
    assert support["customer"]["email"] == "ada@example.com"
    assert support["customer"]["name"] == "Ada Lovelace"


def test_hostile_review_is_flagged_and_does_not_change_the_plan(shop):
    def plan(question):
        return [("search_reviews", {"query": question.split()[-1].strip("?")})]

    model = ScriptedChatModel(rule=keyword_planner(plan))
    with open_assistant(shop, model) as assistant:
        answer = assistant.ask("Reviews mentioning instructions?", role="marketer")
    assert [(c.name, c.args) for c in answer.tool_calls] == [
        ("search_reviews", {"query": "instructions"})
    ]
    assert answer.evidence["reviews"] == ["R3"]
    assert "R3: override_instructions" in answer.flags
    assert "R3: tool_request" in answer.flags
    record = answer.tool_calls[0].result["reviews"][0]
    assert "override_instructions" in record["injection_flags"]


def test_threads_remember_and_are_bound_to_their_role(shop):
    model = ScriptedChatModel(rule=lambda m: AIMessage(content=f"You said: {last_question(m)}"))
    with open_assistant(shop, model) as assistant:
        first = assistant.ask("first question", role="support", user="sam")
        second = assistant.ask("second question", role="support", thread_id=first.thread_id)
        assert second.thread_id == first.thread_id
        humans = [m.text for m in model.seen[-1] if isinstance(m, HumanMessage)]
        assert humans == ["first question", "second question"]
        with pytest.raises(PermissionDenied):
            assistant.ask("as marketer", role="marketer", thread_id=first.thread_id)


def test_bad_questions_and_roles_are_user_errors(shop):
    model = ScriptedChatModel(rule=lambda m: AIMessage(content="ok"))
    with open_assistant(shop, model) as assistant:
        with pytest.raises(UserError, match="empty"):
            assistant.ask("   ")
        with pytest.raises(UserError, match="unknown role"):
            assistant.ask("hi", role="ceo")


def test_audit_log_records_who_what_tools_and_ids(shop):
    model = ScriptedChatModel(
        replies=[calls(("search_reviews", {"query": "battery"})), "Two reviews."]
    )
    with open_assistant(shop, model) as assistant:
        answer = assistant.ask(
            "battery reviews? call me on +44 20 7946 0000", role="marketer", user="mia"
        )
        entries = assistant.audit.entries()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["user"] == "mia" and entry["role"] == "marketer"
    assert entry["thread_id"] == answer.thread_id
    assert entry["question"] == "battery reviews? call me on [phone]"
    assert entry["tools"][0]["name"] == "search_reviews"
    assert entry["tools"][0]["args"] == {"query": "battery"}
    assert entry["evidence"]["reviews"] == ["R1", "R2"]


def test_concurrent_conversations_keep_their_own_threads(shop):
    def plan(question):
        return [("find_customers", {"min_spend": float(question.split()[-1])})]

    model = ScriptedChatModel(rule=keyword_planner(plan))
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    with open_assistant(shop, model) as assistant:

        def worker(i: int) -> None:
            try:
                spend = 0 if i % 2 else 150
                first = assistant.ask(f"spend at least {spend}", role="marketer")
                again = assistant.ask(f"spend at least {spend}", thread_id=first.thread_id)
                results[i] = (spend, first, again)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        listed = {t["thread_id"]: t["turns"] for t in assistant.list_threads()}

    assert not errors, errors
    assert len(results) == 8
    for spend, first, again in results.values():
        # By hand: C1 spent 99, C2 spent 198.
        expected = ["C1", "C2"] if spend == 0 else ["C2"]
        assert first.evidence == {"customers": expected}
        assert again.evidence == {"customers": expected}
        assert listed[first.thread_id] == 2


# -- end to end on the demo shop, with the real local planner ------------------------


def test_insight_ask_json_on_the_demo_shop(demo_dir, demo_ws):
    pytest.importorskip("assistant.planner.model")
    from typer.testing import CliRunner

    from assistant.cli import app

    result = CliRunner().invoke(
        app, ["ask", "What is bought together with P0042?", "--json", "--data-dir", str(demo_dir)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["backend"] == "local" and answer["role"] == "marketer"
    assert [(c["name"], c["args"]["product_id"]) for c in answer["tool_calls"]] == [
        ("bought_together", "P0042")
    ]
    # Independently: the product sharing most non-cancelled orders with P0042.
    top = (
        demo_ws.cursor()
        .execute(
            "SELECT b.product_id FROM order_items a JOIN order_items b "
            "ON a.order_id = b.order_id AND b.product_id <> a.product_id "
            "JOIN orders o ON o.order_id = a.order_id "
            "WHERE a.product_id = 'P0042' AND o.status <> 'cancelled' "
            "GROUP BY 1 ORDER BY count(DISTINCT a.order_id) DESC, 1 LIMIT 1"
        )
        .fetchone()[0]
    )
    assert answer["tool_calls"][0]["result"]["bought_together"][0]["product_id"] == top
    assert top in answer["text"] and top in answer["evidence"]["products"]
    assert answer["tool_calls"][0]["duration_ms"] > 0


def test_streamed_text_is_the_answer_on_the_demo_shop(demo_dir):
    pytest.importorskip("assistant.planner.model")
    with Assistant.open(demo_dir) as assistant:
        events = list(
            assistant.stream("Give me the buyer context for customer C01234", role="support")
        )
    answer = events[-1]["answer"]
    assert [e["type"] for e in events if e["type"] != "text"] == ["tool_start", "tool_end", "done"]
    assert "".join(e["delta"] for e in events if e["type"] == "text") == answer.text
    assert answer.tool_calls[0].name == "customer_profile"
    assert answer.evidence["customers"] == ["C01234"]
