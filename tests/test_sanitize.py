"""The one sanitiser between data (or a model) and what a browser or terminal renders.

Each case is a way customer-written text or a model's answer could make the support
agent's browser fetch a remote URL or run markup. The markdown cases are checked on
the HTML that a CommonMark + GFM renderer (markdown-it, as Gradio's chatbot renders
messages) makes of the sanitised text, so they test what a browser would get.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from assistant.sanitize import (
    code_block,
    html_text,
    md_text,
    safe_markdown,
    strip_controls,
    terminal_text,
)

BEACON = "http://127.0.0.1:9/x.png?d=Ada"

HOSTILE = {
    "markdown image": f"Nice ![x]({BEACON}) sound",
    "image with title": f'![x]({BEACON} "t")',
    "reference image": f"![x][1]\n\n[1]: {BEACON}",
    "shortcut reference image": f"![logo]\n\n[logo]: <{BEACON}>",
    "autolink": f"see <{BEACON}>",
    "raw img": f'<img src="{BEACON}">',
    "raw img unquoted": f"<IMG SRC={BEACON} onerror=alert(1)>",
    "iframe": f'<iframe src="{BEACON}"></iframe>',
    "svg": f'<svg><image href="{BEACON}"/></svg>',
    "style": f"<style>body{{background:url({BEACON})}}</style>",
    "link": f"[free gift]({BEACON})",
    "bare url": f"go to {BEACON} now",
    "www host": "go to www.example.net now",
    "image in a link": f"[![x]({BEACON})](http://127.0.0.1:9/)",
    "javascript link": "[click](javascript:alert(document.cookie))",
    "entity javascript link": "[click](jav&#x61;script:alert(1))",
    "data uri image": "![p](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "data uri link": "[p](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "protocol-relative link": "[a](//127.0.0.1:9/x) [b](/\\127.0.0.1:9/y)",
    "html inside an app link": f'[<img src="{BEACON}">](#top)',
    "entity encoded tag": "&lt;img src=http://127.0.0.1:9/x.png&gt;",
}


def render(markdown: str) -> str:
    """The HTML a CommonMark + GFM renderer with raw HTML enabled makes of the text."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    if _has_linkify():
        md = md.enable("linkify")
        md.options["linkify"] = True
    return md.render(markdown)


def _has_linkify() -> bool:
    try:
        import linkify_it  # noqa: F401
    except ImportError:
        return False
    return True


class _Elements(HTMLParser):
    """Tags and attributes of rendered HTML that load a URL or run code."""

    LOADING = {
        "img",
        "iframe",
        "svg",
        "image",
        "style",
        "script",
        "object",
        "embed",
        "video",
        "audio",
        "source",
        "link",
        "picture",
        "frame",
    }

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.LOADING:
            self.found.append(tag)
        for name, value in attrs:
            if name in ("src", "srcset", "style", "background") or name.startswith("on"):
                self.found.append(f"{tag}@{name}")
            href = value or ""
            local = href.startswith("#") or (href.startswith("/") and href[1:2] not in "/\\")
            if name == "href" and not local:
                self.found.append(f"{tag}@href={value}")


def fetching_or_active(rendered: str) -> list[str]:
    parser = _Elements()
    parser.feed(rendered)
    return parser.found


def autolinked(text: str) -> list[str]:
    """What a GFM renderer (marked, as the browser chat uses) would turn into links on its
    own: bare http(s)/ftp URLs and www. hosts."""
    return re.findall(r"(?i)\b(?:(?:https?|ftp)://|www\.)\S+", text)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_markdown_renders_nothing_that_loads_or_runs(name):
    text = HOSTILE[name]
    out = safe_markdown(text)
    assert fetching_or_active(render(out)) == [], f"{name}: {out!r}"
    assert autolinked(out) == [], f"{name}: {out!r}"


def test_images_keep_their_alt_text_and_links_show_where_they_went():
    out = safe_markdown(f"Great ![happy buyer]({BEACON}) and [docs](https://example.org/d)")
    assert "happy buyer (image not shown)" in out
    assert "docs (https:\u200b//example.org/d)" in out
    assert "javascript" not in safe_markdown("[click](javascript:alert(1))")
    assert safe_markdown("[click](javascript:alert(1))") == "click"


def test_reference_definitions_become_text():
    out = safe_markdown(f"![x][1]\n\n[1]: {BEACON}")
    assert "image" not in render(out).lower() or "<img" not in render(out)
    assert re.search(r"^\\\[1\\\]:", out, re.M)


def test_raw_html_is_shown_as_text():
    out = safe_markdown('<img src="x.png"> <iframe src="y"></iframe>')
    html = render(out)
    assert "<img" not in html and "<iframe" not in html
    assert "&lt;img" in html and "&lt;iframe" in html


def test_ordinary_formatting_and_app_links_survive():
    text = (
        "**Battery** complaints in 12 of 40 reviews [R000123].\n\n"
        "- sound: 3 reviews\n- price < 20: rare\n\n[open](#evidence) and [page](/product/P1)"
    )
    out = safe_markdown(text)
    html = render(out)
    assert "<strong>Battery</strong>" in html and "<li>sound: 3 reviews</li>" in html
    assert "[R000123]" in html and "price &lt; 20" in html
    assert '<a href="#evidence">open</a>' in html and '<a href="/product/P1">page</a>' in html
    # A host the app names as its own keeps its links.
    kept = safe_markdown("[here](https://shop.example/p)", app_hosts=("shop.example",))
    assert kept == "[here](https://shop.example/p)"


def test_md_text_is_literal_inside_our_markdown():
    title = f"Aurora **X** ![x]({BEACON}) <img src=x> [a](http://h/)\n# heading"
    out = md_text(title)
    html = render(f"**P1** · {out}")
    assert fetching_or_active(html) == []
    assert "<h1" not in html and html.count("<strong>") == 1
    assert "Aurora **X**" in html.replace("\\", "")


def test_code_block_cannot_be_closed_by_its_content():
    payload = "x ```\n![x](http://127.0.0.1:9/x.png)\n```\n<img src=y>"
    html = render(code_block(payload, "json"))
    assert fetching_or_active(html) == []
    assert html.count("<pre>") == 1


def test_html_text_escapes_quotes_and_tags():
    assert html_text('"><img src=x onerror=alert(1)>') == (
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
    )
    assert html_text(None) == ""


def test_terminal_text_drops_escape_sequences_and_controls():
    hostile = "ok \x1b[2J\x1b]0;pwned\x07 title\r\nnext\x9b31m \u202eevil\ttab"
    out = terminal_text(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\u202e" not in out and "\r" not in out
    assert out == "ok [2J]0;pwned title\nnext31m evil\ttab"
    assert strip_controls("a\rb") == "a\nb"
