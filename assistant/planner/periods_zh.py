"""Periods named in Chinese ("上个月", "去年", "最近30天", "三月以来", "第二季度",
"本季度"), relative to a given today: the Chinese half of assistant/planner/periods.py,
which calls :func:`parse_period_zh` first and wraps its (since, until, words) in a
Period. Returns None when the text names no Chinese period, so English is untouched.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
# A number in digits or in Chinese numerals up to 99 ("三", "十二", "三十", "二十五").
_NUM = r"(\d{1,3}|[零〇一二两三四五六七八九十]{1,3})"
_YEAR = r"(?:((?:19|20)\d{2})\s*年\s*)?"


def chinese_number(word: str) -> int:
    """'30' -> 30, '三十' -> 30, '十二' -> 12, '两' -> 2; ValueError for anything else."""
    if word.isdigit():
        return int(word)
    if "十" in word:
        tens, _, units = word.partition("十")
        if len(units) > 1 or len(tens) > 1:
            raise ValueError(f"not a Chinese number up to 99: {word!r}")
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)
    if len(word) != 1:
        raise ValueError(f"not a Chinese number up to 99: {word!r}")
    return _DIGITS[word]


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    year, month = divmod(idx, 12)
    return date(year, month + 1, min(d.day, _month_end(year, month + 1).day))


def _quarter(year: int, q: int) -> tuple[date, date]:
    return date(year, 3 * (q - 1) + 1, 1), _month_end(year, 3 * q)


def _month(word: str) -> int | None:
    try:
        n = chinese_number(word)
    except (ValueError, KeyError):
        return None
    return n if 1 <= n <= 12 else None


Span = tuple[str | None, str | None, str]


_RELATIVE_YEAR = {"今年": 0, "本年": 0, "去年": 1, "前年": 2}
# "去年11月以来", "去年第二季度": a relative year naming the year of a month or quarter.
_YEAR_OF = re.compile(
    r"(今年|本年|去年|前年)\s*(?:的)?\s*(?=第\s*" + _NUM + r"\s*季度|[Qq][1-4]|" + _NUM + r"\s*月)"
)


def parse_period_zh(text: str, today: date) -> Span | None:
    """(since, until, the words) of the first Chinese period in ``text``, or None."""
    t = text or ""
    if not re.search(r"[\u4e00-\u9fff]", t):
        return None
    if m := _YEAR_OF.search(t):
        # Read as the year it stands for, then give back the words as the text has them.
        year = f"{today.year - _RELATIVE_YEAR[m[1]]}年"
        found = _parse(t[: m.start()] + year + t[m.end() :], today)
        if found and year in found[2]:
            return found[0], found[1], found[2].replace(year, m[0], 1)
        return found
    return _parse(t, today)


def _parse(t: str, today: date) -> Span | None:
    iso = date.isoformat

    if m := re.search(r"(上个?|本|这个?|当前)\s*季度", t):
        q, year = (today.month - 1) // 3 + 1, today.year
        if m[1].startswith("上"):
            q, year = (q - 1, year) if q > 1 else (4, year - 1)
        start, end = _quarter(year, q)
        return iso(start), iso(min(end, today)), m[0]
    if m := re.search(_YEAR + r"(?:第\s*" + _NUM + r"\s*季度|[Qq]([1-4]))", t):
        try:
            q = chinese_number(m[2]) if m[2] else int(m[3])
        except (ValueError, KeyError):
            q = 0
        if 1 <= q <= 4:
            year = int(m[1]) if m[1] else today.year
            if not m[1] and _quarter(year, q)[0] > today:
                year -= 1
            start, end = _quarter(year, q)
            return iso(start), iso(end), m[0]
    if m := re.search(
        r"(?:最近|近|过去|前)\s*" + _NUM + r"\s*(?:个)?\s*(天|日|周|星期|礼拜|月|季度|年)", t
    ):
        try:
            n = chinese_number(m[1])
        except (ValueError, KeyError):
            n = 0
        if n > 0:
            unit = m[2]
            if unit in ("天", "日"):
                start = today - timedelta(days=n)
            elif unit in ("周", "星期", "礼拜"):
                start = today - timedelta(weeks=n)
            elif unit == "月":
                start = _add_months(today, -n)
            elif unit == "季度":
                start = _add_months(today, -3 * n)
            else:
                start = _add_months(today, -12 * n)
            return iso(start), None, m[0]
    if m := re.search(r"上\s*个?\s*月", t):
        prev = _add_months(today.replace(day=1), -1)
        return iso(prev), iso(_month_end(prev.year, prev.month)), m[0]
    if m := re.search(r"(?:本|这个?)\s*月", t):
        return iso(today.replace(day=1)), None, m[0]
    if m := re.search(r"(?:上|本|这)\s*(?:周|星期)", t):
        monday = today - timedelta(days=today.weekday())
        if m[0].startswith("上"):
            return iso(monday - timedelta(weeks=1)), iso(monday - timedelta(days=1)), m[0]
        return iso(monday), None, m[0]
    if m := re.search(r"(今年|本年|去年|前年)", t):
        year = today.year - {"今年": 0, "本年": 0, "去年": 1, "前年": 2}[m[1]]
        if year == today.year:
            return f"{year}-01-01", None, m[0]
        return f"{year}-01-01", f"{year}-12-31", m[0]
    if m := re.search(
        r"(?:自|从)?\s*" + _YEAR + _NUM + r"\s*月份?\s*(?:以来|起|开始|之后|以后|至今)", t
    ):
        month = _month(m[2])
        if month:
            year = int(m[1]) if m[1] else (today.year if month <= today.month else today.year - 1)
            return f"{year}-{month:02d}-01", None, m[0]
    if m := re.search(r"((?:19|20)\d{2})\s*年\s*(?:以来|起|之后|以后)", t):
        return f"{m[1]}-01-01", None, m[0]
    if m := re.search(_YEAR + _NUM + r"\s*月份?\s*(?:之前|以前)", t):
        month = _month(m[2])
        if month:
            year = int(m[1]) if m[1] else (today.year if month <= today.month else today.year - 1)
            return None, iso(date(year, month, 1) - timedelta(days=1)), m[0]
    if m := re.search(r"((?:19|20)\d{2})\s*年\s*" + _NUM + r"\s*月", t):
        month = _month(m[2])
        if month:
            year = int(m[1])
            return f"{year}-{month:02d}-01", iso(_month_end(year, month)), m[0]
    if m := re.search(r"((?:19|20)\d{2})\s*年", t):
        return f"{m[1]}-01-01", f"{m[1]}-12-31", m[0]
    if m := re.search(r"(?<![\d一二三四五六七八九十两])" + _NUM + r"\s*月份?(?!\s*[前内])", t):
        month = _month(m[1])
        if month:
            year = today.year if month <= today.month else today.year - 1
            return f"{year}-{month:02d}-01", iso(_month_end(year, month)), m[0]
    if m := re.search(r"(昨天|今天)", t):
        d = today - timedelta(days=1) if m[1] == "昨天" else today
        return iso(d), iso(d), m[0]
    return None
