"""Text from data or from a model, made safe for the place it is shown.

Review text, product titles, tool results and model answers are written by people
outside the shop. Shown as they are, they could make the support agent's browser
fetch a remote image (a beacon that leaks whatever its URL carries), run raw HTML,
or make a terminal obey escape sequences. Every front end routes such text through
one of these:

- :func:`safe_markdown`: markdown written by a model or the planner (the chat
  answer). Formatting survives; images never render, links to other hosts and
  bare URLs become plain text, ``javascript:``/``data:`` links lose their target,
  raw HTML shows as text.
- :func:`md_text`: one value from data placed inside markdown we write ourselves
  (a product title in a summary line): shown literally, nothing in it is markup.
- :func:`code_block`: a block of text (tool arguments and results) shown verbatim
  in a fence the text cannot close.
- :func:`html_text`: one value placed inside HTML we write ourselves.
- :func:`terminal_text`: one value printed by the command line.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# C0 controls except tab and newline, DEL, C1 controls (CSI and friends), and the
# bidi overrides that make text display in an order other than it reads.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Invisible on screen; placed between two characters it stops markdown from seeing
# an image opener (`![`) or a bare URL (`http://`, `www.`) that would be autolinked.
_BREAK = "\u200b"

# Schemes whose links run code or carry their own payload: their target is dropped.
_UNSAFE_SCHEMES = ("javascript", "vbscript", "data", "file", "blob", "filesystem")

# An inline link or image: [text](dest "title"), one level of nested brackets in the
# text and of parentheses in the destination, as CommonMark allows.
_INLINE_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
    r"\(\s*(?P<dest><[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)",
    re.DOTALL,
)
# A link reference definition: "[1]: http://host/x.png" on its own line. Without the
# definition, `![x][1]` and `[x][1]` stay literal text.
_REF_DEFINITION = re.compile(
    r"^ {0,3}\[(?P<label>[^\]\n]{1,999})\]:[ \t]*(?P<dest>\S*)(?P<rest>.*)$", re.M
)
# An autolink: <http://host/x>, <mailto:a@b>, <a@b.c>.
_AUTOLINK = re.compile(r"<(?P<dest>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
# Bare URLs and www. hosts, which GitHub-flavoured markdown turns into links.
_BARE_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,31}:(?=//)|www(?=\.))")
# Characters that are markup anywhere in a line; the ones that are markup only at the
# start of a line (#, -, +, >, "1.") are handled by escaping a value's first character.
_MD_INLINE = re.compile(r"([\\`*_\[\]!|~<>])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def strip_controls(text: str) -> str:
    """The text without control characters (tab and newline kept; CR becomes newline)."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _scheme(dest: str) -> str:
    """The scheme of a link target as a browser reads it (entities decoded, blanks and
    controls ignored, so ``jav&#x61;script :`` is still javascript)."""
    decoded = html.unescape(dest)
    squeezed = re.sub(r"[\s\x00-\x1f\x7f]+", "", decoded)
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", squeezed)
    return match.group(1).lower() if match else ""


def _is_local(dest: str, app_hosts: tuple[str, ...]) -> bool:
    """A target inside the app: a fragment, a path on this host, or a listed host."""
    target = html.unescape(dest).strip().strip("<>")
    # "//host" and "/\\host" are other hosts: browsers read both as protocol-relative.
    if target.startswith("#") or (target.startswith("/") and target[1:2] not in ("/", "\\")):
        return True
    if _scheme(target) in ("http", "https") and app_hosts:
        host = (urlsplit(target).hostname or "").lower()
        return host in app_hosts
    return False


def _plain_url(dest: str) -> str:
    """A link target shown as text that markdown does not turn back into a link."""
    return _BARE_URL.sub(lambda m: m.group() + _BREAK, dest.strip("<>"))


def safe_markdown(text: str | None, *, app_hosts: tuple[str, ...] = ()) -> str:
    """Markdown from a model or the planner, with nothing in it that loads or runs.

    Images become their alt text; links to other hosts become ``text (url)`` in plain
    text, links with a code-running scheme keep only their text; reference definitions
    and autolinks become text; raw HTML is escaped. Links inside the app (``#...``,
    ``/...``, or a host in ``app_hosts``) stay links.
    """
    if not text:
        return ""
    hosts = tuple(h.lower() for h in app_hosts)
    # Links kept as links are set aside so the last passes cannot touch them; the
    # marker characters are removed from the text first so data cannot forge one.
    kept: list[str] = []

    def keep(markdown: str) -> str:
        kept.append(markdown)
        return f"\ue000{len(kept) - 1}\ue001"

    out = strip_controls(text).replace("\ue000", "").replace("\ue001", "")

    def definition(match: re.Match) -> str:
        dest = match.group("dest")
        if _is_local(dest, hosts):
            return keep(match.group())
        shown = "" if _scheme(dest) in _UNSAFE_SCHEMES else f" {_plain_url(dest)}"
        return f"\\[{match.group('label')}\\]:{shown}{match.group('rest')}"

    def inline(match: re.Match) -> str:
        label, dest = match.group("text"), match.group("dest")
        if match.group("bang"):
            return f"{label} (image not shown)" if label.strip() else "(image not shown)"
        if _is_local(dest, hosts):
            # The link stays; its text is sanitised like the rest.
            return keep(f"[{safe_markdown(label, app_hosts=hosts)}]({dest})")
        if _scheme(dest) in _UNSAFE_SCHEMES or not dest.strip("<> "):
            return label
        return f"{label} ({_plain_url(dest)})"

    def autolink(match: re.Match) -> str:
        dest = match.group("dest")
        if _scheme(dest) in _UNSAFE_SCHEMES:
            return ""
        return _plain_url(dest)

    out = _REF_DEFINITION.sub(definition, out)
    # Nested constructs ("[![img](a)](b)") unwrap one level per pass.
    for _ in range(4):
        rewritten = _INLINE_LINK.sub(inline, out)
        if rewritten == out:
            break
        out = rewritten
    out = _AUTOLINK.sub(autolink, out)
    out = out.replace("<", "&lt;")
    # Whatever the patterns above did not parse: no image opener and no bare URL
    # survives to be read by the markdown renderer.
    out = out.replace("![", "!" + _BREAK + "[")
    out = _BARE_URL.sub(lambda m: m.group() + _BREAK, out)
    return re.sub("\ue000(\\d+)\ue001", lambda m: kept[int(m.group(1))], out)


def md_text(value: object) -> str:
    """One value from data, shown literally inside markdown we write."""
    text = strip_controls("" if value is None else str(value))
    text = " ".join(text.split())  # one line: a value never starts a heading or a list
    text = _MD_INLINE.sub(r"\\\1", text.replace("&", "&amp;"))
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    if text[:1] in ("#", "+", "-", "=", ">"):
        text = "\\" + text
    return _BARE_URL.sub(lambda m: m.group() + _BREAK, text)


def code_block(text: str, language: str = "") -> str:
    """``text`` verbatim in a fenced block; the fence is longer than any backtick run
    inside, so the text cannot end the block and continue as markdown."""
    body = strip_controls(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def html_text(value: object) -> str:
    """One value from data placed inside HTML we write: escaped, quotes included."""
    return html.escape(strip_controls("" if value is None else str(value)), quote=True)


def terminal_text(value: object) -> str:
    """One value from data printed on a terminal: no escape sequences, no control codes."""
    return strip_controls("" if value is None else str(value))
