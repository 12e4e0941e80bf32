"""Small helpers that fill answer templates (prompts/answers.yaml, and
prompts/answers.zh.yaml for questions asked in Chinese) from tool results: values
formatted for people, the scope of a question, tool labels (from the specs), names
of categories and aspects in the answer's language, the period line.

Both files have the same templates with the same placeholders; the language of the
question being answered picks one (assistant/planner/language.py). Figures are
written the same way in both, so a figure checked in one is checked in the other.
"""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any

from assistant import templates
from assistant.templates import DATA, TemplateError
from tools import aliases
from tools.registry import LABELS

MAX_ITEMS = 5
MAX_QUOTE = 220
ANSWER_FILES = {"en": "answers.yaml", "zh": "answers.zh.yaml"}
ANSWERS = ANSWER_FILES["en"]
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def declare(contract: dict) -> None:
    """Declare templates (and the names the code fills in) for every answer language."""
    for name in ANSWER_FILES.values():
        templates.declare(name, contract)


# The templates of the answer files not tied to one tool, and the names the code fills in.
declare(
    {
        "scope": {
            "product": {"title", "product_id"},
            "product_id": {"product_id"},
            "category": {"category"},
            "customer": {"customer_id"},
            "since": {"since"},
            "until": {"until"},
        },
        "error": {"tool_label", "message", "hint"},
        "empty": {"tool_label", "scope"},
        "generic": {"field": {"key", "value"}, "header": {"tool_label"}},
        "product_list": {
            "header": {"tool_label"},
            "none": {"head", "note"},
            "item_short": {"product_id"},
        },
        "period": {
            "line": {"words", "span", "anchor"},
            "from_data": {"data_end"},
            "from_today": {"today"},
            "month": {"month_name", "year"},
            "year": {"year"},
            "years": {"since", "until"},
            "range": {"since", "until"},
            "since": {"since"},
            "until": {"until"},
            "month_names": DATA,
        },
        # Words the code fills into templates, by the value they stand for; a value
        # a language does not list is shown as the data has it.
        "words": DATA,
        "tool_labels": DATA,
    }
)


def fill(template: str, **values: Any) -> str | None:
    """The template filled in, or None when the data has no value for a placeholder
    (that part of the answer is left out). A placeholder the caller does not pass at
    all is a bug, reported as such."""
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    missing = [n for n in names if n not in values]
    if missing:
        raise TemplateError(f"answer template {template!r}: no value passed for {{{missing[0]}}}")
    if any(values[n] is None or values[n] == [] for n in names):
        return None
    return template.format(**{k: fmt(v) for k, v in values.items()})


def fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return value


def pct(value: Any) -> str | None:
    if value is None:
        return None
    value = float(value)
    return f"{value * 100:.0f}%" if value <= 1 else f"{value:.0f}%"


def spec(lang: str = "en") -> dict:
    """The answer templates of ``lang`` ('en' or 'zh')."""
    try:
        name = ANSWER_FILES[lang]
    except KeyError:
        raise TemplateError(
            f"no answer templates for language {lang!r}", hint=f"one of {sorted(ANSWER_FILES)}"
        ) from None
    return templates.load(name)


def word(lang: str, kind: str, value: Any = None) -> Any:
    """A fixed word of the answer (``words.<kind>``), or the word for ``value`` in the
    ``words.<kind>`` table; a value the table lacks is shown as it is."""
    entry = (spec(lang).get("words") or {}).get(kind)
    if value is None:
        return entry
    if isinstance(entry, dict):
        return entry.get(str(value), value)
    return value


