"""Every place the web app turns data or a model's words into markdown or HTML goes
through the sanitiser: the chat (streamed and final), tool-call bodies, the notice,
the evidence, the buyer card, the product summary and quotes, the audience stats.

Each test plants the same hostile text (a markdown image and a raw <img> pointing at a
beacon, a javascript: link) and checks the rendered HTML loads nothing.
"""

from __future__ import annotations

import re

from assistant.answer import Answer, ToolCall
from assistant.webapp import cards, handlers, panels, render
from tests.test_sanitize import autolinked, fetching_or_active
from tests.test_sanitize import render as to_html

BEACON = "http://127.0.0.1:9/b.png"
HOSTILE = (
    f"Great ![x]({BEACON}?d=Ada) and <img src={BEACON}> "
    f"[gift]({BEACON}) [run](javascript:alert(1)) {BEACON}"
)


class ScriptedAssistant:
    def __init__(self, events):
        self.events = events

    def stream(self, question, *, role, thread_id, user):
        yield from self.events


def _inert_markdown(text: str) -> None:
    html = to_html(text)
    assert fetching_or_active(html) == [], text
    # Outside code, a GFM renderer would turn a bare URL into a link.
    prose = re.sub(r"<(pre|code)>.*?</\1>", "", html, flags=re.S)
    assert autolinked(prose) == [], text


def _inert_html(text: str) -> None:
    assert fetching_or_active(text) == [], text


def _review(rid="R1", text=HOSTILE):
    return {"review_id": rid, "product_id": "P1", "customer_id": "C1", "rating": 1, "text": text}


def test_chat_answer_streamed_and_final_is_inert():
    result = {"reviews": [_review()], "evidence": {"reviews": ["R1"]}}
    answer = Answer(
        text=f"Buyers say: {HOSTILE}",
        tool_calls=[
            ToolCall(id="c1", name="search_reviews", args={"query": HOSTILE}, result=result)
        ],
        evidence={"reviews": ["R1"], "customers": ["C1"]},
        backend="openai:m",
        fell_back=True,
        fallback_reason=f"the remote model asked for a tool ![t]({BEACON})",
        flags=[f"R1: tool_request ![f]({BEACON})"],
        thread_id="t",
    )
    # The image arrives split over two deltas: only the whole text shows it.
    events = [
        {"type": "tool_start", "id": "c1", "name": "search_reviews", "args": {"query": HOSTILE}},
        {
            "type": "tool_end",
            "id": "c1",
            "name": "search_reviews",
            "result": result,
            "duration_ms": 1.0,
            "error": f"<img src={BEACON}>",
        },
        {"type": "text", "delta": "Buyers say: ![x](http://127.0.0."},
        {"type": "text", "delta": "1:9/b.png)"},
        {"type": "done", "answer": answer},
    ]
    updates = list(handlers.chat_turn(ScriptedAssistant(events), HOSTILE, [], None, role="support"))
    for history, evidence, notice, _ in updates:
        for message in history:
            _inert_markdown(message["content"])
            _inert_markdown((message.get("metadata") or {}).get("title", ""))
        _inert_html(evidence)
        _inert_markdown(notice)
    history = updates[-1][0]
    assert "x (image not shown)" in history[-1]["content"]
    assert "gift (http" in history[-1]["content"]


def test_tool_body_json_cannot_escape_its_code_block():
    body = render.tool_body({"query": "x"}, {"text": "a\n```\n" + HOSTILE + "\n```"})
    _inert_markdown(body)


def test_buyer_card_and_product_quotes_are_inert():
    profile = {
        "customer_id": "C1",
        "segment": HOSTILE,
        "identity": {"name": HOSTILE, "city": f"<iframe src={BEACON}>"},
        "rfm": {"r": 1, "f": 2, "m": 3, "recency_days": 4},
        "churn": {"risk": "low"},
        "orders": {"completed": 1, "returned": 0, "recent": []},
        "reviews": [_review()],
        "open_tickets": [{"ticket_id": "T1", "status": "open", "subject": HOSTILE}],
        "next_best_action": {"text": HOSTILE},
    }
    recs = {
        "recommendations": [{"rank": 1, "product_id": "P1", "title": HOSTILE, "reason": HOSTILE}]
    }
    _inert_html(cards.profile_html(profile, recs))
    insights = {
        "top_complained": [
            {
                "aspect": HOSTILE,
                "count": 1,
                "n": 2,
                "quotes": [{"review_id": "R1", "snippet": HOSTILE}],
            }
        ]
    }
    _inert_html(cards.quotes_html(insights))


def test_product_summary_and_audience_stats_are_inert():
    result = {
        "subject": {"product_id": "P1", "title": HOSTILE},
        "period": {"since": None, "until": "2026-11-01"},
        "average_rating": 2.0,
        "review_count": 3,
        "sentiment": {"negative": {"share": 0.5, "n": 2}},
    }
    _inert_markdown(panels._summary(result))
    _inert_markdown(panels._summary({**result, "subject": {"category": HOSTILE}}))


def test_notice_shows_a_hostile_reason_as_text():
    notice = render.backend_notice(
        {"backend": "local", "fell_back": True, "fallback_reason": HOSTILE, "flags": [HOSTILE]}
    )
    _inert_markdown(notice)
    assert "fell back to the local planner" in notice
