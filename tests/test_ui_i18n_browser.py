"""The language switch in a real headless Chromium: English by default; 简体中文 turns the
tab names, buttons and example questions Chinese, a Chinese example is answered; English
comes back, and a reload keeps the language last chosen.

Uses Debian's chromium (`make browser`); skipped when it is not installed.
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.users import add_user
from assistant.webapp import i18n
from tests.test_chat_browser import ARGS, CHROMIUM, TIMEOUT_MS, USER_MESSAGES, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium not installed (make browser)"
    ),
]

TABS = ("tab.digest", "tab.chat", "tab.buyer", "tab.product", "tab.audiences")
EXAMPLES = "#chatbot button.example"
# The example asked: it names a customer id, so the answer can be checked against it
# (the planner reads no Chinese phrasing yet; an id it reads in any language).
ASKED = next(q for q in i18n.examples("zh") if "C00007" in q)


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


@pytest.fixture
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        # An English browser: Chinese must come from the switch, not from the locale.
        page = chromium.new_page(viewport={"width": 1280, "height": 1000}, locale="en-US")
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(app_url, wait_until="load")
        page.locator("input[type=text]").first.fill("mia")
        page.locator("input[type=password]").fill("mia-password")
        page.locator("button", has_text="Login").click()
        page.locator("#who", has_text="role marketer").wait_for()
        page.get_by_role("tab", name="Chat").click()  # "What changed" is the home tab
        yield page
        chromium.close()


def _tab_names(page) -> list[str]:
    return [name.strip() for name in page.get_by_role("tab").all_inner_texts()]


def _examples(page) -> list[str]:
    page.locator(EXAMPLES).first.wait_for()
    return [text.strip() for text in page.locator(EXAMPLES).all_inner_texts()]


def _switch(page, lang: str) -> None:
    name = dict((code, shown) for shown, code in i18n.LANGUAGE_CHOICES)[lang]
    page.locator("#lang label", has_text=name).click()
    _wait_for_tabs(page, lang)


def _wait_for_tabs(page, lang: str) -> None:
    # The tab labels arrive as separate updates: wait for all of them, not the first.
    page.wait_for_function(
        "names => [...document.querySelectorAll('[role=tab]')]"
        ".map(t => t.innerText.trim()).join('\\n') === names",
        arg="\n".join(i18n.text(key, lang) for key in TABS),
    )


def _wait_for_text(page, selector: str, text: str) -> None:
    # In a tab not shown, so read from the document rather than waited on as visible.
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text],
    )


def test_switch_to_chinese_ask_an_example_and_back(page, tmp_path):
    english = [i18n.text(key, "en") for key in TABS]
    chinese = [i18n.text(key, "zh") for key in TABS]
    assert _tab_names(page) == english
    assert _examples(page) == i18n.examples("en")

    _switch(page, "zh")
    assert _tab_names(page) == chinese
    page.locator("#who", has_text="已登录").wait_for()
    page.wait_for_function(
        f"q => [...document.querySelectorAll('{EXAMPLES}')].map(b => b.innerText.trim())"
        ".join('\\n') === q",
        arg="\n".join(i18n.examples("zh")),
    )
    assert page.locator("#ask").inner_text().strip() == i18n.text("chat.ask", "zh")
    # The home tab's cards are written again in the chosen language.
    _wait_for_text(page, "#digest-summary", "变化摘要")
    placeholder = page.locator("#question textarea").get_attribute("placeholder")
    assert placeholder == i18n.text("chat.question", "zh")
    page.screenshot(path=str(tmp_path / "zh.png"), full_page=True)

    page.locator(EXAMPLES, has_text=ASKED).click()
    page.wait_for_function(
        f"() => document.querySelectorAll('{USER_MESSAGES}').length === 1"
        " && /Answered by/.test(document.querySelector('#notice').innerText)"
    )
    assert page.locator(USER_MESSAGES).last.inner_text().strip() == ASKED
    answer = page.locator("#chatbot [data-testid=bot]").last.inner_text()
    assert "C00007" in answer
    page.screenshot(path=str(tmp_path / "zh-answer.png"), full_page=True)

    # The choice outlives a reload; the page's own language (English) does not override it.
    page.reload(wait_until="load")
    _wait_for_tabs(page, "zh")
    assert _tab_names(page) == chinese
    page.get_by_role("tab", name=i18n.text("tab.chat", "zh"), exact=True).click()

    _switch(page, "en")
    assert _tab_names(page) == english
    page.locator("#who", has_text="Logged in as").wait_for()
    _wait_for_text(page, "#digest-summary", "What changed")
    page.locator("#new-thread").click()
    page.locator("#notice", has_text="New thread started").wait_for()
    assert _examples(page) == i18n.examples("en")
