"""Redaction for text that leaves the machine for a remote model.

Stricter than what the shop's own roles see, and kinder to dates:

- emails, phones and cards become ``[email]``, ``[phone]``, ``[card]`` (the shared
  :func:`tools.safety.redact_pii`), but dates and times survive: a remote model must
  be able to answer "since 2026-03-01?", and the phone rule would otherwise eat every
  ISO date;
- the names and cities of the customers in the conversation become ``[name]`` and
  ``[city]``: in their records, and wherever they are typed (a reviewer signing a
  review with their own name). Ids stay, so answers can still cite them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tools.safety import redact_pii

NAME = "[name]"
CITY = "[city]"
ADDRESS = "[address]"
POSTCODE = "[postcode]"

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_TIME = r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
# Dates as shops and people write them: ISO dates and datetimes, 2026/03/01,
# 2026.03.01, 01/03/2026, "1 March 2026", "March 1, 2026", "March 2026", "2026年3月1日".
DATES = re.compile(
    rf"(?<![\w.-])(?:"
    rf"\d{{4}}-{_MONTH}-{_DAY}{_TIME}"
    rf"|\d{{4}}([./]){_MONTH}\1{_DAY}"
    rf"|{_DAY}([./]){_MONTH}\2\d{{4}}"
    rf"|{_MONTH}/{_DAY}/\d{{4}}"
    rf"|{_DAY}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+\d{{4}}"
    rf"|{_MONTHS}\.?\s+(?:{_DAY}(?:st|nd|rd|th)?,?\s+)?\d{{4}}"
    rf"|\d{{4}}年{_MONTH}月(?:{_DAY}日)?"
    rf")(?![\w-])",
    re.IGNORECASE,
)
# Stand-ins while the PII rules run: private-use characters around letters, which no
# PII pattern matches and no text contains (they are removed from the input first).
_OPEN, _CLOSE = "\ue010", "\ue011"
_HELD = re.compile(f"{_OPEN}([a-z]+){_CLOSE}")

# Keys of a person record that hold a name, a city, an address.
NAME_KEYS = frozenset(
    {"name", "full_name", "first_name", "last_name", "customer_name", "reviewer_name"}
)
PLACE_KEYS = {"city": CITY, "address": ADDRESS, "street": ADDRESS, "postcode": POSTCODE}
PLACE_KEYS |= {"zip": POSTCODE, "zip_code": POSTCODE, "postal_code": POSTCODE}
# A dict is a person record when it has a customer id or contact fields, or sits
# under one of these keys.
PERSON_MARKERS = frozenset({"customer_id", "email", "phone"})
PERSON_PARENTS = frozenset({"identity", "customer", "contact", "reviewer", "buyer"})
# Name parts shorter than this are not redacted on their own ("Li", "Al"): too many
# ordinary words; the full name still is.
MIN_PART = 3

PeopleLookup = Callable[[list[str]], dict[str, dict]]


def _token(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(97 + rest) + letters
    return f"{_OPEN}{letters}{_CLOSE}"


def _index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 96)
    return n - 1


@dataclass
class People:
    """Names and cities known to belong to customers in this conversation."""

    names: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)

    def add(self, name: object = None, city: object = None) -> None:
        if isinstance(name, str) and name.strip():
            self.names.add(" ".join(name.split()))
        if isinstance(city, str) and city.strip():
            self.cities.add(" ".join(city.split()))

    def patterns(self) -> list[tuple[re.Pattern, dict[str, str], Callable[[str], str]]]:
        """Two alternations (one regex each, however many people): full names in any
        case, and name parts and cities as written with their capital ("Rose" the
        reviewer, not "rose" the colour). Longest alternatives first."""
        any_case = {name.casefold(): NAME for name in self.names}
        as_written: dict[str, str] = {city: CITY for city in self.cities}
        for name in self.names:
            for part in re.split(r"[\s,]+", name):
                if len(part) >= MIN_PART and part[:1].isupper():
                    as_written[part] = NAME
        out = []
        for table, flags in ((any_case, re.IGNORECASE), (as_written, 0)):
            if not table:
                continue
            alternatives = sorted(table, key=len, reverse=True)
            body = "|".join(r"\s+".join(re.escape(w) for w in a.split()) for a in alternatives)
            pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)
            key = (
                (lambda t: " ".join(t.split()).casefold())
                if flags
                else (lambda t: " ".join(t.split()))
            )
            out.append((pattern, {key(k): v for k, v in table.items()}, key))
        return out


class Redactor:
    """Redacts strings bound for a remote model; build one per request."""

    def __init__(self, people: People | None = None) -> None:
        self._patterns = (people or People()).patterns()

    def text(self, value: str | None) -> str:
        if not value:
            return value or ""
        held: list[str] = []

        def hold(match: re.Match) -> str:
            held.append(match.group())
            return _token(len(held) - 1)

        out = value.replace(_OPEN, "").replace(_CLOSE, "")
        out = DATES.sub(hold, out)
        out = redact_pii(out)
        for pattern, table, key in self._patterns:
            out = pattern.sub(lambda m, t=table, k=key: t.get(k(m.group()), NAME), out)
        return _HELD.sub(lambda m: held[_index(m.group(1))], out)

    def record(self, value, parent: str | None = None):
        """A JSON value with person fields replaced and every string redacted."""
        if isinstance(value, dict):
            person = bool(PERSON_MARKERS & value.keys()) or parent in PERSON_PARENTS
            out = {}
            for key, item in value.items():
                lowered = str(key).lower()
                if person and lowered in NAME_KEYS and isinstance(item, str) and item:
                    out[key] = NAME
                elif lowered in PLACE_KEYS and isinstance(item, str) and item:
                    out[key] = PLACE_KEYS[lowered]
                else:
                    out[key] = self.record(item, lowered)
            return out
        if isinstance(value, list):
            return [self.record(item, parent) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def people_in(values: Iterable, lookup: PeopleLookup | None = None) -> People:
    """Names and cities of the customers in these JSON values: from person records,
    and, through ``lookup``, from the store for every customer id mentioned (so a
    reviewer's own name typed into their review is known even when the tool result
    carries only their id)."""
    people = People()
    ids: set[str] = set()

    def walk(value, parent: str | None = None) -> None:
        if isinstance(value, dict):
            person = bool(PERSON_MARKERS & value.keys()) or parent in PERSON_PARENTS
            if person:
                for key in NAME_KEYS:
                    people.add(name=value.get(key))
                people.add(city=value.get("city"))
            for key, item in value.items():
                lowered = str(key).lower()
                if lowered in ("customer_id", "customer_ids", "customers") and item:
                    for cid in item if isinstance(item, list) else [item]:
                        if isinstance(cid, str | int):
                            ids.add(str(cid))
                walk(item, lowered)
        elif isinstance(value, list):
            for item in value:
                walk(item, parent)

    for value in values:
        walk(value)
    if lookup and ids:
        for record in lookup(sorted(ids)).values():
            people.add(name=record.get("name"), city=record.get("city"))
    return people


def store_people(cursor_factory: Callable) -> PeopleLookup:
    """A lookup of customers' names and cities in the workspace store, by id."""

    def lookup(ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        rows = (
            cursor_factory()
            .execute(
                "SELECT customer_id, name, city FROM customers "
                "WHERE customer_id IN (SELECT unnest(?))",
                [list(ids)],
            )
            .fetchall()
        )
        return {str(r[0]): {"name": r[1], "city": r[2]} for r in rows}

    return lookup
