"""The app in a real headless Chromium: log in, ask, see the streamed answer with a tool call
and evidence, open a product chart and a buyer context from evidence links; and, on a
copy of the demo shop with hostile data planted, check that nothing shown makes the
browser fetch another host.

Uses Debian's chromium (`make browser`); skipped when it is not installed. Screenshots
of the chat and the product tab go to the test's temporary folder.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.users import add_user
from tools.safety import redact_pii

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
    add_user(users, "sue", "support", "sue-password", rounds=4)
    add_user(users, "mia", "marketer", "mia-password", rounds=4)
    settings = Settings(data_dir=demo_dir, port=free_port(), ui_concurrency=4)
    bot = Assistant.open(demo_dir, settings=settings)
    demo = create_app(bot, settings, users_path=users)
    launch(demo, settings, users_path=users, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()
        bot.close()


@pytest.fixture(scope="module")
def browser():
    # One Playwright per module: a second sync_playwright cannot start inside the first.
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(app_url, browser):
    context = browser.new_page(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _ask(page, question: str) -> None:
    page.get_by_role("tab", name="Chat").click()  # "What changed" is the home tab
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.locator("#notice", has_text="Answered by").wait_for()


def test_login_ask_evidence_product_chart_and_buyer_context(page, app_url, tmp_path, demo_ws):
    page.goto(app_url, wait_until="load")
    # Gradio's login form; a wrong password is refused first.
    page.locator("input[type=text]").first.fill("sue")
    page.locator("input[type=password]").fill("not-her-password")
    page.locator("button", has_text="Login").click()
    page.get_by_text("Incorrect Credentials").wait_for()
    page.locator("input[type=text]").first.fill("sue")
    page.locator("input[type=password]").fill("sue-password")
    page.locator("button", has_text="Login").click()
    page.locator("#who", has_text="role support").wait_for()

    # Ask; the answer streams in with a tool call and evidence quotes under it.
    _ask(page, "What do buyers complain about for the Aurora headphones since March 2026?")
    chat = page.locator("#chatbot")
    assert (
        chat.get_by_text("search_reviews").count() + chat.get_by_text("product_insights").count()
        >= 1
    )
    evidence = page.locator("#evidence")
    evidence.locator("blockquote.ev-quote").first.wait_for()
    quote_ids = evidence.locator("blockquote.ev-quote").evaluate_all(
        "els => els.map(e => e.dataset.review)"
    )
    assert quote_ids and all(quote_ids)
    # Every quoted review exists in the store.
    found = (
        demo_ws.cursor()
        .execute(
            f"SELECT count(*) FROM reviews WHERE review_id IN ({','.join('?' * len(quote_ids))})",  # noqa: S608 -- only ? placeholders are formatted
            quote_ids,
        )
        .fetchone()[0]
    )
    assert found == len(quote_ids)
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

    # A product id in the evidence opens the product tab with real plotly charts.
    product_link = evidence.locator('a.ev-link[data-kind="product"]').first
    pid = product_link.get_attribute("data-id")
    product_link.click()
    page.locator("#product-summary", has_text=pid).wait_for()
    page.locator("#plot-rating .js-plotly-plot").wait_for()
    page.locator("#plot-aspects .js-plotly-plot").wait_for()
    assert page.locator("#product-quotes blockquote").count() >= 1
    page.screenshot(path=str(tmp_path / "product.png"))

    # A customer id in an answer's evidence opens the buyer context with contact details
    # and the text of their open tickets.
    cid, email, ticket_text = (
        demo_ws.cursor()
        .execute(
            "SELECT c.customer_id, c.email, t.text FROM customers c "
            "JOIN tickets t ON t.customer_id = c.customer_id WHERE c.email IS NOT NULL "
            "AND lower(coalesce(t.status, 'open')) NOT IN ('closed', 'resolved', 'solved') "
            "AND length(t.text) > 30 AND c.customer_id IN (SELECT customer_id FROM orders) "
            "ORDER BY c.customer_id, t.opened_at DESC LIMIT 1"
        )
        .fetchone()
    )
    page.get_by_role("tab", name="Chat").click()
    _ask(page, f"Give me the buyer context for customer {cid}")
    page.locator(f'#evidence a.ev-link[data-kind="customer"][data-id="{cid}"]').click()
    card = page.locator("#buyer-card")
    card.get_by_text(f"Buyer {cid}").wait_for()
    assert email in card.inner_text()
    shown = " ".join(card.inner_text().split())
    assert " ".join(redact_pii(ticket_text).split())[:60] in shown
    assert page.locator("#buyer-id input, #buyer-id textarea").first.input_value() == cid
    page.screenshot(path=str(tmp_path / "buyer.png"), full_page=True)
    for name in ("chat.png", "product.png", "buyer.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    print(f"\nscreenshots: {tmp_path}")


# -- nothing from data makes the browser fetch another host ----------------------------

PLANTED_REVIEW = "R999001"


class Beacon:
    """An HTTP server on loopback that records every request made to it."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def plant_hostile_data(path: Path, beacon: str) -> str:
    """A review of P0016 whose title and text carry every way of making a browser fetch
    a URL, a reviewer whose name is an <img>, a product title with a markdown image.
    Returns the reviewer's id. Derived data (labels, aspects, index) is brought up to date."""
    from assistant.pipeline import label_sentiment, sync_index
    from assistant.workspace import Workspace

    title = f'Battery awful <img src="{beacon}/title-img.png"> ![t]({beacon}/title-md.png)'
    text = (
        f"The battery died ![proof]({beacon}/md-image.png?d=name) fast "
        f'<img src="{beacon}/raw-img.png"> <iframe src="{beacon}/iframe"></iframe> '
        f"[details]({beacon}/link) <{beacon}/autolink> ![ref][1] see {beacon}/bare "
        f"[x](javascript:fetch('{beacon}/js')) "
        f"![d](data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image href='{beacon}/svg.png'/></svg>)"
        f"\n\n[1]: {beacon}/ref.png"
    )
    with Workspace.open(path) as ws:
        con = ws.conn
        reviewer = con.execute(
            "SELECT customer_id FROM orders o JOIN order_items i USING (order_id) "
            "WHERE i.product_id = 'P0016' ORDER BY customer_id LIMIT 1"
        ).fetchone()[0]
        con.execute(
            "UPDATE customers SET name = ? WHERE customer_id = ?",
            [f'Ann <img src="{beacon}/name.png"> ![n]({beacon}/name-md.png)', reviewer],
        )
        con.execute(
            "UPDATE products SET title = title || ? WHERE product_id = 'P0016'",
            [f" ![p]({beacon}/product-md.png) <img src={beacon}/product-img.png>"],
        )
        con.execute(
            "INSERT INTO reviews (review_id, product_id, customer_id, rating, title, text, "
            "created_at, verified, helpful_votes, language) "
            "VALUES (?, 'P0016', ?, 1, ?, ?, TIMESTAMP '2026-10-20 10:00:00', true, 50, 'en')",
            [PLANTED_REVIEW, reviewer, title, text],
        )
        label_sentiment(ws, report=lambda _m: None)
        sync_index(ws, progress=False, report=lambda _m: None)
    return reviewer


