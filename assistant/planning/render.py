"""Small helpers that fill answer templates (prompts/answers.yaml) from tool results:
values formatted for people, the main rows of a result, the scope of a question."""

from __future__ import annotations

import string
from typing import Any

from assistant.planning.resources import prompts

MAX_ITEMS = 5
MAX_QUOTE = 220
# Keys under which tools return their main list of rows, in order of preference.
LIST_KEYS = (
    "reviews", "results", "hits", "recommendations", "similar", "bought_together",
    "customers", "segments", "series", "rows", "groups", "items", "aspects", "candidates",
)  # fmt: skip


class _Values(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def fill(template: str, **values: Any) -> str | None:
    """The template filled in, or None when a placeholder has no value."""
    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if any(values.get(n) is None or values.get(n) == [] for n in names):
        return None
    return template.format_map(_Values({k: fmt(v) for k, v in values.items()}))


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
    return prompts("answers.yaml")


def first(d: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if d.get(k) not in (None, "", []):
            return d[k]
    return default


def rows_of(result: dict) -> list[dict]:
    for key in LIST_KEYS:
        value = result.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return value
    return []


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
    return spec()["tool_labels"].get(name, name)
