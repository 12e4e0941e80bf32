"""One formatter per tool: the lines of the answer for that tool's result, filled
into the tool's templates in prompts/answers.yaml.

Each formatter reads the fields its tool's declared result type has (tools/*.py,
``ToolSpec.result``) and declares the placeholders it fills for each of its
templates, so the template file is checked against the code when it is loaded.
Formatters never change the result they are given: the same object is what
``ask --json`` and the evidence report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant import templates
from assistant.planner.render import (
    ANSWERS,
    MAX_ITEMS,
    fill,
    fmt,
    label,
    more,
    pct,
    scope,
    shorten,
    spec,
)
from assistant.planner.thread import Call

Formatter = Callable[[Call, dict], list[str]]
FORMATTERS: dict[str, Formatter] = {}


def formatter(tool: str, **contract: set[str]) -> Callable[[Formatter], Formatter]:
    """Register ``fn`` as ``tool``'s formatter; ``contract`` names, per template of the
    tool's section in answers.yaml, the placeholders the formatter fills in."""

    def register(fn: Formatter) -> Formatter:
        FORMATTERS[tool] = fn
        templates.declare(ANSWERS, {tool: {key: frozenset(v) for key, v in contract.items()}})
        return fn

    return register


# -- per-tool formatters --------------------------------------------------------
@formatter(
    "search_reviews",
    header={"count", "scope", "sentiment_note"},
    item={"text", "rating", "review_id", "date_note"},
    more={"more"},
)
def _search_reviews(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    rows = r["results"]
    if not rows:
        return [fill(spec()["empty"], tool_label=label(call.name), scope=scope(args, r)) or ""]
    total = r["n"]
    note = f", {args['sentiment']} only" if args.get("sentiment") else ""
    lines = [fill(t["header"], count=total, scope=scope(args, r), sentiment_note=note) or ""]
    for row in rows[:MAX_ITEMS]:
        date = str(row["date"] or "")[:10]
        lines.append(
            fill(
                t["item"],
                text=shorten(row["snippet"]),
                rating=row["rating"],
                review_id=row["review_id"],
                date_note=f", {date}" if date else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


def _share(d: dict | None) -> tuple[str | None, Any, Any]:
    """(percent, count, n) of a share record {"count", "n", "share"}."""
    if not d:
        return None, None, None
    return pct(d["share"]), d["count"], d["n"]


@formatter(
    "product_insights",
    header={"subject", "period_note", "avg_rating", "n", "neg_pct", "neg_count"},
    returns={"rate", "count", "n"},
    trend={"direction", "slope", "months"},
    previous={"since", "until", "avg_rating", "n"},
    rising={"items"},
    rising_item={"aspect", "before", "now", "count", "n"},
    complained_header=set(),
    praised_header=set(),
    aspect={"aspect", "share", "count", "n", "quote_note"},
    quote={"text", "review_id"},
)
def _product_insights(call: Call, t: dict) -> list[str]:
    r = call.result
    subj = r["subject"]
    if subj.get("product_id"):
        subject = f"{subj.get('title') or subj['product_id']} ({subj['product_id']})"
    else:
        subject = subj.get("category")
    period = r["period"]
    period_note = f" from {period['since']} to {period['until']}" if period["since"] else ""
    neg_pct, neg_count, _ = _share(r["sentiment"]["negative"])
    n = r["review_count"]
    lines = [
        fill(
            t["header"],
            subject=subject,
            period_note=period_note,
            avg_rating=r["average_rating"],
            n=n,
            neg_pct=neg_pct,
            neg_count=neg_count,
        )
        or f"{subject}{period_note}: {n} reviews."
    ]
    rate, count, total = _share(r["return_rate"])
    lines.append(fill(t["returns"], rate=rate, count=count, n=total) or "")
    trend = r["rating_trend"]
    if trend["months"]:
        slope = trend["slope_per_month"]
        lines.append(
            fill(
                t["trend"],
                direction=trend["direction"],
                slope=f"{slope:+.2f}" if isinstance(slope, int | float) else None,
                months=len(trend["months"]),
            )
            or ""
        )
    prev = r["previous_period"]
    if prev and prev["review_count"]:
        lines.append(
            fill(
                t["previous"],
                since=prev["since"],
                until=prev["until"],
                avg_rating=prev["average_rating"],
                n=prev["review_count"],
            )
            or ""
        )
    changes = r["changes"] or {}
    rising = [a for a in changes.get("rising_complaints") or [] if a["change"] > 0.05]
    if rising:
        items = "; ".join(
            fill(
                t["rising_item"],
                aspect=a["aspect"],
                before=pct(a["share_before"]),
                now=pct(a["share_now"]),
                count=a["count_now"],
                n=a["n_now"],
            )
            or str(a["aspect"])
            for a in rising[:3]
        )
        lines.append(fill(t["rising"], items=items) or "")
    for key, header in (("top_complained", "complained_header"), ("top_praised", "praised_header")):
        aspects = r[key]
        if not aspects:
            continue
        lines.append(t[header])
        for a in aspects[:3]:
            share, count, total = _share(a)
            quote = (a.get("quotes") or [None])[0]
            quote_note = ""
            if quote:
                quote_note = (
                    fill(t["quote"], text=shorten(quote["snippet"]), review_id=quote["review_id"])
                    or ""
                )
            lines.append(
                fill(
                    t["aspect"],
                    aspect=a["aspect"],
                    share=share,
                    count=count,
                    n=total,
                    quote_note=quote_note,
                )
                or ""
            )
    return lines


@formatter(
    "review_sentiment",
    header={"n", "model"},
    item={"text", "label", "score", "aspects_note"},
    aspect={"aspect", "polarity"},
)
def _review_sentiment(call: Call, t: dict) -> list[str]:
    r = call.result
    texts = call.args.get("texts") or []
    lines = [fill(t["header"], n=r["n"], model=r["model"]) or ""]
    for i, item in enumerate(r["results"][:MAX_ITEMS]):
        aspects = [
            fill(t["aspect"], aspect=a.get("aspect") or a.get("term"), polarity=a.get("polarity"))
            for a in item["aspects"]
        ]
        aspects = [a for a in aspects if a]
        lines.append(
            fill(
                t["item"],
                text=shorten(texts[i] if i < len(texts) else ""),
                label=item["label"],
                score=item["score"],
                aspects_note=(" — " + ", ".join(aspects)) if aspects else "",
            )
            or ""
        )
    return lines


@formatter(
    "customer_profile",
    header={"customer_id", "segment_note", "orders", "returned", "spend", "last_order_note"},
    churn={"risk", "days", "gap_note"},
    favourites={"items"},
    interests={"items"},
    reviews={"count", "negative"},
    review={"text", "rating", "review_id"},
    tickets={"count", "subjects_note"},
    action={"text"},
    masked=set(),
)
def _customer_profile(call: Call, t: dict) -> list[str]:
    r = call.result
    orders = r["orders"]
    segment = r["segment"]
    last = orders["last_order"]
    lines = [
        fill(
            t["header"],
            customer_id=r["customer_id"],
            segment_note=f" ({segment})" if segment else "",
            orders=orders["total"],
            returned=orders["returned"],
            spend=r["spend"] or 0,
            last_order_note=(
                f", last order {last}"
                + (" (returned)" if orders.get("last_order_status") == "returned" else "")
                if last
                else ", no orders yet"
            ),
        )
        or ""
    ]
    churn = r["churn"]
    if churn["risk"]:
        gap = churn["usual_gap_days"]
        lines.append(
            fill(
                t["churn"],
                risk=churn["risk"],
                days=churn["days_since_last_order"],
                gap_note=f" (usual gap {fmt(gap)} days)" if gap else "",
            )
            or f"Churn risk {churn['risk']}."
        )
    favourites = r["favourite_categories"]
    if favourites:
        items = ", ".join(f"{f['category']} ({f['units']} units)" for f in favourites[:3])
        lines.append(fill(t["favourites"], items=items) or "")
    interests = r["browsing"]["interests_not_bought"]
    if interests:
        lines.append(fill(t["interests"], items=", ".join(interests[:3])) or "")
    reviews = r["reviews"]
    if reviews:
        negative = sum(1 for x in reviews if x["sentiment"] == "negative")
        lines.append(fill(t["reviews"], count=len(reviews), negative=negative) or "")
        for x in reviews[:2]:
            lines.append(
                fill(
                    t["review"],
                    text=shorten(x["text"] or x["title"] or ""),
                    rating=x["rating"] if x["rating"] is not None else "?",
                    review_id=x["review_id"],
                )
                or ""
            )
    tickets = r["open_tickets"]
    subjects = "; ".join(str(x["subject"]) for x in tickets[:2] if x["subject"])
    lines.append(
        fill(t["tickets"], count=len(tickets), subjects_note=f" ({subjects})" if subjects else "")
        or ""
    )
    action = r["next_best_action"]
    if action["text"]:
        lines.append(fill(t["action"], text=action["text"]) or "")
    if r["identity_masked"]:
        lines.append(fill(t["masked"]) or "")
    return lines


def _product_list(call: Call, head: str | None, rows: list[dict], t: dict, note_of) -> list[str]:
    """The lines of a list of products: a header, then one line per product."""
    if not rows:
        note = call.result.get("note") or "nothing found"
        return [f"{head or label(call.name)} {note}."]
    lines = [head or f"{label(call.name)}:"]
    for row in rows[:MAX_ITEMS]:
        lines.append(
            fill(
                t["item"],
                title=row["title"] or row["product_id"],
                product_id=row["product_id"],
                **note_of(row),
            )
            or f"- {row['product_id']}"
        )
    return lines


def _subject(r: dict) -> str:
    return f"{r['title']} ({r['product_id']})" if r["title"] else r["product_id"]


@formatter(
    "recommend_for_customer",
    header={"customer_id", "basis_note"},
    item={"title", "product_id", "reason_note"},
)
def _recommend_for_customer(call: Call, t: dict) -> list[str]:
    r = call.result
    head = fill(
        t["header"],
        customer_id=r["customer_id"],
        basis_note=" (no history: most popular)" if r["cold_start"] else "",
    )
    return _product_list(
        call,
        head,
        r["recommendations"],
        t,
        lambda row: {"reason_note": f" — {row['reason']}" if row["reason"] else ""},
    )


@formatter("similar_products", header={"subject"}, item={"title", "product_id", "reason_note"})
def _similar_products(call: Call, t: dict) -> list[str]:
    r = call.result
    head = fill(t["header"], subject=_subject(r))
    return _product_list(
        call,
        head,
        r["similar"],
        t,
        lambda row: {"reason_note": f" — {row['reason']}" if row["reason"] else ""},
    )


@formatter(
    "bought_together",
    header={"subject", "basket_note"},
    item={"title", "product_id", "together_note"},
)
def _bought_together(call: Call, t: dict) -> list[str]:
    r = call.result
    head = fill(
        t["header"],
        subject=_subject(r),
        basket_note=fill(" ({n} orders contain it)", n=r["orders_with_product"]) or "",
    )

    def together(row: dict) -> dict:
        lift = f", lift {fmt(row['lift'])}" if row["lift"] else ""
        return {"together_note": f" — in {row['orders_together']} orders{lift}"}

    return _product_list(call, head, r["bought_together"], t, together)


@formatter(
    "find_customers",
    header={"count", "filters_note"},
    item={"customer_id", "item_note"},
    more={"more"},
)
def _find_customers(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    rows = r["customers"]
    total = r["count"]
    filters = ", ".join(f"{k}={v}" for k, v in args.items() if k not in ("k",))
    lines = [fill(t["header"], count=total, filters_note=f" ({filters})" if filters else "") or ""]
    for row in rows[:MAX_ITEMS]:
        extras = [
            f"{key.replace('_', ' ')} {fmt(row[key])}"
            for key in ("segment", "spend", "days_since_last_order", "churn_risk")
            if row[key] not in (None, "")
        ]
        lines.append(
            fill(
                t["item"],
                customer_id=row["customer_id"],
                item_note=(" — " + ", ".join(extras[:3])) if extras else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


@formatter(
    "tickets",
    header={"count", "scope_note", "open", "matched"},
    item={"ticket_id", "status", "opened_at", "age_days", "order_note", "subject", "text"},
    more={"more"},
)
def _tickets(call: Call, t: dict) -> list[str]:
    r = call.result
    rows = r["tickets"]
    f = {k: v for k, v in r["filters"].items() if not (k == "status" and v == "any")}
    about = ", ".join(f"{k.replace('_id', '')} {v}" for k, v in f.items())
    query = f' matching "{r["query"]}"' if r["query"] else ""
    lines = [
        fill(
            t["header"],
            count=len(rows),
            scope_note=(f" ({about})" if about else "") + query,
            open=r["open"],
            matched=r["matched"],
        )
        or ""
    ]
    for row in rows[:MAX_ITEMS]:
        order = row["order_id"]
        status = f", order {row['order_status']}" if row["order_status"] else ""
        lines.append(
            fill(
                t["item"],
                ticket_id=row["ticket_id"],
                status=row["status"],
                opened_at=row["opened_at"],
                age_days=row["age_days"],
                order_note=f", about order {order}{status}" if order else "",
                subject=row["subject"] or "(no subject)",
                text=shorten(row["text"]),
            )
            or ""
        )
    return lines + more(t["more"], r["matched"], min(len(rows), MAX_ITEMS))


@formatter(
    "contact_details",
    header={"customer_id", "name"},
    line={"key", "value"},
    missing={"fields"},
)
def _contact_details(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [
        fill(t["header"], customer_id=r["customer_id"], name=r.get("name") or "name not on file")
        or ""
    ]
    # The guard drops contact fields for roles that may not see them: show only what is left.
    for key in ("email", "phone", "city", "country"):
        if r.get(key):
            lines.append(fill(t["line"], key=key, value=r[key]) or "")
    if r.get("missing"):
        lines.append(fill(t["missing"], fields=" or ".join(r["missing"])) or "")
    return lines


@formatter(
    "offer_for_customer",
    header={"customer_id", "segment", "risk", "tickets"},
    item={"rank", "text", "reason", "records"},
    none={"rules"},
)
def _offer_for_customer(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [
        fill(
            t["header"],
            customer_id=r["customer_id"],
            segment=r["segment"],
            risk=r["churn_risk"] or "none",
            tickets=r["open_tickets"],
        )
        or ""
    ]
    for o in r["options"]:
        records = ", ".join(i for ids in o["evidence"].values() for i in ids[:3]) or "profile"
        lines.append(
            fill(t["item"], rank=o["rank"], text=o["text"], reason=o["reason"], records=records)
            or ""
        )
    if not r["options"]:
        lines.append(fill(t["none"], rules=r["rules"]) or "")
    return lines


@formatter(
    "segment_overview",
    header={"n", "revenue"},
    item={"segment", "count", "share", "revenue", "revenue_share", "clv_note"},
    clv={"clv"},
)
def _segment_overview(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [fill(t["header"], n=r["customers"], revenue=r["revenue"]) or ""]
    for row in r["segments"]:
        lines.append(
            fill(
                t["item"],
                segment=row["segment"],
                count=row["customers"],
                share=pct(row["share_of_customers"]),
                revenue=row["revenue"],
                revenue_share=pct(row["revenue_share"]),
                clv_note=fill(t["clv"], clv=row["average_clv"]) or "",
            )
            or ""
        )
    return lines


@formatter(
    "sales_metrics",
    header={"metric_label", "scope", "group_note", "n_note"},
    total={"metric_label", "scope", "value", "n_note"},
    item={"key", "value", "n_item"},
    more={"more"},
)
def _sales_metrics(call: Call, t: dict) -> list[str]:
    r, args = call.result, call.args
    metric = r["metric"]
    metric_label = metric.replace("_", " ")
    metric_label = metric_label[:1].upper() + metric_label[1:]
    # Shown as a percentage; the result itself keeps the number.
    shown_value = pct if metric == "return_rate" else (lambda v: v)
    rows = r["rows"]
    n = r["n"]
    n_note = f" (from {n} records)" if isinstance(n, int) else ""
    group = r["group_by"]
    if not rows:
        return [
            fill(
                t["total"],
                metric_label=metric_label,
                scope=scope(args, r),
                value=shown_value(r["total"]),
                n_note=n_note,
            )
            or f"{metric_label}: no data{scope(args, r)}."
        ]
    lines = [
        fill(
            t["header"],
            metric_label=metric_label,
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
        key = row["group"]
        lines.append(
            fill(
                t["item"],
                key=str(key)[:10] if group in ("month", "week") else key,
                value=shown_value(row["value"]),
                n_item=f" (from {row['n']:,} records)",
            )
            or ""
        )
    return lines + more(t["more"], len(rows), len(shown))


@formatter(
    "find_product",
    header={"query"},
    item={"title", "product_id", "category", "confidence"},
    categories={"categories"},
)
def _find_product(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [fill(t["header"], query=r["query"]) or ""]
    for c in r["candidates"][:MAX_ITEMS]:
        lines.append(
            fill(
                t["item"],
                title=c["title"],
                product_id=c["product_id"],
                category=c["category"],
                confidence=c["confidence"],
            )
            or f"- {c['title']} ({c['product_id']})"
        )
    cats = ", ".join(c["category"] for c in r["categories"])
    lines.append(fill(t["categories"], categories=cats) or "")
    return lines


# -- analyst answers (analyze, compare_products) ----------------------------------------
def analyst_value(value: Any, unit: str) -> str | None:
    """A metric value for people: rates as percentages, ratings with two decimals."""
    if value is None:
        return None
    if unit == "rate":
        return f"{float(value) * 100:.1f}%"
    if unit == "rating":
        return f"{float(value):.2f}"
    if unit == "count" and float(value) == int(value):
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def _signed(value: Any, unit: str) -> str | None:
    if value is None:
        return None
    if unit == "rate":
        return f"{float(value) * 100:+.1f} pp"
    if unit == "rating":
        return f"{float(value):+.2f}"
    if unit == "count" and float(value) == int(value):
        return f"{int(value):+,}"
    return f"{float(value):+,.2f}"


def _relative(value: Any) -> str | None:
    return None if value is None else f"{float(value) * 100:+.0f}%"


def _detail(row: dict, unit: str, t: dict) -> str:
    """The figures behind a value: n, the interval of a rate, the change."""
    parts = [fill(t["n"], n=row.get("n"))]
    ci = row.get("ci")
    if ci and unit == "rate":
        parts.append(
            fill(t["interval"], lo=analyst_value(ci[0], unit), hi=analyst_value(ci[1], unit))
        )
    if row.get("previous") is not None or row.get("change") is not None:
        parts.append(
            fill(
                t["change"],
                previous=analyst_value(row.get("previous"), unit) or "no data",
                previous_n=row.get("previous_n") if row.get("previous_n") is not None else 0,
                change=_signed(row.get("change"), unit) or "n/a",
                relative=_relative(row.get("relative_change")) or "no earlier value",
            )
        )
    parts = [p for p in parts if p]
    return f" ({'; '.join(parts)})" if parts else ""


def read_as(r: dict, t: dict) -> str:
    interpretation = str(r.get("interpretation") or "").strip().rstrip(".")
    return fill(t["read_as"], interpretation=interpretation) or ""


@formatter(
    "analyze",
    read_as={"interpretation"},
    total={"metric_label", "value", "detail"},
    whole={"value", "detail"},
    item={"rank", "label", "value", "detail"},
    n={"n"},
    interval={"lo", "hi"},
    change={"previous", "previous_n", "change", "relative"},
    note={"note"},
    empty={"metric_label"},
    evidence={"ids"},
)
def _analyze(call: Call, t: dict) -> list[str]:
    r = call.result
    unit = r["unit"]
    lines = [read_as(r, t)]
    total = r.get("total") or {}
    rows = r["rows"]
    if not r["by"]:
        value = analyst_value(total.get("value"), unit)
        lines.append(
            fill(
                t["total"],
                metric_label=r["metric_label"],
                value=value,
                detail=_detail(total, unit, t),
            )
            or fill(t["empty"], metric_label=r["metric_label"])
            or ""
        )
    elif not rows:
        lines.append(fill(t["empty"], metric_label=r["metric_label"]) or "")
    else:
        for i, row in enumerate(rows, 1):
            lines.append(
                fill(
                    t["item"],
                    rank=i,
                    label=row["label"],
                    value=analyst_value(row.get("value"), unit) or "no data",
                    detail=_detail(row, unit, t),
                )
                or ""
            )
        lines.append(
            fill(
                t["whole"],
                value=analyst_value(total.get("value"), unit),
                detail=_detail(total, unit, t),
            )
            or ""
        )
    lines += [fill(t["note"], note=note) or "" for note in r.get("notes") or []]
    ids = list(dict.fromkeys(i for row in rows[:3] for i in (row.get("evidence") or [])[:1]))
    if ids:
        lines.append(fill(t["evidence"], ids=", ".join(ids)) or "")
    return lines


def _metric_name(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _unit_of(name: str, cell: dict) -> str:
    if cell.get("ci") is not None or name.endswith(("_rate", "_share")):
        return "rate"
    if name == "average_rating":
        return "rating"
    if name in ("revenue", "average_order_value"):
        return "currency"
    return "count"


@formatter(
    "compare_products",
    read_as={"interpretation"},
    header={"products"},
    metric={"metric_label", "cells"},
    cell={"title", "value", "n"},
    aspects={"products"},
    aspect={"aspect", "cells"},
    aspect_cell={"title", "praise", "complaints", "n"},
)
def _compare_products(call: Call, t: dict) -> list[str]:
    r = call.result
    products = r["products"]
    short = {p["product_id"]: f"{p['title']} ({p['product_id']})" for p in products}
    lines = [read_as(r, t), fill(t["header"], products=" | ".join(short.values())) or ""]
    for metric in r["metrics"]:
        cells = []
        for p in products:
            cell = (p.get("values") or {}).get(metric) or {}
            unit = _unit_of(metric, cell)
            cells.append(
                fill(
                    t["cell"],
                    title=p["product_id"],
                    value=analyst_value(cell.get("value"), unit) or "no data",
                    n=cell.get("n", 0),
                )
                or ""
            )
        lines.append(
            fill(t["metric"], metric_label=_metric_name(metric), cells=" | ".join(cells)) or ""
        )
    aspects = r.get("aspects") or []
    if aspects:
        lines.append(fill(t["aspects"], products=" | ".join(short.values())) or "")
    for entry in aspects[:MAX_ITEMS]:
        per = _per_product(entry)
        cells = []
        for p in products:
            d = per.get(p["product_id"]) or {}
            cells.append(
                fill(
                    t["aspect_cell"],
                    title=p["product_id"],
                    praise=analyst_value(_first_key(d, "praise_share", "praise"), "rate") or "n/a",
                    complaints=analyst_value(_first_key(d, "complaint_share", "complaints"), "rate")
                    or "n/a",
                    n=_first_key(d, "n") or 0,
                )
                or ""
            )
        lines.append(
            fill(
                t["aspect"],
                aspect=str(entry.get("aspect", "")).replace("_", " "),
                cells=" | ".join(cells),
            )
            or ""
        )
    return lines


def _first_key(d: dict, *keys: str) -> Any:
    return next((d[k] for k in keys if d.get(k) is not None), None)


def _per_product(entry: dict) -> dict[str, dict]:
    """An aspect entry's figures per product id, whichever key holds them."""
    for key, value in entry.items():
        if key == "aspect":
            continue
        if isinstance(value, dict) and all(isinstance(x, dict) for x in value.values()):
            return value
        if isinstance(value, list) and all(isinstance(x, dict) for x in value):
            return {str(x.get("product_id")): x for x in value}
    return {}


def generic(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [f"{label(call.name)}:"]
    for key, value in r.items():
        if key != "evidence" and isinstance(value, int | float | str) and len(lines) < 8:
            lines.append(fill(spec()["generic"]["field"], key=key, value=value) or "")
    return lines


# -- digest (what changed, tools/digest.py) ---------------------------------------------------
def _digest_figures(item: dict) -> str:
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        ci = now["ci"]
        interval = f", 95% {pct(ci[0])}-{pct(ci[1])}" if ci else ""
        return (
            f"{pct(now['value'])} of {now['n']}{interval}, before {pct(before['value'])} "
            f"of {before['n']}"
        )
    return f"{fmt(now['value'])} (n={now['n']}), before {fmt(before['value'])} (n={before['n']})"


def _digest_record(record: dict) -> str:
    for key in ("review_id", "order_id", "ticket_id", "customer_id"):
        if key in record:
            return str(record[key])
    return ""


@formatter(
    "digest",
    header={"since", "until", "compare_since", "compare_until"},
    item={"rank", "title", "figures", "since_note", "records", "action"},
    also={"line"},
    none={"tested"},
    read_as={"interpretation"},
)
def _digest(call: Call, t: dict) -> list[str]:
    r = call.result
    lines = [
        fill(
            t["header"],
            since=r["since"],
            until=r["until"],
            compare_since=r["compare_since"],
            compare_until=r["compare_until"],
        )
        or ""
    ]
    if not r["items"]:
        lines.append(fill(t["none"], tested=sum(r["tested"].values())) or "")
    for rank, item in enumerate(r["items"], 1):
        records = ", ".join(filter(None, (_digest_record(e) for e in item["evidence"][:3])))
        lines.append(
            fill(
                t["item"],
                rank=rank,
                title=item["title"],
                figures=_digest_figures(item),
                since_note=f", since {item['since']}" if item["since"] else "",
                records=records or "none",
                action=item["action"],
            )
            or ""
        )
        lines += [fill(t["also"], line=line) or "" for line in item["also"]]
    lines.append(fill(t["read_as"], interpretation=r["interpretation"]) or "")
    return lines


# Formatters and answer texts kept in their own modules declare themselves on import.
from assistant.planner import campaign as _campaign  # noqa: E402, F401
from assistant.planner import compose as _compose  # noqa: E402, F401
