"""Trace every number and quoted passage in an answer to the tool results of its turn.

A figure the agent states must come from a tool result (possibly rounded, or as a
percentage of a share); a quote must be a passage of a review or ticket text that
a tool returned. Whatever cannot be traced is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Boundaries are ASCII: Chinese characters count as letters in Python's \b and \w, and
# Chinese text puts figures right against its words ("平均评分3.1", "截至2026-10-31").
_B, _E = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
_DATE = re.compile(
    rf"{_B}\d{{4}}-\d{{2}}(?:-\d{{2}})?(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?)?{_E}"
    rf"|{_B}(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{{4}}{_E}"
    rf"|{_B}Q[1-4] \d{{4}}{_E}|{_B}(?:19|20)\d{{2}}{_E}"
    # Chinese dates: 2026年10月31日, 2026 年 10 月, 10月31日, 10 月
    rf"|{_B}(?:19|20)\d{{2}}\s*年(?:\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*[日号])?)?"
    rf"|{_B}\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*[日号])?",
    re.IGNORECASE,
)
# Tokens mixing letters and digits are ids or model numbers (C00042, R000123, ZX-4471Q).
_ID = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Za-z])(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]+(?![A-Za-z0-9_-])"
)
_ENUM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+", re.MULTILINE)
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])([-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)(\s*%)?"
)
# Quote pairs are matched in order; only passages of 12+ characters are checked (a
# short quote like "Broken." is matched too, so its closing mark never opens another).
_QUOTE = re.compile(r"[\"“]([^\"”]*)[\"”]")
_MIN_QUOTE = 12


@dataclass
class Trace:
    numbers: list[str] = field(default_factory=list)
    untraced_numbers: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    untraced_quotes: list[str] = field(default_factory=list)

    @property
    def faithful(self) -> bool:
        return not self.untraced_numbers and not self.untraced_quotes

    def to_dict(self) -> dict:
        return {
            "numbers": len(self.numbers),
            "quotes": len(self.quotes),
            "untraced_numbers": self.untraced_numbers,
            "untraced_quotes": self.untraced_quotes,
        }


def _walk(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        yield len(value)  # "over 34 months" counts the items a tool returned
        for v in value:
            yield from _walk(v)
    else:
        yield value


def _parse_results(results: Iterable[Any]) -> tuple[list[float], list[str]]:
    numbers: list[float] = []
    texts: list[str] = []
    for result in results:
        if isinstance(result, str):
            try:
                result = json.loads(result)
            except (json.JSONDecodeError, ValueError):
                texts.append(result)
                continue
        for leaf in _walk(result):
            if isinstance(leaf, bool) or leaf is None:
                continue
            if isinstance(leaf, int | float):
                numbers.append(float(leaf))
            elif isinstance(leaf, str):
                texts.append(leaf)
                numbers.extend(float(m.group(1).replace(",", "")) for m in _NUMBER.finditer(leaf))
    return numbers, texts


def _traced(written: str, is_percent: bool, values: list[float]) -> bool:
    x = float(written.replace(",", ""))
    decimals = len(written.split(".")[1]) if "." in written else 0
    step = 10**-decimals
    for v in values:
        candidates = (v, v * 100) if is_percent or abs(v) <= 1 else (v,)
        for c in candidates:
            if (
                abs(round(c, decimals) - x) < step / 2 + 1e-9
                or abs(abs(round(c, decimals)) - abs(x)) < 1e-9
            ):
                return True
    return False


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def trace_answer(answer_text: str, tool_results: Iterable[Any], question: str = "") -> Trace:
    values, texts = _parse_results(tool_results)
    haystack = _norm(" \u2016 ".join(texts))
    trace = Trace()

    for match in _QUOTE.finditer(answer_text):
        quote = match.group(1)
        if len(quote) < _MIN_QUOTE or quote.rstrip().endswith("?"):
            continue  # too short to check, or an example question offered to the user
        trace.quotes.append(quote)
        fragments = [f for f in re.split(r"\.\.\.|…", quote) if len(f.strip()) >= 4]
        if not fragments or not all(_norm(f) in haystack for f in fragments):
            trace.untraced_quotes.append(quote)

    prose = _QUOTE.sub(" ", answer_text)
    prose = _ENUM.sub(" ", _ID.sub(" ", _DATE.sub(" ", prose)))
    asked = {m.group(1) for m in _NUMBER.finditer(_DATE.sub(" ", question))}
    listed = len(_ENUM.findall(answer_text))
    for match in _NUMBER.finditer(prose):
        written, is_percent = match.group(1), bool(match.group(2))
        if written in asked:
            continue
        trace.numbers.append(written + ("%" if is_percent else ""))
        if _traced(written, is_percent, values):
            continue
        if _REMAINDER.match(prose, match.end()) and _is_remainder(written, values, listed):
            continue
        trace.untraced_numbers.append(written + ("%" if is_percent else ""))
    return trace


# "(1337 more not shown)" / "（还有 1337 条未显示）": a count from the results minus the
# items listed in the answer (or minus another count from the results).
_REMAINDER = re.compile(r"\s+more\b|\s*[条位个行项]\s*未显示", re.IGNORECASE)


def _is_remainder(written: str, values: list[float], listed: int) -> bool:
    x = float(written.replace(",", ""))
    if x != int(x) or x <= 0:
        return False
    counts = {int(v) for v in values if v == int(v) and v >= 0}
    shown = counts | set(range(listed + 1))
    return any(int(x) + b in counts for b in shown)
