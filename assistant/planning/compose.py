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
    if any(values.get(n) is None or values.get(n) == [] for n in names):
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
        title = _first(result, "title", default=None)
        parts.append(
            fill(spec["product"], title=title, product_id=args["product_id"])
            if title
            else f" for {args['product_id']}"
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


def _share(d: Any) -> tuple[str | None, Any, Any]:
    """(percent, count, n) of a share dict {"count", "n", "share"}."""
    if not isinstance(d, dict):
        return _pct(d) if isinstance(d, int | float) else None, None, None
    return _pct(d.get("share")), d.get("count"), d.get("n")


def _product_insights(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    subj = r.get("subject") or {}
    if subj.get("product_id"):
        subject = f"{subj.get('title') or subj['product_id']} ({subj['product_id']})"
    else:
        subject = subj.get("category") or args.get("category") or args.get("product_id")
    period = r.get("period") or {}
    period_note = f" from {period['since']} to {period.get('until')}" if period.get("since") else ""
    neg_pct, neg_count, _ = _share((r.get("sentiment") or {}).get("negative"))
    n = _first(r, "review_count", "n")
    lines = [
        fill(
            t["header"],
            subject=subject,
            period_note=period_note,
            avg_rating=_first(r, "average_rating", "avg_rating"),
            n=n,
            neg_pct=neg_pct,
            neg_count=neg_count,
        )
        or f"{subject}{period_note}: {n if n is not None else 0} reviews."
    ]
    rate, count, total = _share(r.get("return_rate"))
    lines.append(fill(t["returns"], rate=rate, count=count, n=total) or "")
    trend = r.get("rating_trend") or {}
    if trend.get("months"):
        slope = trend.get("slope_per_month")
        lines.append(
            fill(
                t["trend"],
                direction=trend.get("direction"),
                slope=f"{slope:+.2f}" if isinstance(slope, int | float) else None,
                months=len(trend["months"]),
            )
            or ""
        )
    prev = r.get("previous_period") or {}
    if prev.get("review_count"):
        lines.append(
            fill(
                t["previous"],
                since=prev.get("since"),
                until=prev.get("until"),
                avg_rating=prev.get("average_rating"),
                n=prev.get("review_count"),
            )
            or ""
        )
    rising = [
        a
        for a in ((r.get("changes") or {}).get("rising_complaints") or [])
        if a.get("change", 0) > 0.05
    ]
    if rising:
        items = "; ".join(
            fill(
                t["rising_item"],
                aspect=a.get("aspect"),
                before=_pct(a.get("share_before")),
                now=_pct(a.get("share_now")),
                count=a.get("count_now"),
                n=a.get("n_now"),
            )
            or str(a.get("aspect"))
            for a in rising[:3]
        )
        lines.append(fill(t["rising"], items=items) or "")
    for key, header in (("top_complained", "complained_header"), ("top_praised", "praised_header")):
        aspects = r.get(key) or []
        if not aspects:
            continue
        lines.append(t[header])
        for a in aspects[:3]:
            share, count, total = _share(a)
            quote = (a.get("quotes") or [None])[0]
            quote_note = ""
            if isinstance(quote, dict):
                quote_note = (
                    fill(
                        t["quote"],
                        text=_shorten(_first(quote, "snippet", "text", default="")),
                        review_id=quote.get("review_id"),
                    )
                    or ""
                )
            lines.append(
                fill(
                    t["aspect"],
                    aspect=a.get("aspect"),
                    share=share,
                    count=count,
                    n=total,
                    quote_note=quote_note,
                )
                or ""
            )
    return lines


def _customer_profile(call: Call, t: dict) -> list[str]:
    r = call.result
    orders = r.get("orders") if isinstance(r.get("orders"), dict) else {}
    segment = r.get("segment") or (r.get("rfm") or {}).get("segment")
    last = orders.get("last_order")
    lines = [
        fill(
            t["header"],
            customer_id=_first(r, "customer_id", default=call.args.get("customer_id")),
            segment_note=f" ({segment})" if segment else "",
            orders=orders.get("total", 0),
            returned=orders.get("returned", 0),
            spend=r.get("spend", 0),
            last_order_note=f", last order {last}" if last else ", no orders yet",
        )
        or ""
    ]
    churn = r.get("churn") or {}
    if churn.get("risk"):
        gap = churn.get("usual_gap_days")
        lines.append(
            fill(
                t["churn"],
                risk=churn["risk"],
                days=churn.get("days_since_last_order"),
                gap_note=f" (usual gap {_fmt(gap)} days)" if gap else "",
            )
            or f"Churn risk {churn['risk']}."
        )
    favourites = r.get("favourite_categories") or []
    if favourites:
        items = ", ".join(f"{f['category']} ({f.get('units', '?')} units)" for f in favourites[:3])
        lines.append(fill(t["favourites"], items=items) or "")
    interests = (r.get("browsing") or {}).get("interests_not_bought") or []
    if interests:
        items = ", ".join(
            str(i.get("category", i)) if isinstance(i, dict) else str(i) for i in interests[:3]
        )
        lines.append(fill(t["interests"], items=items) or "")
    reviews = r.get("reviews") or []
    if reviews:
        negative = sum(1 for x in reviews if (x.get("sentiment") or x.get("label")) == "negative")
        lines.append(fill(t["reviews"], count=len(reviews), negative=negative) or "")
        for x in reviews[:2]:
            lines.append(
                fill(
                    t["review"],
                    text=_shorten(x.get("text") or x.get("title") or ""),
                    rating=x.get("rating", "?"),
                    review_id=x.get("review_id"),
                )
                or ""
            )
    tickets = r.get("open_tickets") or []
    subjects = "; ".join(str(x.get("subject")) for x in tickets[:2] if x.get("subject"))
    lines.append(
        fill(t["tickets"], count=len(tickets), subjects_note=f" ({subjects})" if subjects else "")
        or ""
    )
    action = r.get("next_best_action") or {}
    if action.get("text"):
        lines.append(fill(t["action"], text=action["text"]) or "")
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
    if metric == "return_rate":
        for row in rows:
            row["value"] = _pct(row.get("value"))
        r = {**r, "total": _pct(r.get("total"))}
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