@pytest.fixture(scope="module")
def beacon():
    server = Beacon()
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile_app(demo_dir, tmp_path_factory, beacon):
    import shutil

    from assistant.agent import Assistant
    from assistant.webapp.app import create_app, launch

    path = tmp_path_factory.mktemp("hostile") / "ws"
    shutil.copytree(demo_dir, path, ignore=shutil.ignore_patterns(".writer.lock"))
    reviewer = plant_hostile_data(path, beacon.url)
    users = tmp_path_factory.mktemp("users") / "users.json"
    add_user(users, "ada", "admin", "ada-password", rounds=4)
    settings = Settings(data_dir=path, port=free_port(), ui_concurrency=2)
    bot = Assistant.open(path, settings=settings)
    demo = create_app(bot, settings, users_path=users)
    launch(demo, settings, users_path=users, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/", reviewer
    finally:
        demo.close()
        bot.close()


def test_hostile_review_renders_as_text_and_the_browser_fetches_nothing(
    hostile_app, beacon, browser
):
    url, reviewer = hostile_app
    # Its own context: no cookie of the other app's login.
    with browser.new_context(viewport={"width": 1280, "height": 1000}) as context:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url, wait_until="load")
        page.locator("input[type=text]").first.fill("ada")
        page.locator("input[type=password]").fill("ada-password")
        page.locator("button", has_text="Login").click()
        page.locator("#who", has_text="role admin").wait_for()

        # The chat quotes the planted review: its markup shows as text, nothing loads.
        _ask(page, "What do buyers say about the battery of P0016 since 2026-10-15?")
        chat = page.locator("#chatbot")
        chat.get_by_text(PLANTED_REVIEW).first.wait_for()
        page.wait_for_timeout(1500)  # time for any image or frame to have been requested
        assert beacon.hits == [], "the chat answer made the browser fetch"
        assert "<img src=" in chat.inner_text()  # shown, not rendered
        assert chat.locator("img[src*='127.0.0.1'], iframe").count() == 0
        page.locator("#evidence blockquote.ev-quote").first.wait_for()

        # The product tab: summary with the planted title, charts, quotes.
        page.locator('#evidence a.ev-link[data-kind="product"][data-id="P0016"]').first.click()
        page.locator("#product-summary", has_text="P0016").wait_for()
        page.locator("#product-quotes blockquote").first.wait_for()
        assert "![p]" in page.locator("#product-summary").inner_text()

        # The buyer card of the reviewer, whose name is an <img>.
        page.get_by_role("tab", name="Buyer context").click()
        page.locator("#buyer-id input, #buyer-id textarea").first.fill(reviewer)
        page.locator("#buyer-go").click()
        card = page.locator("#buyer-card")
        card.get_by_text(f"Buyer {reviewer}").wait_for()
        assert PLANTED_REVIEW in card.inner_text() and "<img src=" in card.inner_text()

        # The audience tab (stats and table render too).
        page.get_by_role("tab", name="Audiences").click()
        page.locator("#audience-go").click()
        page.locator("#audience-stats", has_text="customers match").wait_for()

        page.wait_for_timeout(1500)  # time for any image or frame to have been requested
        assert beacon.hits == []
        # The recorder works: a request the page does make is seen.
        page.evaluate(f"fetch('{beacon.url}/control', {{mode: 'no-cors'}})")
        page.wait_for_timeout(500)
    assert beacon.hits == ["/control"]


