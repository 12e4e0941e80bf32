"""Contact details per role on every front end: support and admin get name, email and
phone in chat, the buyer panel and the CLI; a marketer never does. A support
conversation about one buyer (profile, open tickets, contact) keeps the buyer."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.webapp import panels


@pytest.fixture(scope="module")
def assistant(demo_dir):
    from assistant.agent import Assistant

    bot = Assistant.open(demo_dir)
    yield bot
    bot.close()


@pytest.fixture(scope="module")
def buyer(assistant):
    """(customer id, name, email, phone) of a customer with every contact field and an
    open ticket, straight from SQL."""
    row = (
        assistant.workspace.cursor()
        .execute(
            """SELECT c.customer_id, c.name, c.email, c.phone FROM customers c
               JOIN tickets t USING (customer_id)
               WHERE c.name IS NOT NULL AND c.email IS NOT NULL AND c.phone IS NOT NULL
                 AND lower(coalesce(t.status, 'open')) NOT IN ('closed', 'resolved', 'solved')
               ORDER BY c.customer_id LIMIT 1"""
        )
        .fetchone()
    )
    assert row, "the demo shop should have a reachable customer with an open ticket"
    return row


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("role", ["support", "admin"])
def test_support_and_admin_get_contact_details_in_chat(assistant, buyer, role):
    cid, name, email, phone = buyer
    answer = assistant.ask(f"what's the email and phone number of {cid}?", role=role)
    assert "contact_details" in [c.name for c in answer.tool_calls], answer.text
    for secret in (name, email, phone):
        assert secret in answer.text


def test_marketer_never_gets_contact_details_in_chat(assistant, buyer):
    cid, name, email, phone = buyer
    answer = assistant.ask(f"what's the email and phone number of {cid}?", role="marketer")
    assert "contact_details" not in [c.name for c in answer.tool_calls]
    out = answer.to_json()
    for secret in (name, email, phone):
        assert secret not in out
    assert "contact details" in answer.text.lower()


def test_contact_details_on_the_buyer_panel_per_role(assistant, buyer):
    cid, name, email, phone = buyer
    support = panels.buyer_context(assistant, cid, "support")
    marketer = panels.buyer_context(assistant, cid, "marketer")
    for secret in (name, email, phone):
        assert secret in support
        assert secret not in marketer


def test_contact_details_in_the_cli_per_role(demo_dir, buyer):
    cid, name, email, phone = buyer
    for role in ("support", "admin"):
        profile = _cli("profile", cid, "--role", role, "--data-dir", str(demo_dir))
        asked = _cli(
            "ask", f"email and phone of {cid}", "--role", role, "--data-dir", str(demo_dir)
        )
        for secret in (name, email, phone):
            assert secret in profile and secret in asked
    profile = _cli("profile", cid, "--role", "marketer", "--data-dir", str(demo_dir))
    asked = _cli(
        "ask", f"email and phone of {cid}", "--role", "marketer", "--data-dir", str(demo_dir)
    )
    for secret in (name, email, phone):
        assert secret not in profile and secret not in asked


def test_a_support_conversation_keeps_the_buyer(assistant, buyer):
    cid, name, email, phone = buyer
    thread = f"support-{cid}"
    first = assistant.ask(f"Profile of {cid}", role="support", thread_id=thread)
    assert [c.name for c in first.tool_calls] == ["customer_profile"]
    tickets = assistant.ask("what are their open tickets about?", role="support", thread_id=thread)
    call = next(c for c in tickets.tool_calls if c.name == "tickets")
    assert call.args["customer_id"] == cid and call.args["status"] == "open"
    texts = [t["text"] for t in call.result["tickets"]]
    assert texts and any(" ".join(t.split())[:40] in tickets.text for t in texts if t)
    contact = assistant.ask(
        "what's their email and phone number?", role="support", thread_id=thread
    )
    assert email in contact.text and phone in contact.text
