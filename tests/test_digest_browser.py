"""The "What changed" tab in a real headless Chromium: it is the home tab, its cards
show the planted defect of a month with a sparkline, and a card's link opens the
product tab on that product.

Uses Debian's chromium (`make browser`); skipped when it is not installed.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from assistant.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TIMEOUT_MS = 180_000

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
def app_url(demo_dir):
    from assistant.agent import Assistant
    from assistant.webapp.app import create_app, launch

    settings = Settings(data_dir=demo_dir, port=free_port(), ui_concurrency=2, role="marketer")
    bot = Assistant.open(demo_dir, settings=settings)
    demo = create_app(bot, settings)
    launch(demo, settings, users_path=None, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()
        bot.close()


def test_home_tab_cards_click_through_to_the_product(app_url, demo_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    aurora = next(
        d
        for d in json.loads((demo_dir / "demo_manifest.json").read_text())["defects"]
        if d["aspect"] == "battery"
    )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url, wait_until="load")
        # The home tab fills itself on load with the latest period.
        page.locator("#digest-summary", has_text="What changed").wait_for()
        assert page.get_by_role("tab", name="What changed").get_attribute("aria-selected") == "true"

        # The month the defect started: its card, figures with n, a sparkline, a link.
        month = aurora["since"][:7]
        page.locator("#digest-since input, #digest-since textarea").first.fill(f"{month}-01")
        page.locator("#digest-until input, #digest-until textarea").first.fill(f"{month}-31")
        page.locator("#digest-go").click()
        card = page.locator("#digest-card-0")
        card.get_by_text(aurora["product_id"]).first.wait_for()
        assert "battery" in card.inner_text()
        assert "of" in card.inner_text() and "95%" in card.inner_text()
        page.locator("#digest-spark-0 .js-plotly-plot").first.wait_for()
        page.screenshot(path=str(tmp_path / "digest.png"))

        # Click-through: the product tab opens on that product, with its charts.
        card.locator(f'a.ev-link[data-kind="product"][data-id="{aurora["product_id"]}"]').click()
        page.locator("#product-summary", has_text=aurora["product_id"]).wait_for()
        assert (
            page.get_by_role("tab", name="Product insight").get_attribute("aria-selected") == "true"
        )
        browser.close()
