"""HTML and text the web app shows: evidence, tool-call summaries, notices.

Everything taken from the shop or a model (review text, names, ids, error messages)
passes :mod:`assistant.sanitize` here: HTML values are escaped, markdown is rendered
inert (no images, no links to other hosts, no raw HTML); review text is already
PII-redacted by the tools. Customer and product ids become links
with ``data-kind``/``data-id`` attributes; the page's script turns a click on one
into an event that opens the buyer context or the product tab.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.flag_words import flags_sentence
from assistant.sanitize import code_block, html_text, md_text, safe_markdown, strip_controls

MAX_QUOTES = 6
TOOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
MAX_IDS = 30


def link(kind: str, ident: str, label: str | None = None) -> str:
    """A clickable id: kind is "customer" or "product"."""
    return (
        f'<a href="#" class="ev-link" data-kind="{html_text(kind)}" data-id="{html_text(str(ident))}">'
        f"{html_text(label or str(ident))}</a>"
    )


def _walk(value: Any):
    """Every dict nested anywhere in a tool result."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def review_quotes(tool_calls: list[dict], answer_text: str = "") -> dict[str, dict]:
    """Review records (id -> {text, rating, product_id, ...}) found in tool results.

    A review can be quoted for several aspects with different passages; the passage the
    answer itself quotes wins, so the evidence shows what the answer relied on."""
    quotes: dict[str, dict] = {}
    for call in tool_calls:
        for record in _walk(call.get("result")):
            rid = record.get("review_id")
            text = record.get("text") or record.get("quote") or record.get("snippet")
            if not (rid and isinstance(text, str)):
                continue
            if rid not in quotes or (text.strip() and text.strip() in answer_text):
                quotes[rid] = record
    return quotes


def _in_answer_order(ids: list[str], answer_text: str) -> list[str]:
    """Ids the answer mentions first, in the order it mentions them; the rest after."""
    position = {i: answer_text.find(i) for i in ids}
    return sorted(ids, key=lambda i: (position[i] < 0, position[i]))


def _id_list(kind: str | None, ids: list[str]) -> str:
    shown = [link(kind, i) if kind else html_text(str(i)) for i in ids[:MAX_IDS]]
    more = f" … and {len(ids) - MAX_IDS} more" if len(ids) > MAX_IDS else ""
    return ", ".join(shown) + more


def quote_block(rid: str, record: dict) -> str:
    rating = record.get("rating")
    stars = f"{'★' * int(rating)}{'☆' * (5 - int(rating))} " if isinstance(rating, int) else ""
    meta = [f"<code>{html_text(rid)}</code>"]
    if record.get("product_id"):
        meta.append(link("product", record["product_id"]))
    if record.get("customer_id"):
        meta.append(link("customer", record["customer_id"]))
    if record.get("created_at"):
        meta.append(html_text(str(record["created_at"])[:10]))
    label = record.get("sentiment") or record.get("label")
    if isinstance(label, str):
        meta.append(html_text(label))
    text = html_text(record.get("text") or record.get("quote") or record.get("snippet") or "")
    body = f"“{text}”"
    if record.get("mixed") and record.get("sentences"):
        from assistant.webapp.cards import sentences_html  # cards builds on this module

        meta.append("mixed")
        body = sentences_html(record["sentences"])
    return (
        f'<blockquote class="ev-quote" data-review="{html_text(rid)}">{stars}{body}'
        f'<div class="ev-meta">{" · ".join(meta)}</div></blockquote>'
    )


def evidence_html(answer: dict) -> str:
    """The evidence under an answer: quotes with review ids, then linked ids."""
    evidence = answer.get("evidence") or {}
    tool_calls = answer.get("tool_calls") or []
    if not any(evidence.get(k) for k in ("reviews", "customers", "products", "orders")):
        if not tool_calls:
            return ""
        return '<div class="evidence"><p class="ev-none">No records cited.</p></div>'
    parts = ['<div class="evidence"><h4>Evidence</h4>']
    text = answer.get("text") or ""
    review_ids = _in_answer_order(list(evidence.get("reviews") or []), text)
    if review_ids:
        found = review_quotes(tool_calls, text)
        quoted = [rid for rid in review_ids if rid in found][:MAX_QUOTES]
        parts.extend(quote_block(rid, found[rid]) for rid in quoted)
        rest = [rid for rid in review_ids if rid not in quoted]
        if rest:
            parts.append(f"<p><b>Reviews</b>: {_id_list(None, rest)}</p>")
    for key, kind, title in (
        ("customers", "customer", "Customers"),
        ("products", "product", "Products"),
        ("orders", None, "Orders"),
    ):
        ids = list(evidence.get(key) or [])
        if ids:
            parts.append(f"<p><b>{title}</b>: {_id_list(kind, ids)}</p>")
    parts.append("</div>")
    return "".join(parts)


# A tool's record counts as a user reads them, not as its result's keys.
COUNT_WORDS = {
    "n": "records",
    "review_count": "reviews",
    "count": "matches",
    "size": "in the group",
    "order_count": "orders",
}


def result_summary(result: Any, error: Any = None) -> str:
    """One line for a finished tool call: the error, or the record counts it reports."""
    if error:
        shown = error if isinstance(error, str) else json.dumps(error)
        return f"error: {strip_controls(shown)}"
    if isinstance(result, dict):
        if result.get("error"):
            return f"error: {strip_controls(str(result.get('message') or result['error']))}"
        counts = [
            f"{result[k]:,} {noun}"
            for k, noun in COUNT_WORDS.items()
            if isinstance(result.get(k), int | float)
        ]
        if counts:
            return ", ".join(counts)
    return "done"


def tool_body(args: Any, result: Any = None, error: Any = None, *, limit: int = 1500) -> str:
    """The collapsible body of a tool call: its arguments, then a clipped result."""
    body = "**arguments**\n" + code_block(json.dumps(args, indent=1, default=str), "json")
    if error or result is not None:
        shown = json.dumps(error or result, indent=1, default=str)
        if len(shown) > limit:
            shown = shown[:limit] + "\n… (clipped)"
        body += "\n**result**\n" + code_block(shown, "json")
    return body


def answer_markdown(text: str | None) -> str:
    """A chat message (an answer from a model or the planner, or a typed question) as
    markdown the chat may render: no remote images, no links to other hosts, no raw HTML.
    Applied to the whole text each time it grows, so a construct split across streamed
    deltas is still seen whole."""
    return safe_markdown(text)


def tool_title(name: Any) -> str:
    """The heading of a tool call in the chat (rendered as markdown). Tool names are
    plain identifiers (intraword underscores are not emphasis); anything else is text."""
    shown = str(name)
    return f"Tool call: {shown if TOOL_NAME.fullmatch(shown) else md_text(shown)}"


def backend_notice(answer: dict) -> str:
    """Which model answered, and a visible notice when it fell back to the local planner."""
    backend = answer.get("backend") or "unknown"
    text = f"Answered by **{md_text(backend)}**"
    timings = answer.get("timings") or {}
    total = timings.get("total_ms") or timings.get("total")
    if isinstance(total, int | float):
        text += f" in {total / 1000:.1f} s"
    if answer.get("fell_back"):
        reason = answer.get("fallback_reason") or "the configured model failed"
        text += f" — ⚠️ fell back to the local planner: {md_text(reason)}"
    flags = answer.get("flags") or []
    if flags:
        text += " — ⚠️ " + md_text(flags_sentence([str(f) for f in flags]))
    return text
