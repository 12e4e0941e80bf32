"""What every tool result passes before anyone sees it, whichever front end asked.

- limited by role: a marketer never gets contact fields, whatever a tool forgot;
- redacted: PII typed into review or ticket text is replaced for every role;
- marked: untrusted text (reviews, tickets) is checked for instruction-like content,
  which is flagged on the record and on the result, and never acted upon.

The result handed in is never changed: the guarded one is a copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from tools.access import CONTACT_FIELDS, can_see_contact
from tools.safety import EMAIL, flag_untrusted, redact_names, redact_pii, review_part

# A dict holding one of these ids is a record of shop text written by a customer.
UNTRUSTED_RECORD_KEYS = ("review_id", "ticket_id")
# Free-text fields of such records (and quote fields anywhere) are untrusted.
UNTRUSTED_TEXT_KEYS = frozenset(
    {"text", "title", "subject", "body", "quote", "snippet", "excerpt", "review_text"}
)
QUOTE_KEYS = frozenset({"quote", "quotes", "snippet", "snippets", "excerpt", "review_text"})
DATA_TAG = re.compile(r"</?\s*data\b[^>]*>", re.IGNORECASE)
# Contact details a marketer never gets: these keys anywhere, and any key naming an
# email or phone; in a customer record (a dict with customer_id) also name and city.
CONTACT_KEYS = frozenset(CONTACT_FIELDS) - {"name", "city"} | {
    "address",
    "street",
    "postcode",
    "zip",
    "full_name",
    "first_name",
    "last_name",
    "customer_name",
}
CUSTOMER_RECORD_KEYS = frozenset(CONTACT_FIELDS)


# For roles that may not see contact details: the names of the customers who wrote
# the records in a result, by customer id (a store lookup the caller supplies).
AuthorNames = Callable[[list[str]], dict[str, str]]


def guard_result(
    result: Mapping[str, Any], role: str, author_names: AuthorNames | None = None
) -> dict:
    """The result as the role may see it, with untrusted text redacted and flagged.

    With ``author_names``, a role that may not see contact details also gets the
    author's own name redacted where they typed it into their review or ticket.
    """
    flags: list[str] = []
    copy = json.loads(json.dumps(result, default=str))
    if author_names is not None and not can_see_contact(role):
        authors = sorted(set(_authors(copy)))
        names = author_names(authors) if authors else {}
        copy = _redact_authors(copy, names)
    guarded = _guard(copy, role, flags, None)
    if flags:
        guarded["flags"] = sorted(set(guarded.get("flags") or []) | set(flags))
    return guarded


def _guard(value: Any, role: str, flags: list[str], record_id: str | None) -> Any:
    if isinstance(value, dict):
        own_id = next((str(value[k]) for k in UNTRUSTED_RECORD_KEYS if value.get(k)), None)
        untrusted_record = own_id is not None
        out: dict[str, Any] = {}
        record_flags: list[str] = []
        for key, item in value.items():
            if not can_see_contact(role) and _is_contact(key, value):
                continue
            untrusted = key in QUOTE_KEYS or (untrusted_record and key in UNTRUSTED_TEXT_KEYS)
            if untrusted and isinstance(item, str):
                found = flag_untrusted(item)
                record_flags += found
                out[key] = redact_pii(_quotable(item, found, out))
            elif untrusted and isinstance(item, list) and all(isinstance(x, str) for x in item):
                texts = []
                for text in item:
                    found = flag_untrusted(text)
                    record_flags += found
                    texts.append(redact_pii(_quotable(text, found, out)))
                out[key] = texts
            else:
                out[key] = _guard(item, role, flags, own_id or record_id)
        if record_flags:
            names = sorted(set(record_flags))
            out["injection_flags"] = names
            where = own_id or record_id or "text"
            flags.extend(f"{where}: {name}" for name in names)
        return out
    if isinstance(value, list):
        return [_guard(item, role, flags, record_id) for item in value]
    if isinstance(value, str) and not can_see_contact(role):
        # Marketers never see an email address, even in a field no one thought of.
        # (Not the full redact_pii: its phone rule would also eat ISO dates.)
        return EMAIL.sub("[email]", value)
    return value


def _authors(value: Any) -> list[str]:
    """Customer ids of the untrusted records (reviews, tickets) anywhere in ``value``."""
    found: list[str] = []
    if isinstance(value, dict):
        if any(value.get(k) for k in UNTRUSTED_RECORD_KEYS) and value.get("customer_id"):
            found.append(str(value["customer_id"]))
        for item in value.values():
            found += _authors(item)
    elif isinstance(value, list):
        for item in value:
            found += _authors(item)
    return found


def _redact_authors(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        name = names.get(str(value.get("customer_id"))) if _is_record(value) else None
        out = {}
        for key, item in value.items():
            if name and key in UNTRUSTED_TEXT_KEYS | QUOTE_KEYS and isinstance(item, str):
                out[key] = redact_names(item, _name_forms(name))
            else:
                out[key] = _redact_authors(item, names)
        return out
    if isinstance(value, list):
        return [_redact_authors(item, names) for item in value]
    return value


def _is_record(value: dict) -> bool:
    return any(value.get(k) for k in UNTRUSTED_RECORD_KEYS)


def _name_forms(name: str) -> list[str]:
    """The full name and its longer parts: "Ada here" gives Ada Lovelace away too."""
    parts = [p for p in name.split() if len(p) >= 3]
    return [name, *parts] if len(parts) > 1 else [name]


def _quotable(text: str, flags: list[str], record: dict[str, Any]) -> str:
    """A flagged text cut to the part that reads as a review, so no front end repeats an
    instruction found in data as if it were content; the record says it was cut."""
    if not flags:
        return text
    kept = review_part(text)
    if kept != text:
        record["instruction_removed"] = True
    return kept


def _is_contact(key: str, record: dict) -> bool:
    lowered = key.lower()
    if lowered in CONTACT_KEYS or "email" in lowered or "phone" in lowered:
        return True
    return lowered in CUSTOMER_RECORD_KEYS and "customer_id" in record