def first(d: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if d.get(k) not in (None, "", []):
            return d[k]
    return default


def shorten(text: str) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"


def category_name(name: Any, lang: str = "en") -> Any:
    """A category as the shop names it, with the alias table's name in the answer's
    language beside it when the shop's is in the other one: "Headphones（耳机）" in a
    Chinese answer about an English shop, "耳机 (Headphones)" in an English answer
    about a Chinese shop."""
    if not isinstance(name, str) or not name:
        return name
    chinese_name = bool(_CJK.search(name))
    if (lang == "zh") == chinese_name:
        return name
    names = aliases.group("categories", name)
    other = next((n for n in names if bool(_CJK.search(n)) != chinese_name), None)
    if other is None:
        return name
    return f"{name}（{other}）" if lang == "zh" else f"{name} ({other})"


def aspect_name(aspect: Any, lang: str = "en") -> Any:
    """An aspect id as an answer in ``lang`` shows it (English shows the id itself)."""
    if lang != "zh" or not isinstance(aspect, str):
        return aspect
    return aliases.aspect_label(aspect, "zh")


def value_words(key: str, value: Any, lang: str = "en") -> Any:
    """A filter or column value as the answer shows it: segment, risk, sentiment, aspect
    and category names in the answer's language, everything else as the data has it."""
    if key == "segment":
        return word(lang, "segments", value)
    if key == "churn_risk":
        return word(lang, "risks", value)
    if key in ("category", "viewed_category"):
        return category_name(value, lang)
    if key == "aspect":
        return aspect_name(value, lang)
    if key == "sentiment":
        return word(lang, "sentiment", value)
    return value


def scope(args: dict, result: dict, lang: str = "en") -> str:
    templates = spec(lang)["scope"]
    parts = []
    if args.get("product_id"):
        title = first(result, "title", default=None)
        parts.append(
            fill(templates["product"], title=title, product_id=args["product_id"])
            if title
            else fill(templates["product_id"], product_id=args["product_id"])
        )
    elif args.get("category"):
        parts.append(fill(templates["category"], category=category_name(args["category"], lang)))
    if args.get("customer_id") and "customer" in templates:
        parts.append(fill(templates["customer"], customer_id=args["customer_id"]))
    parts.append(fill(templates["since"], since=args.get("since")))
    parts.append(fill(templates["until"], until=args.get("until")))
    return "".join(p for p in parts if p)


def more(template: str, total: Any, shown: int) -> list[str]:
    if isinstance(total, int) and total > shown:
        return [fill(template, more=total - shown) or ""]
    return []


def label(name: str, lang: str = "en") -> str:
    labels = spec(lang).get("tool_labels") or {}
    return labels.get(name) or LABELS.get(name, name)


# -- the period line ------------------------------------------------------------------
def period_line(period, now, lang: str = "en") -> str:
    """The answer's line for a relative period, e.g. ``Period: 'last month' = October
    2026; data runs to 2026-10-31, so periods count from that day.``; empty for
    absolute or no periods. Single quotes: the faithfulness check reads double-quoted
    text as a quotation from the data."""
    from assistant.planner.now import is_relative

    if period is None or not is_relative(period, now.day):
        return ""
    t = spec(lang)["period"]
    words = period.text.strip().replace("'", "")
    if now.from_data:
        anchor = fill(t["from_data"], data_end=now.data_end.isoformat())
    else:
        anchor = fill(t["from_today"], today=now.today.isoformat())
    return fill(t["line"], words=words, span=_span(period, t), anchor=anchor) or ""


def _span(period, t: dict) -> str | None:
    from assistant.planner.periods import _month_end

    since = date.fromisoformat(period.since) if period.since else None
    until = date.fromisoformat(period.until) if period.until else None
    if since and until and since.day == 1 and until == _month_end(since.year, since.month):
        return fill(
            t["month"],
            month_name=t["month_names"][since.month - 1],
            year=since.year,
        )
    if since and until and (since.month, since.day, until.month, until.day) == (1, 1, 12, 31):
        if since.year == until.year:
            return fill(t["year"], year=since.year)
        return fill(t["years"], since=since.year, until=until.year)
    if since and until:
        return fill(t["range"], since=since.isoformat(), until=until.isoformat())
    if since:
        return fill(t["since"], since=since.isoformat())
    return fill(t["until"], until=until.isoformat() if until else None)