def _log_in(page, name: str, password: str) -> None:
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").fill(password)
    page.locator("button", has_text="Login").click()


def test_log_out_then_a_marketer_exports_the_audience_the_cli_finds(page, app_url, demo_dir):
    """The form as a browser sends it: untouched spend and day boxes mean "any", so the
    audience is the CLI's; the CSV holds every one of its customers."""
    import csv
    import json

    from typer.testing import CliRunner

    from assistant.cli import app

    page.goto(app_url, wait_until="load")
    # Still logged in from the test before, or at the login form when run alone.
    page.locator("#logout, button:has-text('Login')").first.wait_for()
    if page.locator("#logout").count() == 0:
        _log_in(page, "sue", "sue-password")
    page.locator("#who", has_text="role support").wait_for()
    page.locator("#logout").click()
    page.locator("button", has_text="Login").wait_for()
    _log_in(page, "mia", "mia-password")
    page.locator("#who", has_text="role marketer").wait_for()

    page.get_by_role("tab", name="Audiences").click()
    # Before a build the table shows the export's column names, not placeholders.
    assert "customer_id" in page.locator("#audience-table").inner_text()
    page.locator("#aud-seg label", has_text="At risk").click()
    page.locator("#audience-go").click()
    stats = page.locator("#audience-stats")
    stats.get_by_text("customers match").wait_for()

    cli = CliRunner().invoke(
        app, ["audience", "--segment", "At risk", "--json", "--data-dir", str(demo_dir)]
    )
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)["count"]
    assert expected > 0
    text = stats.inner_text()
    assert f"{expected} of" in text and "None" not in text

    with page.expect_download() as info:
        page.locator("#audience-csv a").first.click()
    with open(info.value.path(), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == expected and {r["segment"] for r in rows} == {"At risk"}
