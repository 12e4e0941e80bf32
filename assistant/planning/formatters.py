"""One formatter per tool: the lines of the answer for that tool's result, filled
into the tool's templates in prompts/answers.yaml. Result shapes differ per tool;
each formatter reads the fields its tool returns and leaves out what is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.planning.render import (
    MAX_ITEMS,
    fill,
    first,
    fmt,
    label,
    more,
    pct,
    rows_of,
    scope,
    shorten,
    spec,
)
from assistant.planning.thread import Call


# -- per-tool formatters --------------------------------------------------------
def _search_reviews(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    rows = rows_of(r)
    if not rows:
        return [fill(spec()["empty"], tool_label=label(call.name), scope=scope(args, r)) or ""]
    total = first(r, "n", "count", "total", default=len(rows))
    note = f", {args['sentiment']} only" if args.get("sentiment") else ""
    lines = [fill(t["header"], count=total, scope=scope(args, r), sentiment_note=note) or ""]
    for row in rows[:MAX_ITEMS]:
        date = str(first(row, "created_at", "date", default=""))[:10]
        lines.append(
            fill(
                t["item"],
                text=shorten(first(row, "text", "snippet", "title", default="")),
                rating=first(row, "rating", default="?"),
                review_id=first(row, "review_id", "id", default="?"),
                date_note=f", {date}" if date else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


def _share(d: Any) -> tuple[str | None, Any, Any]:
    """(percent, count, n) of a share dict {"count", "n", "share"}."""
    if not isinstance(d, dict):
        return pct(d) if isinstance(d, int | float) else None, None, None
    return pct(d.get("share")), d.get("count"), d.get("n")


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
    n = first(r, "review_count", "n")
    lines = [
        fill(
            t["header"],
            subject=subject,
            period_note=period_note,
            avg_rating=first(r, "average_rating", "avg_rating"),
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
                before=pct(a.get("share_before")),
                now=pct(a.get("share_now")),
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
                        text=shorten(first(quote, "snippet", "text", default="")),
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
            customer_id=first(r, "customer_id", default=call.args.get("customer_id")),
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
                gap_note=f" (usual gap {fmt(gap)} days)" if gap else "",
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
                    text=shorten(x.get("text") or x.get("title") or ""),
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
        rows = rows_of(r)
        subject = f"{r['title']} ({r['product_id']})" if r.get("title") else args.get("product_id")
        head = fill(
            t["header"],
            customer_id=first(r, "customer_id", default=args.get("customer_id")),
            subject=subject,
            basis_note=" (no history: most popular)" if r.get("cold_start") else "",
            basket_note=fill(" ({n} orders contain it)", n=r.get("orders_with_product")) or "",
        )
        if not rows:
            note = r.get("note") or "nothing found"
            return [f"{head or label(call.name)} {note}."]
        lines = [head or f"{label(call.name)}:"]
        for row in rows[:MAX_ITEMS]:
            score = row.get("score")
            together = row.get("orders_together")
            lines.append(
                fill(
                    t["item"],
                    title=first(row, key_title, "title", default=row.get("product_id")),
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
    rows = rows_of(r)
    total = first(r, "count", "n", "total", default=len(rows))
    filters = ", ".join(f"{k}={v}" for k, v in args.items() if k not in ("k",))
    lines = [fill(t["header"], count=total, filters_note=f" ({filters})" if filters else "") or ""]
    for row in rows[:MAX_ITEMS]:
        extras = []
        for key in ("segment", "total_spend", "spend", "days_since_last_order", "churn_risk"):
            if row.get(key) not in (None, ""):
                extras.append(f"{key.replace('_', ' ')} {fmt(row[key])}")
        lines.append(
            fill(
                t["item"],
                customer_id=row.get("customer_id"),
                item_note=(" — " + ", ".join(extras[:3])) if extras else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


def _segment_overview(call: Call, t: dict) -> list[str]:
    r = call.result
    rows = rows_of(r)
    lines = [
        fill(
            t["header"],
            n=first(
                r, "n", "customers", "total", default=sum(int(x.get("count", 0) or 0) for x in rows)
            ),
        )
        or ""
    ]
    for row in rows[:10]:
        share = first(row, "share", "pct")
        spend = first(row, "avg_spend", "mean_spend", "avg_monetary")
        lines.append(
            fill(
                t["item"],
                segment=first(row, "segment", "name"),
                count=first(row, "count", "customers", "n"),
                share_note=f" ({pct(share)})" if share is not None else "",
                extra_note=f", average spend {fmt(spend)}" if spend is not None else "",
            )
            or ""
        )
    return lines


def _sales_metrics(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    metric = str(first(r, "metric", default=args.get("metric", "value")))
    label = metric.replace("_", " ").replace("avg", "average")
    label = label[:1].upper() + label[1:]
    rows = rows_of(r)
    if metric == "return_rate":
        for row in rows:
            row["value"] = pct(row.get("value"))
        r = {**r, "total": pct(r.get("total"))}
    n = first(r, "n", "orders", "review_count")
    n_note = f" (from {n} records)" if isinstance(n, int) else ""
    group = args.get("group_by") or r.get("group_by")
    if not rows:
        return [
            fill(
                t["total"],
                metric_label=label,
                scope=scope(args, r),
                value=first(r, "value", "total"),
                n_note=n_note,
            )
            or f"{label}: no data{scope(args, r)}."
        ]
    lines = [
        fill(
            t["header"],
            metric_label=label,
            scope=scope(args, r),
            group_note=f" by {group}" if group else "",
            n_note=n_note,
        )
        or ""
    ]
    shown = (
        rows if len(rows) <= 12 else rows[-12:] if group in ("month", "week") else rows[:MAX_ITEMS]
    )
    for row in shown:
        key = first(
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
        n_item = first(row, "n", "orders", "count")
        lines.append(
            fill(
                t["item"],
                key=str(key)[:10] if group in ("month", "week") else key,
                value=first(row, "value", metric),
                n_item=f" (from {n_item:,} records)" if isinstance(n_item, int | float) else "",
            )
            or ""
        )
    return lines + more(t["more"], len(rows), len(shown))


def _find_product(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [fill(t["header"], query=r.get("query")) or ""]
    for c in (r.get("candidates") or [])[:MAX_ITEMS]:
        lines.append(fill(t["item"], **c) or f"- {c.get('title')} ({c.get('product_id')})")
    cats = ", ".join(c["category"] for c in r.get("categories") or [])
    lines.append(fill(t["categories"], categories=cats) or "")
    return lines


def generic(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [f"{label(call.name)}:"]
    for key, value in r.items():
        if key != "evidence" and isinstance(value, int | float | str) and len(lines) < 8:
            lines.append(fill(spec()["generic"]["field"], key=key, value=value) or "")
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
