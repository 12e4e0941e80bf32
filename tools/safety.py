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


# Instruction-like text in untrusted shop text (reviews, tickets). Each pattern names
# the trick it catches; the names are what tools and answers report as flags.
_INJECTION_PATTERNS: dict[str, re.Pattern] = {
    "override_instructions": re.compile(
        r"\b(ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?"
        r"\b(previous|prior|above|earlier|all|any|your|the|system|these|those)\b[^.\n]{0,30}?"
        r"\b(instructions?|prompts?|rules?|directions?|guidelines?|context|messages?|questions?"
        r"|requests?)\b",
        re.IGNORECASE,
    ),
    "new_instructions": re.compile(
        r"\b(new|updated|real|actual|hidden|secret)\s+(instructions?|task|orders?|prompt)\b"
        r"|\binstead,?\s+(you\s+(must|should|will)|do|answer|say|reply|respond|write|output)\b"
        r"|\b(decode|translate|decrypt)\s+(this\s+)?(and|then)\s+(follow|execute|run|obey|do)\b",
        re.IGNORECASE,
    ),
    "role_play": re.compile(
        r"(^|\n|\s)(system|assistant|developer|user)\s*:"
        r"|<\|?(system|im_start|im_end|assistant)\|?>|\[/?(INST|SYS)\]|#{2,}\s*(system|instructions?)\b"
        r"|\byou\s+are\s+now\b|\bpretend\s+(to\s+be|you)\b|\bfrom\s+now\s+on,?\s+you\b"
        r"|\bjailbreak\b|\bdeveloper\s+mode\b",
        re.IGNORECASE,
    ),
    "tool_request": re.compile(
        r"\b(call|invoke|run|use|execute|trigger)\s+(the\s+|a\s+)?"
        r"([\w-]+\s+)?(tool|function|command|api)\b"
        r"|\b(search_reviews|product_insights|customer_profile|find_customers|segment_overview"
        r"|recommend_for_customer|similar_products|bought_together|find_product|sales_metrics)\b",
        re.IGNORECASE,
    ),
    "data_exfiltration": re.compile(
        r"\b(reveal|print|show|output|list|send|leak|dump|repeat)\b[^.\n]{0,40}?"
        r"\b(system\s+prompt|your\s+(instructions|prompt|rules)|(all\s+)?(customer|user)(s|'s|s')?\W{0,3}"
        r"\s*(e-?mails?|phones?|addresses|names|data|details|records))\b",
        re.IGNORECASE,
    ),
    "assistant_addressed": re.compile(
        r"\b(dear|hey|hi|attention|note\s+to(\s+the)?)\s+(AI|assistant|bot|chatbot|LLM|model|agent)\b"
        r"|\b(AI|language\s+model|LLM|chatbot)\s*(,|:)\s",
        re.IGNORECASE,
    ),
}
BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])(?:0x)?(?:[0-9A-Fa-f]{2}[\s:]?){16,}(?![0-9A-Fa-f])")
ESCAPED_RUN = re.compile(r"(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2}){6,}")


def _looks_encoded(text: str) -> bool:
    for match in BASE64_RUN.finditer(text):
        run = match.group()
        # Real base64 mixes cases and digits; long plain words or ALLCAPS runs do not.
        if (
            any(c.islower() for c in run)
            and any(c.isupper() for c in run)
            and any(c.isdigit() or c in "+/" for c in run)
        ):
            return True
    return bool(HEX_RUN.search(text) or ESCAPED_RUN.search(text))


def flag_untrusted(text: str | None) -> list[str]:
    """Names of the instruction-like tricks found in untrusted text (empty when none).

    Flags are reported, never obeyed: whatever the text says, it stays data.
    """
    if not text:
        return []
    flags = [name for name, pattern in _INJECTION_PATTERNS.items() if pattern.search(text)]
    if _looks_encoded(text):
        flags.append("encoded_payload")
    return flags
