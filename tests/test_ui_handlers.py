"""The web app's handlers as plain functions: chat streaming, evidence, charts, panels, auth."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Answer, ToolCall
from assistant.errors import PermissionDenied
from assistant.users import add_user, credentials
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
        tool["metadata"]["status"] == "pending"
        and tool["metadata"]["title"] == "Tool call: search_reviews"
    )
    assert '"query": "battery"' in tool["content"]
    history, _, _, _ = updates[2]
    done = history[1]["metadata"]
    assert done["status"] == "done" and done["duration"] == 1.25 and done["log"] == "2 records"
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
    assert render.result_summary({"n": 3, "review_count": 40}) == "3 records, 40 reviews"
    assert render.result_summary(None, "boom") == "error: boom"
    assert render.result_summary({"error": "NotFoundError", "message": "no P9"}) == "error: no P9"
    notice = render.backend_notice({"backend": "local", "fell_back": False})
    assert notice == "Answered by **local**"
    flagged = render.backend_notice(
        {"backend": "local", "flags": ["R003001: override_instructions"]}
    )
    assert "override_instructions" not in flagged and "flags:" not in flagged
    assert "R003001 tells the assistant to ignore its instructions" in flagged


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

    # A request's role also needs a live session (tests/test_auth_login.py covers its end).
    directory.sessions.start("tok", "ann", credentials(path)["ann"][1])

    class Req:
        username = "ann"
        cookies = {"access-token-x": "tok"}

    assert role_resolver(directory, "marketer")(Req()) == "support"
    assert role_resolver(None, "marketer")(Req()) == "marketer"


# -- panels over the demo shop ------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_assistant(demo_dir):
    from assistant.agent import Assistant

    bot = Assistant.open(demo_dir)
    yield bot
    bot.close()


def _busy_customer(cur):
    """A customer with completed orders, a review and an email, chosen by SQL."""
    return cur.execute(
        "SELECT c.customer_id, c.email FROM customers c "
        "WHERE c.email IS NOT NULL AND EXISTS (SELECT 1 FROM reviews r WHERE r.customer_id = c.customer_id) "
        "AND (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id "
        "     AND o.status = 'completed') >= 2 ORDER BY c.customer_id LIMIT 1"
    ).fetchone()


def test_buyer_context_card_matches_the_store_and_masks_for_marketers(demo_assistant, demo_ws):
    from html import escape

    from assistant.webapp import panels

    cur = demo_ws.cursor()
    cid, email = _busy_customer(cur)
    completed, returned = cur.execute(
        "SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'returned') "
        "FROM orders WHERE customer_id = ?",
        [cid],
    ).fetchone()
    review_ids = [
        r[0]
        for r in cur.execute(
            "SELECT review_id FROM reviews WHERE customer_id = ?", [cid]
        ).fetchall()
    ]

    support = panels.buyer_context(demo_assistant, cid.lower(), "support")
    assert f"Buyer {cid}" in support
    assert f"{completed} completed · {returned} returned" in support
    assert escape(email) in support
    for rid in review_ids:
        assert rid in support
    assert "Recommendations" in support and 'data-kind="product"' in support

    marketer = panels.buyer_context(demo_assistant, cid, "marketer")
    assert f"{completed} completed" in marketer
    assert escape(email) not in marketer and "Contact details are hidden" in marketer

    missing = panels.buyer_context(demo_assistant, "NOPE-1", "support")
    assert "panel-error" in missing and "NOPE-1" in missing and "Traceback" not in missing
    assert "enter a customer id" in panels.buyer_context(demo_assistant, "  ", "support")


def test_buyer_context_card_in_chinese(demo_assistant, demo_ws):
    from assistant.webapp import panels
    from assistant.webapp.i18n import catalog

    cid, _ = _busy_customer(demo_ws.cursor())
    english = panels.buyer_context(demo_assistant, cid, "marketer")
    chinese = panels.buyer_context(demo_assistant, cid, "marketer", "zh")
    assert (
        f"买家 {cid}" in chinese
        and "建议的下一步" in chinese
        and "营销角色看不到联系方式" in chinese
    )
    # No English label is left (data such as an acquisition channel stays as the shop has it).
    labels = [v for k, v in catalog("en").items() if k.startswith("card.")]
    tags = ("<b>{}</b>", "<th>{}</th>", "<h4>{}</h4>")
    assert not [v for v in labels for tag in tags if tag.format(v) in chinese]
    assert any(tag.format(v) in english for v in labels for tag in tags)
    assert "Next best action" in english and "Next best action" not in chinese
    # The same records behind both: every review id of the English card is in the Chinese.
    assert set(re.findall(r"R\d{6}", english)) == set(re.findall(r"R\d{6}", chinese))
    # The action is worded in Chinese (it names the same ids as the English sentence).
    action = re.search(r"<b>建议的下一步</b>: ([^<]*)<", chinese).group(1)
    assert re.search("[\u4e00-\u9fff]", action), action


def test_product_insight_charts_match_sql(demo_assistant, demo_ws, demo_dir):
    import json

    from assistant.webapp import panels

    manifest = json.loads((demo_dir / "demo_manifest.json").read_text())
    defect = next(d for d in manifest["defects"] if d["aspect"] == "battery")
    pid = defect["product_id"]
    cur = demo_ws.cursor()
    monthly = cur.execute(
        "SELECT strftime(created_at, '%Y-%m') m, count(*), avg(rating) FROM reviews "
        "WHERE product_id = ? AND created_at >= DATE '2026-01-01' GROUP BY m ORDER BY m",
        [pid],
    ).fetchall()
    labels = cur.execute(
        "SELECT strftime(r.created_at, '%Y-%m') m, s.label, count(*) FROM reviews r "
        "JOIN review_sentiment s USING (review_id) WHERE r.product_id = ? "
        "AND r.created_at >= DATE '2026-01-01' GROUP BY ALL",
        [pid],
    ).fetchall()
    battery = cur.execute(
        "SELECT count(DISTINCT a.review_id) FROM review_aspects a JOIN reviews r USING (review_id) "
        "WHERE r.product_id = ? AND a.aspect = 'battery' AND a.polarity = 'negative' "
        "AND r.created_at >= DATE '2026-01-01'",
        [pid],
    ).fetchone()[0]

    summary, rating, sentiment, aspects, quotes = panels.product_insight(
        demo_assistant, f"product:{pid}", "2026-01-01", "", "marketer"
    )
    assert f"{sum(n for _, n, _ in monthly)} reviews" in summary
    assert list(rating.data[0].x) == [m for m, _, _ in monthly]
    assert list(rating.data[0].y) == pytest.approx([a for _, _, a in monthly], abs=1e-3)
    by_label = {(m, lab): n for m, lab, n in labels}
    for trace in sentiment.data:
        assert list(trace.y) == [by_label.get((m, trace.name), 0) for m, _, _ in monthly]
    complaints = dict(zip(aspects.data[0].y, aspects.data[0].customdata, strict=True))
    assert battery > 0 and complaints["battery"] == battery
    assert "Complaints · battery" in quotes and "data-review=" in quotes

    # Free text resolves through the catalog; a category works too.
    summary, *_ = panels.product_insight(demo_assistant, "Headphones", "", "", "marketer")
    assert "category **Headphones**" in summary
    bad, *_ = panels.product_insight(demo_assistant, f"product:{pid}", "2026-13-01", "", "marketer")
    assert bad.startswith("⚠️") and "since must be a date" in bad


def test_audience_matches_sql_and_writes_csv(demo_assistant, demo_ws):
    import csv

    from assistant.webapp import panels

    cur = demo_ws.cursor()
    country, expected = cur.execute(
        "SELECT country, count(*) FROM customers WHERE country IS NOT NULL "
        "GROUP BY country ORDER BY count(*) DESC, country LIMIT 1 OFFSET 2"
    ).fetchone()
    ids = {
        r[0]
        for r in cur.execute(
            "SELECT customer_id FROM customers WHERE country = ?", [country]
        ).fetchall()
    }
    stats, table, path = panels.build_audience(
        demo_assistant, "marketer", [], "", None, None, None, [], "", "", "", country
    )
    assert f"**{expected}** of" in stats
    assert len(table["data"]) == expected
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["customer_id"] for r in rows} == ids
    assert set(rows[0]) == set(panels.CSV_COLUMNS)  # no contact details in the export
    assert all(float(r["spend"]) >= 0 for r in rows)

    denied, table, path = panels.build_audience(
        demo_assistant, "support", [], "", None, None, None, [], "", "", "", country
    )
    assert "support role may not" in denied and table["data"] == [] and path is None
    bad, *_ = panels.build_audience(
        demo_assistant, "marketer", [], "", "lots", None, None, [], "", "", "", ""
    )
    assert "minimum spend must be a number" in bad


def test_evidence_quotes_follow_the_answer_and_show_the_passage_it_quoted():
    insights = {
        "top_praised": [
            {"aspect": "sound", "quotes": [{"review_id": "R2", "text": "Great sound."}]}
        ],
        "top_complaints": [
            {
                "aspect": "battery",
                "quotes": [
                    {"review_id": "R2", "text": "Charging problem."},
                    {"review_id": "R1", "text": "Battery died."},
                ],
            }
        ],
    }
    answer = {
        "text": 'battery: e.g. "Battery died." (R1) and "Charging problem." (R2)',
        "evidence": {"reviews": ["R3", "R2", "R1"]},
        "tool_calls": [{"name": "product_insights", "result": insights}],
    }
    html = render.evidence_html(answer)
    assert html.index('data-review="R1"') < html.index('data-review="R2"')
    assert "Charging problem." in html and "Great sound." not in html
    assert html.index("R2") < html.index("R3")  # unquoted ids come after the quoted ones


def test_audience_form_defaults_give_the_cli_audience_for_every_segment(demo_assistant, demo_dir):
    """The form's untouched values, as its components hold them, filter nothing but the
    segment: the same count as `insight audience --segment S` for every segment."""
    import json

    from gradio.i18n import I18nData
    from typer.testing import CliRunner

    from assistant.cli import app as cli_app
    from assistant.config import Settings
    from assistant.webapp import i18n, panels
    from assistant.webapp.app import create_app
    from tools.customers import SEGMENTS

    demo = create_app(demo_assistant, Settings(data_dir=demo_dir))
    # Labels are translation keys (i18n.label): looked up here by their English text.
    by_label = {
        i18n.text(c.label.key) if isinstance(c.label, I18nData) else c.label: c
        for c in demo.blocks.values()
        if hasattr(c, "label")
    }
    labels = ["Bought in category", "Min spend", "Max spend", "No order for (days)",
              "Churn risk", "Wrote a review that is", "Complained about",
              "Browsed, never bought", "Country"]  # fmt: skip
    defaults = [by_label[label].value for label in labels]
    runner = CliRunner()
    for segment in SEGMENTS:
        stats, table, _ = panels.build_audience(demo_assistant, "marketer", [segment], *defaults)
        cli = runner.invoke(
            cli_app, ["audience", "--segment", segment, "--json", "--data-dir", str(demo_dir)]
        )
        expected = json.loads(cli.stdout)["count"]
        assert f"**{expected}** of" in stats, (segment, stats)
        assert len(table["data"]) == expected
        assert "None" not in stats
