"""Text safety primitives shared by every layer that shows or embeds shop text.

PII typed into free text (emails, phone numbers, card numbers) is replaced by a
typed placeholder. The store keeps the original; everything shown, indexed or
sent to a remote model goes through :func:`redact_pii`.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes; checked with Luhn below.
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# International or national numbers of 7+ digits with the usual separators.
PHONE = re.compile(
    r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\w])"
)


def _luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    # Luhn-valid numbers, or 16 digits written in groups of four (a mistyped card is still a card).
    grouped = re.fullmatch(r"\d{4}([ -]\d{4}){3}", match.group().strip())
    ok = 13 <= len(digits) <= 19 and (_luhn_ok(digits) or grouped)
    return "[card]" if ok else match.group()


def _phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    # Short digit runs are prices, years, model numbers; real phone numbers have 7-15 digits
    # and, unless written with a +, at least one separator or a leading 0.
    text = match.group()
    if not 7 <= len(digits) <= 15:
        return text
    if not (text.startswith("+") or text.startswith("0") or re.search(r"[\s().-]", text)):
        return text
    return "[phone]"


def redact_pii(text: str | None) -> str:
    """Replace emails, card numbers and phone numbers with [email], [card], [phone]."""
    if not text:
        return text or ""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)


def has_pii(text: str | None) -> bool:
    return bool(text) and redact_pii(text) != text
