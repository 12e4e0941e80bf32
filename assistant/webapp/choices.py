"""Ids the assistant offers as choices ("Which one do you mean: … (P0016) or … (P0059)?")
become buttons under its question; a click sends the id as the next reply.

Only ids in a sentence that asks something (outside quotes) are offered, and only ids
that exist in the store (products and customers) become buttons: a word with a digit in
it ("2026", "4K") or an id a model made up stays text. Product buttons show the title with the id; customer
buttons show only the id, which is all the question showed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_CHOICES = 8
# Store ids are one token: letters, digits, dashes or underscores, at least one digit.
ID_TOKEN = re.compile(r"(?<![\w-])(?=[\w-]*\d)[A-Za-z0-9][\w-]{1,39}(?![\w-])")

# Quoted text (a review, a pasted message) may ask something; the assistant does not.
QUOTED = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»')
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

Lookup = Callable[[list[str]], dict[str, str]]


def questions(text: str) -> list[str]:
    """The sentences of the text, outside quotes, that end with a question mark."""
    unquoted = QUOTED.sub(" ", text or "")
    return [s for s in SENTENCE_END.split(unquoted) if s.rstrip().endswith("?")]


def candidate_ids(text: str) -> list[str]:
    """Tokens that could be ids, first-seen order, no repeats; years and plain numbers left out."""
    seen: dict[str, None] = {}
    for token in ID_TOKEN.findall(text or ""):
        if not token.isdigit():
            seen.setdefault(token, None)
    return list(seen)


def choice_options(text: str, lookup: Lookup) -> list[dict[str, str]]:
    """Gradio chat options for the ids the answer's questions offer: ``{"value": id,
    "label": …}``. Ids elsewhere in the answer (a list, a quote) are no choices."""
    candidates = candidate_ids(" ".join(questions(text)))
    if not candidates:
        return []
    known = lookup(candidates)
    return [{"value": i, "label": known[i]} for i in candidates if i in known][:MAX_CHOICES]


def store_lookup(cursor_factory: Callable) -> Lookup:
    """Ids among ``ids`` that name a product (labelled "title (id)") or a customer (the id)."""

    def lookup(ids: list[str]) -> dict[str, str]:
        cur = cursor_factory()
        found: dict[str, str] = {}
        for pid, title in cur.execute(
            "SELECT product_id, title FROM products WHERE list_contains(?, product_id)", [ids]
        ).fetchall():
            found[pid] = f"{title} ({pid})" if title else pid
        for (cid,) in cur.execute(
            "SELECT customer_id FROM customers WHERE list_contains(?, customer_id)", [ids]
        ).fetchall():
            found.setdefault(cid, cid)
        return found

    return lookup
