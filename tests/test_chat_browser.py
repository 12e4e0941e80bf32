"""The web chat in a real headless Chromium: a ranked question and a monthly question each
get a plotly chart, a table and a CSV download in the chat, the CSV holds the rows the
table shows; a "which one do you mean" question offers its product ids as buttons, and a
click sends the id as the next reply.

Uses Debian's chromium (`make browser`); skipped when it is not installed.
"""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.users import add_user
from assistant.webapp.chat_results import MAX_SHOWN_ROWS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 120_000
RANKED = "What is the revenue by product since January 2026?"
MONTHLY = "What is the revenue by month since January 2026?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium not installed (make browser)"
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(demo_dir, tmp_path_factory):
    from assistant.agent import Assistant
    from assistant.webapp.app import create_app, launch

    users = tmp_path_factory.mktemp("users") / "users.json"
    add_user(users, "mia", "marketer", "mia-password", rounds=4)
    settings = Settings(data_dir=demo_dir, port=free_port(), ui_concurrency=2)
    bot = Assistant.open(demo_dir, settings=settings)
    demo = create_app(bot, settings, users_path=users)
    launch(demo, settings, users_path=users, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()
        bot.close()


@pytest.fixture(scope="module")
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url, wait_until="load")
        page.locator("input[type=text]").first.fill("mia")
        page.locator("input[type=password]").fill("mia-password")
        page.locator("button", has_text="Login").click()
        page.locator("#who", has_text="role marketer").wait_for()
        page.get_by_role("tab", name="Chat").click()  # "What changed" is the home tab
        yield page
        chromium.close()


def _new_thread(page) -> None:
    page.locator("#new-thread").click()
    page.locator("#notice", has_text="New thread started").wait_for()


USER_MESSAGES = "#chatbot [data-testid=user]"


def _answered(page, users_before: int) -> None:
    """Wait for the turn after ``users_before`` user messages to be answered. The turn's
    first update shows the new message and "Working…" together, so an "Answered by" left
    from the turn before never counts."""
    page.wait_for_function(
        f"n => document.querySelectorAll('{USER_MESSAGES}').length > n"
        " && /Answered by/.test(document.querySelector('#notice').innerText)",
        arg=users_before,
    )


def _ask(page, question: str) -> None:
    before = page.locator(USER_MESSAGES).count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    _answered(page, before)


def _plot_types(page) -> list[list[str]]:
    """The trace types of every plotly chart in the chat, in page order."""
    page.locator("#chatbot .js-plotly-plot").first.wait_for()
    return page.locator("#chatbot .js-plotly-plot").evaluate_all(
        "els => els.map(e => (e.data || []).map(t => t.type))"
    )


def _csv_rows(page) -> list[list[str]]:
    link = page.locator("#chatbot a[href*='.csv']").last
    link.wait_for()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok, response.status
    return list(csv.reader(io.StringIO(response.text())))


def _table_rows(page) -> int:
    table = page.locator("#chatbot table").last
    table.wait_for()
    return table.locator("tbody tr").count()


def test_ranked_and_monthly_answers_show_chart_table_and_csv(page, tmp_path):
    _new_thread(page)
    _ask(page, RANKED)
    assert _plot_types(page) == [["bar"]]
    ranked = _csv_rows(page)
    assert ranked[0][0] == "product" and "revenue" in ranked[0]
    assert len(ranked) > 1 and all(row[0].startswith("P") for row in ranked[1:])
    assert _table_rows(page) == min(len(ranked) - 1, MAX_SHOWN_ROWS)
    page.screenshot(path=str(tmp_path / "ranked.png"), full_page=True)

    # The same thread: the first answer's chart stays above the second's.
    _ask(page, MONTHLY)
    page.locator("#chatbot .js-plotly-plot").nth(1).wait_for()
    assert _plot_types(page) == [["bar"], ["scatter"]]
    monthly = _csv_rows(page)
    assert monthly[0] == ["month", "revenue", "n"]
    months = [row[0] for row in monthly[1:]]
    assert months and months == sorted(months) and months[0] == "2026-01"
    assert all(float(row[1]) > 0 for row in monthly[1:])
    assert _table_rows(page) == min(len(monthly) - 1, MAX_SHOWN_ROWS)
    page.screenshot(path=str(tmp_path / "monthly.png"), full_page=True)


def test_ids_offered_in_a_question_are_buttons_that_send_the_id(page):
    _new_thread(page)
    _ask(page, "What do buyers complain about for the Aurora?")
    bot = page.locator("#chatbot [data-testid=bot]").last
    assert "Which one do you mean" in bot.inner_text()
    options = page.locator("#chatbot button.option")
    labels = options.all_inner_texts()
    ids = [label.rsplit("(", 1)[-1].rstrip(")") for label in labels]
    assert len(ids) >= 2 and all(i in bot.inner_text() for i in ids)

    before = page.locator(USER_MESSAGES).count()
    options.nth(1).click()
    _answered(page, before)
    assert page.locator(USER_MESSAGES).last.inner_text().strip() == ids[1]
    assert ids[1] in page.locator("#chatbot [data-testid=bot]").last.inner_text()
