"""The final answer, written from the tool results of the turn with the templates in
prompts/answers.yaml: concise, figures with the number of records behind them,
quotes with review ids. Result shapes differ per tool; each tool has a small
formatter that pulls the values its template names, and anything unknown falls back
to a generic rendering of the result's figures and first rows.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from assistant.planning.decide import Plan
from assistant.planning.resources import prompts
from assistant.planning.thread import Call, Thread

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
    if any(values.get(n) in (None, "", []) for n in names):
        return None
    return template.format_map(_Values({k: _fmt(v) for k, v in values.items()}))


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return value


def _pct(value: Any) -> str | None:
    if value is None:
        return None
    value = float(value)
    return f"{value * 100:.0f}%" if value <= 1 else f"{value:.0f}%"


def _spec() -> dict:
    return prompts("answers.yaml")


def _first(d: dict, *keys: str, default: Any = None) -> Any:
    for k in keys:
        if d.get(k) not in (None, "", []):
            return d[k]
    return default


def _rows(result: dict) -> list[dict]:
    for key in LIST_KEYS:
        value = result.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return value
    return []


def _shorten(text: str) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"


def _scope(args: dict, result: dict) -> str:
    spec = _spec()["scope"]
    parts = []
    if args.get("product_id"):
        parts.append(
            fill(
                spec["product"],
                title=_first(result, "title", default=args["product_id"]),
                product_id=args["product_id"],
            )
        )
    elif args.get("category"):
        parts.append(fill(spec["category"], category=args["category"]))
    if args.get("customer_id") and "customer" in spec:
        parts.append(fill(spec["customer"], customer_id=args["customer_id"]))
    parts.append(fill(spec["since"], since=args.get("since")))
    parts.append(fill(spec["until"], until=args.get("until")))
    return "".join(p for p in parts if p)


def _more(template: str, total: Any, shown: int) -> list[str]:
    if isinstance(total, int) and total > shown:
        return [fill(template, more=total - shown) or ""]
    return []


# -- per-tool formatters --------------------------------------------------------
def _search_reviews(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    rows = _rows(r)
    if not rows:
        return [fill(_spec()["empty"], tool_label=_label(call.name), scope=_scope(args, r)) or ""]
    total = _first(r, "n", "count", "total", default=len(rows))
    note = f", {args['sentiment']} only" if args.get("sentiment") else ""
    lines = [fill(t["header"], count=total, scope=_scope(args, r), sentiment_note=note) or ""]
    for row in rows[:MAX_ITEMS]:
        date = str(_first(row, "created_at", "date", default=""))[:10]
        lines.append(
            fill(
                t["item"],
                text=_shorten(_first(row, "text", "snippet", "title", default="")),
                rating=_first(row, "rating", default="?"),
                review_id=_first(row, "review_id", "id", default="?"),
                date_note=f", {date}" if date else "",
            )
            or ""
        )
    return lines + _more(t["more"], total, min(len(rows), MAX_ITEMS))


def _product_insights(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    subject = _first(
        r, "title", "category", "product_id", default=args.get("product_id") or args.get("category")
    )
    if r.get("product_id") and r.get("title"):
        subject = f"{r['title']} ({r['product_id']})"
    n = _first(r, "n", "review_count", "reviews")
    neg = _first(r, "negative_share", "share_negative")
    period = "".join(
        p
        for p in (fill(" since {s}", s=args.get("since")), fill(" until {u}", u=args.get("until")))
        if p
    )
    lines = [
        fill(
            t["header"],
            subject=subject,
            period_note=period,
            avg_rating=_first(r, "avg_rating", "average_rating", "mean_rating"),
            n=n if not isinstance(n, list) else len(n),
            neg_note=f", {_pct(neg)} negative" if neg is not None else "",
        )
        or f"{subject}{period}: {n} reviews."
    ]
    aspects = r.get("aspects") or []
    if isinstance(aspects, dict):
        aspects = [{"aspect": k, **v} for k, v in aspects.items() if isinstance(v, dict)]
    if aspects:
        lines.append(t["aspects_header"])
        for a in aspects[:MAX_ITEMS]:
            trend = a.get("trend") or a.get("change")
            lines.append(
                fill(
                    t["aspect"],
                    aspect=_first(a, "aspect", "id", "name"),
                    neg_pct=_pct(_first(a, "negative_share", "share_negative", "negative_rate")),
                    mentions=_first(a, "mentions", "n", "count"),
                    trend_note=f", {trend}" if isinstance(trend, str) else "",
                )
                or f"- {_first(a, 'aspect', 'id', 'name')}: {_first(a, 'mentions', 'n', 'count', default='?')} mentions"
            )
            quote = (a.get("quotes") or a.get("examples") or [None])[0]
            if isinstance(quote, dict):
                q = fill(
                    t["quote"],
                    text=_shorten(quote.get("text", "")),
                    review_id=quote.get("review_id"),
                )
                if q:
                    lines.append(q)
    return lines


def _customer_profile(call: Call, t: dict) -> list[str]:
    r = call.result
    c = r.get("customer") if isinstance(r.get("customer"), dict) else r
    stats = r.get("orders") if isinstance(r.get("orders"), dict) else r
    orders = _first(stats, "order_count", "orders", "n_orders", "count")
    if isinstance(orders, list):
        orders = len(orders)
    seg = _first(r, "segment", "rfm_segment")
    if isinstance(seg, dict):
        seg = _first(seg, "segment", "name", "label")
    last = _first(stats, "last_order_at", "last_order", "last_order_date")
    lines = [
        fill(
            t["header"],
            customer_id=_first(c, "customer_id", default=call.args.get("customer_id")),
            segment_note=f" ({seg})" if seg else "",
            orders=orders,
            spend=_first(stats, "total_spend", "spend", "monetary", "lifetime_value"),
            last_order_note=f", last order {str(last)[:10]}" if last else "",
        )
        or f"Customer {call.args.get('customer_id')}:"
    ]
    churn = r.get("churn") if isinstance(r.get("churn"), dict) else r
    risk = _first(churn, "churn_risk", "risk", "level")
    if risk:
        score = _first(churn, "churn_score", "probability", "score")
        lines.append(
            fill(
                t["churn"],
                churn_risk=risk,
                churn_score_note=f" ({_pct(score)})" if isinstance(score, float) else "",
            )
            or ""
        )
    reviews = r.get("reviews") or r.get("recent_reviews")
    if isinstance(reviews, list):
        labels = [x.get("sentiment") or x.get("label") for x in reviews if isinstance(x, dict)]
        neg = sum(1 for x in labels if x == "negative")
        lines.append(
            fill(
                t["reviews"],
                review_count=str(len(reviews)),
                review_sentiment_note=f", {neg} negative" if labels else "",
            )
            or ""
        )
        for x in reviews[:2]:
            if isinstance(x, dict) and x.get("text"):
                lines.append(
                    f'  "{_shorten(x["text"])}" ({_first(x, "review_id", default="?")}, {x.get("rating", "?")}★)'
                )
    tickets = r.get("tickets") or r.get("open_tickets")
    if isinstance(tickets, list):
        open_n = sum(
            1
            for x in tickets
            if isinstance(x, dict) and x.get("status") in (None, "open", "pending")
        )
        lines.append(fill(t["tickets"], open_tickets=str(open_n)) or "")
    return lines


def _listing(key_title: str) -> Callable[[Call, dict], list[str]]:
    def render(call: Call, t: dict) -> list[str]:
        r, args = call.result, call.args
        rows = _rows(r)
        subject = f"{r['title']} ({r['product_id']})" if r.get("title") else args.get("product_id")
        head = fill(
            t["header"],
            customer_id=_first(r, "customer_id", default=args.get("customer_id")),
            subject=subject,
            basis_note=" (no history: most popular)" if r.get("cold_start") else "",
            basket_note=fill(" ({n} orders contain it)", n=r.get("orders_with_product")) or "",
        )
        if not rows:
            note = r.get("note") or "nothing found"
            return [f"{head or _label(call.name)} {note}."]
        lines = [head or f"{_label(call.name)}:"]
        for row in rows[:MAX_ITEMS]:
            score = row.get("score")
            together = row.get("orders_together")
            lines.append(
                fill(
                    t["item"],
                    title=_first(row, key_title, "title", default=row.get("product_id")),
                    product_id=row.get("product_id"),
                    score_note="",
                    reason_note=f" — {row['reason']}" if row.get("reason") else "",
                    together_note=(
                        f" — in {together} orders"
                        + (f", lift {row['lift']}" if row.get("lift") else "")
                        if together
                        else ""
                    ),
                )
                or f"- {row.get('product_id')}"
            )
            del score
        return lines

    return render


def _find_customers(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    rows = _rows(r)
    total = _first(r, "count", "n", "total", default=len(rows))
    filters = ", ".join(f"{k}={v}" for k, v in args.items() if k not in ("k",))
    lines = [fill(t["header"], count=total, filters_note=f" ({filters})" if filters else "") or ""]
    for row in rows[:MAX_ITEMS]:
        extras = []
        for key in ("segment", "total_spend", "spend", "days_since_last_order", "churn_risk"):
            if row.get(key) not in (None, ""):
                extras.append(f"{key.replace('_', ' ')} {_fmt(row[key])}")
        lines.append(
            fill(
                t["item"],
                customer_id=row.get("customer_id"),
                item_note=(" — " + ", ".join(extras[:3])) if extras else "",
            )
            or ""
        )
    return lines + _more(t["more"], total, min(len(rows), MAX_ITEMS))


def _segment_overview(call: Call, t: dict) -> list[str]:
    r = call.result
    rows = _rows(r)
    lines = [
        fill(
            t["header"],
            n=_first(
                r, "n", "customers", "total", default=sum(int(x.get("count", 0) or 0) for x in rows)
            ),
        )
        or ""
    ]
    for row in rows[:10]:
        share = _first(row, "share", "pct")
        spend = _first(row, "avg_spend", "mean_spend", "avg_monetary")
        lines.append(
            fill(
                t["item"],
                segment=_first(row, "segment", "name"),
                count=_first(row, "count", "customers", "n"),
                share_note=f" ({_pct(share)})" if share is not None else "",
                extra_note=f", average spend {_fmt(spend)}" if spend is not None else "",
            )
            or ""
        )
    return lines


def _sales_metrics(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    metric = str(_first(r, "metric", default=args.get("metric", "value")))
    label = metric.replace("_", " ").replace("avg", "average")
    label = label[:1].upper() + label[1:]
    rows = _rows(r)
    n = _first(r, "n", "orders", "review_count")
    n_note = f" (from {n} records)" if isinstance(n, int) else ""
    group = args.get("group_by") or r.get("group_by")
    if not rows:
        return [
            fill(
                t["total"],
                metric_label=label,
                scope=_scope(args, r),
                value=_first(r, "value", "total"),
                n_note=n_note,
            )
            or f"{label}: no data{_scope(args, r)}."
        ]
    lines = [
        fill(
            t["header"],
            metric_label=label,
            scope=_scope(args, r),
            group_note=f" by {group}" if group else "",
            n_note=n_note,
        )
        or ""
    ]
    shown = (
        rows if len(rows) <= 12 else rows[-12:] if group in ("month", "week") else rows[:MAX_ITEMS]
    )
    for row in shown:
        key = _first(
            row,
            "key",
            "period",
            "month",
            "week",
            "group",
            "category",
            "country",
            "title",
            "product_id",
        )
        n_item = _first(row, "n", "orders", "count")
        lines.append(
            fill(
                t["item"],
                key=str(key)[:10] if group in ("month", "week") else key,
                value=_first(row, "value", metric),
                n_item=f" (n={n_item})" if n_item is not None else "",
            )
            or ""
        )
    return lines + _more(t["more"], len(rows), len(shown))


def _find_product(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [fill(t["header"], query=r.get("query")) or ""]
    for c in (r.get("candidates") or [])[:MAX_ITEMS]:
        lines.append(fill(t["item"], **c) or f"- {c.get('title')} ({c.get('product_id')})")
    cats = ", ".join(c["category"] for c in r.get("categories") or [])
    lines.append(fill(t["categories"], categories=cats) or "")
    return lines


def _generic(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [f"{_label(call.name)}:"]
    for key, value in r.items():
        if key != "evidence" and isinstance(value, int | float | str) and len(lines) < 8:
            lines.append(fill(_spec()["generic"]["field"], key=key, value=value) or "")
    return lines


FORMATTERS = {
    "search_reviews": _search_reviews,
    "product_insights": _product_insights,
    "customer_profile": _customer_profile,
    "find_customers": _find_customers,
    "segment_overview": _segment_overview,
    "recommend_for_customer": _listing("title"),
    "similar_products": _listing("title"),
    "bought_together": _listing("title"),
    "sales_metrics": _sales_metrics,
    "find_product": _find_product,
}


def _label(name: str) -> str:
    return _spec()["tool_labels"].get(name, name)


def render_call(call: Call) -> list[str]:
    spec = _spec()
    r = call.result or {}
    if r.get("error"):
        hint = f" ({r['hint']})" if r.get("hint") else ""
        return [
            spec["error"].format(
                tool_label=_label(call.name), message=r.get("message", r["error"]), hint=hint
            )
        ]
    formatter = FORMATTERS.get(call.name, _generic)
    try:
        lines = formatter(call, spec.get(call.name, {}))
    except (KeyError, TypeError, ValueError, AttributeError):
        # An unexpected result shape must not cost the user the answer.
        lines = _generic(call, {})
    return [line for line in lines if line]


def compose(thread: Thread, plan: Plan) -> str:
    calls = [c for c in thread.calls if c.result is not None]
    # The product lookup only served the other tools; show it when it was the question.
    if any(c.name != "find_product" for c in calls):
        calls = [c for c in calls if c.name != "find_product"]
    blocks = ["\n".join(render_call(c)) for c in calls]
    return "\n\n".join(b for b in blocks if b).strip() or _spec()["empty"].format(
        tool_label="The tools", scope=""
    )
