"""Small helpers that fill answer templates (prompts/answers.yaml) from tool results:
values formatted for people, the scope of a question, tool labels (from the specs)."""

from __future__ import annotations

import string
from typing import Any

from assistant import templates
from assistant.templates import TemplateError
from tools.registry import LABELS

MAX_ITEMS = 5
MAX_QUOTE = 220
ANSWERS = "answers.yaml"
# The templates of answers.yaml not tied to one tool, and the names the code fills in.
templates.declare(
    ANSWERS,
    {
        "scope": {
            "product": {"title", "product_id"},
            "category": {"category"},
            "customer": {"customer_id"},
            "since": {"since"},
            "until": {"until"},
        },
        "error": {"tool_label", "message", "hint"},
        "empty": {"tool_label", "scope"},
        "generic": {"field": {"key", "value"}},
    },
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


def spec() -> dict:
    return templates.load(ANSWERS)


def first(d: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if d.get(k) not in (None, "", []):
            return d[k]
    return default


def shorten(text: str) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"


def scope(args: dict, result: dict) -> str:
    templates = spec()["scope"]
    parts = []
    if args.get("product_id"):
        title = first(result, "title", default=None)
        parts.append(
            fill(templates["product"], title=title, product_id=args["product_id"])
            if title
            else f" for {args['product_id']}"
        )
    elif args.get("category"):
        parts.append(fill(templates["category"], category=args["category"]))
    if args.get("customer_id") and "customer" in templates:
        parts.append(fill(templates["customer"], customer_id=args["customer_id"]))
    parts.append(fill(templates["since"], since=args.get("since")))
    parts.append(fill(templates["until"], until=args.get("until")))
    return "".join(p for p in parts if p)


def more(template: str, total: Any, shown: int) -> list[str]:
    if isinstance(total, int) and total > shown:
        return [fill(template, more=total - shown) or ""]
    return []


def label(name: str) -> str:
    return LABELS.get(name, name)
