"""Every front end calls the tools through the same guarded entry: a marketer gets no
contact details and sees the same injection flags on the web panels and in the CLI as
in chat; answers read the tools' declared fields and leave the results unchanged."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.webapp import panels


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


@pytest.fixture(scope="module")
def assistant(demo_dir):
    from assistant.agent import Assistant

    bot = Assistant.open(demo_dir)
    yield bot
    bot.close()


def _hostile_author(assistant, manifest) -> tuple[str, str, tuple[str, str, str]]:
    """(review id, its author's customer id, the author's name, email and phone)."""
    cur = assistant.workspace.cursor()
    for rid in manifest["hostile_review_ids"]:
        row = cur.execute(
            "SELECT r.customer_id, c.name, c.email, c.phone FROM reviews r "
            "JOIN customers c USING (customer_id) WHERE r.review_id = ?",
            [rid],
        ).fetchone()
        if row and row[1] and row[2] and row[3]:
            return rid, row[0], (row[1], row[2], row[3])
    pytest.skip("no hostile review by a customer with contact details")


def _cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_marketer_sees_the_same_guarded_buyer_in_chat_panel_and_cli(assistant, demo_dir, manifest):
    rid, cid, secrets = _hostile_author(assistant, manifest)
    answer = assistant.ask(f"Give me the buyer context for customer {cid}", role="marketer")
    chat = next(c for c in answer.tool_calls if c.name == "customer_profile").result
    flags = chat["flags"]
    assert any(f.startswith(f"{rid}: ") for f in flags)
    assert set(flags) <= set(answer.flags)

    html = panels.buyer_context(assistant, cid, "marketer")
    text = _cli("profile", cid, "--role", "marketer", "--data-dir", str(demo_dir)).output
    data = json.loads(
        _cli("profile", cid, "--role", "marketer", "--json", "--data-dir", str(demo_dir)).stdout
    )
    for flag in flags:
        assert flag in html, flag
        assert flag in text, flag
    assert data["flags"] == flags
    assert data["identity"] == chat["identity"]
    assert data["reviews"] == chat["reviews"]
    for out in (answer.to_json(), html, text, json.dumps(data)):
        for secret in secrets:
            assert secret not in out

    # The same entry gives support the buyer's contact details, and the same flags.
    support = panels.buyer_context(assistant, cid, "support")
    assert secrets[1] in support
    assert all(flag in support for flag in flags)


def test_marketer_search_in_cli_reports_flags_like_chat(assistant, demo_dir, manifest, monkeypatch):
    rid, _, secrets = _hostile_author(assistant, manifest)
    product = (
        assistant.workspace.cursor()
        .execute("SELECT product_id FROM reviews WHERE review_id = ?", [rid])
        .fetchone()[0]
    )
    query = ["instructions assistant system prompt", "--product", product, "--k", "20"]
    monkeypatch.setenv("INSIGHT_ROLE", "marketer")
    data = json.loads(_cli("search", *query, "--json", "--data-dir", str(demo_dir)).stdout)
    chat = assistant.toolbox("marketer").call(
        "search_reviews", query=query[0], product_id=product, k=20
    )
    assert data["flags"] == chat.result["flags"]
    assert any(f.startswith(f"{rid}: ") for f in data["flags"])
    text = _cli("search", *query, "--data-dir", str(demo_dir)).output
    assert all(flag in text for flag in data["flags"])


def test_segment_answers_list_every_segment_with_share_and_spend(assistant):
    answer = assistant.ask("Show me the customer segments", role="marketer")
    call = next(c for c in answer.tool_calls if c.name == "segment_overview")
    segments = call.result["segments"]
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) == len(segments)
    for line, seg in zip(items, segments, strict=True):
        assert line.startswith(f"- {seg['segment']}: {seg['customers']} customers (")
        assert "% of revenue" in line and "revenue " in line
    assert any(line.startswith("- Prospect:") for line in items)


def test_ask_json_reports_numbers_as_numbers(demo_dir):
    out = _cli(
        "ask",
        "What is the return rate by month since January 2026?",
        "--role",
        "marketer",
        "--json",
        "--data-dir",
        str(demo_dir),
    )
    data = json.loads(out.stdout)
    call = next(c for c in data["tool_calls"] if c["name"] == "sales_metrics")
    rows = call["result"]["rows"]
    assert rows and all(isinstance(r["value"], float) for r in rows)
    assert isinstance(call["result"]["total"], float)
    assert "%" in data["text"]  # the answer shows percentages; the result keeps numbers


def test_chat_reads_a_pasted_text_with_review_sentiment(assistant):
    answer = assistant.ask(
        'Is this review positive or negative: "The strap broke after two days, awful."',
        role="support",
    )
    assert [(c.name, c.args) for c in answer.tool_calls] == [
        ("review_sentiment", {"texts": ["The strap broke after two days, awful."]})
    ]
    assert '"The strap broke after two days, awful.": negative' in answer.text
