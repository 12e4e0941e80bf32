"""The web app's handlers as plain functions: chat streaming, evidence, charts, panels, auth."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Answer, ToolCall
from assistant.errors import PermissionDenied
from assistant.users import add_user
from assistant.webapp import charts, handlers, render
from assistant.webapp.auth import UserDirectory, role_resolver


class ScriptedAssistant:
    """Replays a fixed list of stream events and records how it was called."""

    def __init__(self, events=None, error: Exception | None = None):
        self.events = events or []
        self.error = error
        self.calls = []

    def stream(self, question, *, role, thread_id, user):
        self.calls.append(
            {"question": question, "role": role, "thread_id": thread_id, "user": user}
        )
        yield from self.events
        if self.error:
            raise self.error


def _events():
    result = {
        "n": 2,
        "reviews": [
            {
                "review_id": "R000011",
                "text": "Battery dies after an hour <b>",
                "rating": 2,
                "product_id": "P0042",
            },
            {"review_id": "R000012", "text": "Great sound", "rating": 5, "product_id": "P0042"},
        ],
        "evidence": {"reviews": ["R000011", "R000012"], "products": ["P0042"]},
    }
    call = ToolCall(
        id="call-1",
        name="search_reviews",
        args={"query": "battery"},
        duration_ms=1250.0,
        result=result,
    )
    answer = Answer(
        text="Buyers complain about the battery (2 reviews).",
        tool_calls=[call],
        evidence={
            "reviews": ["R000011", "R000012"],
            "products": ["P0042"],
            "customers": ["C00007"],
        },
        backend="openai:gpt-test",
        fell_back=True,
        fallback_reason="timeout after 30 s",
        thread_id="t-123",
    )
    return [
        {
            "type": "tool_start",
            "id": "call-1",
            "name": "search_reviews",
            "args": {"query": "battery"},
        },
        {
            "type": "tool_end",
            "id": "call-1",
            "name": "search_reviews",
            "duration_ms": 1250.0,
            "result": result,
            "error": None,
        },
        {"type": "text", "delta": "Buyers complain "},
        {"type": "text", "delta": "about the battery (2 reviews)."},
        {"type": "done", "answer": answer},
    ]


def test_chat_turn_streams_tool_calls_text_and_evidence():
    bot = ScriptedAssistant(_events())
    updates = list(handlers.chat_turn(bot, "  battery?  ", [], None, role="support", user="ann"))
    assert bot.calls == [
        {"question": "battery?", "role": "support", "thread_id": None, "user": "ann"}
    ]
    # One update per event after the user's message: user, start, end, 2 deltas, done.
    assert len(updates) == 6
    history, evidence, notice, thread = updates[1]
    tool = history[1]
    assert (
        tool["metadata"]["status"] == "pending" and tool["metadata"]["title"] == "🔧 search_reviews"
    )
    assert '"query": "battery"' in tool["content"]
    history, _, _, _ = updates[2]
    done = history[1]["metadata"]
    assert done["status"] == "done" and done["duration"] == 1.25 and done["log"] == "n=2"
    assert '"query": "battery"' in history[1]["content"]  # arguments kept from the start event
    assert updates[3][0][-1]["content"] == "Buyers complain "
    history, evidence, notice, thread = updates[-1]
    assert [m["role"] for m in history] == ["user", "assistant", "assistant"]
    assert history[-1]["content"] == "Buyers complain about the battery (2 reviews)."
    assert thread == "t-123"
    assert "openai:gpt-test" in notice and "fell back to the local planner" in notice
    assert "timeout after 30 s" in notice
    # Quotes with ids, escaped; ids as links that open the panels.
    assert "Battery dies after an hour &lt;b&gt;" in evidence
    assert 'data-review="R000011"' in evidence and 'data-review="R000012"' in evidence
    assert 'data-kind="product" data-id="P0042"' in evidence
    assert 'data-kind="customer" data-id="C00007"' in evidence


def test_chat_turn_keeps_earlier_history_and_thread():
    bot = ScriptedAssistant(_events())
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    *_, last = handlers.chat_turn(bot, "again", earlier, "t-123", role="marketer")
    assert last[0][:2] == earlier and len(earlier) == 2  # the caller's list is not mutated
    assert bot.calls[0]["thread_id"] == "t-123"


def test_chat_turn_empty_question_does_not_call_the_agent():
    bot = ScriptedAssistant(_events())
    updates = list(handlers.chat_turn(bot, "   ", [], None, role="marketer"))
    assert bot.calls == [] and updates == [([], "", "Type a question first.", None)]


def test_chat_turn_errors_become_messages_not_tracebacks():
    denied = ScriptedAssistant(error=PermissionDenied("the marketer role may not see contacts"))
    *_, last = handlers.chat_turn(denied, "who is C00001", [], None, role="marketer")
    assert last[0][-1]["content"].startswith("⚠️ the marketer role may not see contacts")
    assert "may not see contacts" in last[2]

    broken = ScriptedAssistant(
        [{"type": "tool_start", "id": "x", "name": "find_customers", "args": {}}],
        error=RuntimeError("db gone"),
    )
    *_, last = handlers.chat_turn(broken, "q", [], None, role="admin")
    assert last[0][-1]["content"] == "⚠️ The assistant failed: RuntimeError"
    assert "db gone" in last[2] and "Traceback" not in last[2]


def test_evidence_html_lists_remaining_ids_and_handles_no_evidence():
    answer = {
        "evidence": {"reviews": ["R1", "R2"], "orders": ["O000001"]},
        "tool_calls": [{"result": {"items": [{"review_id": "R1", "text": "ok"}]}}],
    }
    html = render.evidence_html(answer)
    assert html.count("<blockquote") == 1
    assert re.search(r"<b>Reviews</b>: R2", html)
    assert "<b>Orders</b>: O000001" in html and 'data-id="O000001"' not in html
    assert render.evidence_html({"evidence": {}, "tool_calls": []}) == ""
    assert "No records cited" in render.evidence_html({"evidence": {}, "tool_calls": [{}]})


def test_result_summary_and_backend_notice():
    assert render.result_summary({"n": 3, "review_count": 40}) == "n=3, review_count=40"
    assert render.result_summary(None, "boom") == "error: boom"
    assert render.result_summary({"error": "NotFoundError", "message": "no P9"}) == "error: no P9"
    notice = render.backend_notice({"backend": "local", "fell_back": False})
    assert notice == "Answered by **local**"


def test_chart_builders_carry_the_counts():
    months = [
        {"month": "2026-01", "avg_rating": 4.5, "n": 10},
        {"month": "2026-02", "avg_rating": 3.0, "n": 4},
    ]
    fig = charts.rating_by_month(months)
    assert list(fig.data[0].y) == [4.5, 3.0] and list(fig.data[0].customdata) == [10, 4]
    assert list(fig.data[1].y) == [10, 4]
    fig = charts.sentiment_over_time(
        [{"month": "2026-01", "positive": 5, "neutral": 1, "negative": 4}]
    )
    assert [t.name for t in fig.data] == ["positive", "neutral", "negative"]
    assert [list(t.y) for t in fig.data] == [[5], [1], [4]]
    fig = charts.aspect_balance(
        [
            {"aspect": "battery", "praise": 1, "complaints": 9},
            {"aspect": "sound", "praise": 7, "complaints": 0},
        ]
    )
    complaints, praise = fig.data
    # Most-mentioned aspect last, so it is drawn at the top.
    assert list(complaints.y) == ["sound", "battery"] and list(complaints.x) == [0, -9]
    assert list(praise.x) == [7, 1]
    assert charts.rating_by_month([]).layout.annotations[0].text == "No reviews in this period"


def test_user_directory_roles_follow_the_file(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "ann", "support", "password-1", rounds=4)
    directory = UserDirectory(path)
    assert directory.check_login("ann", "password-1")
    assert not directory.check_login("ann", "password-2")
    assert directory.role("ann") == "support"
    with pytest.raises(PermissionDenied):
        directory.role("bob")
    add_user(path, "bob", "marketer", "password-3", rounds=4)
    assert directory.role("bob") == "marketer"

    class Req:
        username = "ann"

    assert role_resolver(directory, "marketer")(Req()) == "support"
    assert role_resolver(None, "marketer")(Req()) == "marketer"
