"""Dates and periods in a question ("since March", "last quarter", "in 2023"), as ISO
strings relative to a given today. The planner pins today from Settings.today so
evaluation runs are reproducible; unset means the real date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.planner.periods_zh import parse_period_zh

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
}  # fmt: skip
_ISO = r"(\d{4}-\d{2}-\d{2})"


@dataclass(frozen=True)
class Period:
    since: str | None = None
    until: str | None = None
    text: str = ""  # the words that named the period, for the answer

    def as_args(self) -> dict:
        return {k: v for k, v in (("since", self.since), ("until", self.until)) if v}


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    year, month = divmod(idx, 12)
    return date(year, month + 1, min(d.day, _month_end(year, month + 1).day))


def _latest_month(month: int, today: date) -> int:
    """The year of the most recent ``month`` that has started by today."""
    return today.year if month <= today.month else today.year - 1


def _quarter(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * (q - 1) + 1, 1)
    return start, _month_end(year, 3 * q)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _span(unit: str, n: int, today: date) -> date:
    unit = unit.rstrip("s")
    if unit == "day":
        return today - timedelta(days=n)
    if unit == "week":
        return today - timedelta(weeks=n)
    if unit == "month":
        return _add_months(today, -n)
    if unit == "quarter":
        return _add_months(today, -3 * n)
    return _add_months(today, -12 * n)


def _month_year(month_word: str, year: str | None, today: date) -> tuple[int, int]:
    month = MONTHS[month_word]
    return (int(year) if year else _latest_month(month, today)), month


def parse_period(text: str, today: date | None = None) -> Period:
    """The first period named in ``text``; an empty Period when there is none."""
    today = today or date.today()
    if zh := parse_period_zh(text, today):  # Chinese periods: assistant/planner/periods_zh.py
        return Period(*zh)
    t = text.lower()
    num = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"

    if m := re.search(rf"(?:from|between)\s+{_ISO}\s+(?:to|and|until|-)\s+{_ISO}", t):
        return Period(m[1], m[2], m[0])
    if m := re.search(
        rf"(?:from|between)\s+{_MONTH}\s*(\d{{4}})?\s+(?:to|and|until|through|-)\s+{_MONTH}\s*(\d{{4}})?",
        t,
    ):
        y2, m2 = _month_year(m[3], m[4] or m[2], today)
        y1, m1 = _month_year(m[1], m[2] or (str(y2) if m[4] else None), today)
        if (y1, m1) > (y2, m2):
            y1 -= 1
        return Period(_iso(date(y1, m1, 1)), _iso(_month_end(y2, m2)), m[0])
    if m := re.search(rf"(?:since|after|from)\s+{_ISO}", t):
        return Period(m[1], None, m[0])
    if m := re.search(rf"(?:until|before|up to|till)\s+{_ISO}", t):
        return Period(None, m[1], m[0])
    if m := re.search(r"\b(?:in\s+|during\s+)?q([1-4])\s*(\d{4})?\b", t):
        q, year = int(m[1]), int(m[2]) if m[2] else today.year
        if not m[2] and _quarter(year, q)[0] > today:
            year -= 1
        start, end = _quarter(year, q)
        return Period(_iso(start), _iso(end), m[0])
    if m := re.search(r"\b(last|previous|this|current)\s+quarter\b", t):
        q = (today.month - 1) // 3 + 1
        year = today.year
        if m[1] in ("last", "previous"):
            q, year = (q - 1, year) if q > 1 else (4, year - 1)
        start, end = _quarter(year, q)
        return Period(_iso(start), _iso(min(end, today)), m[0])
    if m := re.search(
        rf"\b(?:last|past|previous|over the last|in the last)\s+{num}?\s*(day|week|month|quarter|year)s?\b",
        t,
    ):
        n = _count(m[1]) if m[1] else 1
        if m[1] is None and m[2] in ("month", "year", "week"):
            # "last month" / "last year" name the previous calendar period.
            if m[2] == "month":
                prev = _add_months(today.replace(day=1), -1)
                return Period(_iso(prev), _iso(_month_end(prev.year, prev.month)), m[0])
            if m[2] == "year":
                y = today.year - 1
                return Period(f"{y}-01-01", f"{y}-12-31", m[0])
        return Period(_iso(_span(m[2], n, today)), None, m[0])
    if m := re.search(r"\bthis\s+(month|year|week)\b", t):
        start = {
            "month": today.replace(day=1),
            "year": today.replace(month=1, day=1),
            "week": today - timedelta(days=today.weekday()),
        }[m[1]]
        return Period(_iso(start), None, m[0])
    if m := re.search(
        rf"\b(?:since|after|from)\s+(?:the\s+(?:start|beginning)\s+of\s+)?{_MONTH}\s*(\d{{4}})?\b",
        t,
    ):
        year, month = _month_year(m[1], m[2], today)
        return Period(_iso(date(year, month, 1)), None, m[0])
    if m := re.search(rf"\b(?:until|before|up to|till)\s+{_MONTH}\s*(\d{{4}})?\b", t):
        year, month = _month_year(m[1], m[2], today)
        return Period(None, _iso(date(year, month, 1) - timedelta(days=1)), m[0])
    if m := re.search(r"\b(?:since|after|from)\s+((?:19|20)\d{2})\b", t):
        return Period(f"{m[1]}-01-01", None, m[0])
    if m := re.search(r"\b(?:until|before)\s+((?:19|20)\d{2})\b", t):
        return Period(None, f"{int(m[1]) - 1}-12-31", m[0])
    if m := re.search(rf"\b(?:in|during|for|of)\s+{_MONTH}\s*(\d{{4}})?\b", t):
        year, month = _month_year(m[1], m[2], today)
        return Period(_iso(date(year, month, 1)), _iso(_month_end(year, month)), m[0])
    if m := re.search(rf"\b{_MONTH}\s+((?:19|20)\d{{2}})\b", t):
        year, month = int(m[2]), MONTHS[m[1]]
        return Period(_iso(date(year, month, 1)), _iso(_month_end(year, month)), m[0])
    if m := re.search(r"\b(?:in|during|for|of)\s+((?:19|20)\d{2})\b", t):
        return Period(f"{m[1]}-01-01", f"{m[1]}-12-31", m[0])
    if m := re.search(r"\b(yesterday|today)\b", t):
        d = today - timedelta(days=1) if m[1] == "yesterday" else today
        return Period(_iso(d), _iso(d), m[0])
    return Period()
