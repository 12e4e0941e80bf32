"""Sales and review metrics: a fixed menu of figures over read-only, parameterised queries.

Metrics: revenue (item revenue of completed orders), orders (placed and not
cancelled), units (completed), return_rate (returned / completed-or-returned
orders), average_rating and review_count. Grouped by day, week, month, category,
product, brand or country, or not at all; filtered by period, category, product,
brand and country. Every row says how many records it comes from.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import resolve
from tools.context import ToolContext
from tools.spec import ToolSpec, strict

ORDER_METRICS = {
    # metric: (aggregate, count of records behind it)
    "revenue": (
        "sum(coalesce(i.quantity, 1) * i.unit_price) FILTER (WHERE o.status = 'completed')",
        "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed')",
    ),
    "orders": (
        "count(DISTINCT o.order_id) FILTER (WHERE o.status <> 'cancelled')",
        "count(DISTINCT o.order_id) FILTER (WHERE o.status <> 'cancelled')",
    ),
    "units": (
        "sum(coalesce(i.quantity, 1)) FILTER (WHERE o.status = 'completed')",
        "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed')",
    ),
    "return_rate": (
        "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned')::DOUBLE"
        " / nullif(count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned')), 0)",
        "count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))",
    ),
}
REVIEW_METRICS = {
    "average_rating": ("avg(r.rating)", "count(*)"),
    "review_count": ("count(*)", "count(*)"),
}
METRICS = tuple(ORDER_METRICS) + tuple(REVIEW_METRICS)
TIME_GROUPS = ("day", "week", "month")
GROUPS = (*TIME_GROUPS, "category", "product", "brand", "country")
MAX_GROUP_ROWS = 50

ORDER_FROM = """FROM orders o
LEFT JOIN order_items i ON i.order_id = o.order_id
LEFT JOIN products p ON p.product_id = i.product_id
LEFT JOIN customers c ON c.customer_id = o.customer_id"""
REVIEW_FROM = """FROM reviews r
LEFT JOIN products p ON p.product_id = r.product_id
LEFT JOIN customers c ON c.customer_id = r.customer_id"""


def sales_metrics(
    ctx: ToolContext,
    metric: str,
    group_by: str | None = None,
    since: str | None = None,
    until: str | None = None,
    category: str | None = None,
    product_id: str | None = None,
    brand: str | None = None,
    country: str | None = None,
) -> dict:
    """One metric, optionally grouped, over an inclusive date range and filters."""
    metric = str(metric or "").strip().lower()
    if metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}", hint="metrics: " + ", ".join(METRICS))
    group_by = (group_by or "").strip().lower() or None
    if group_by is not None and group_by not in GROUPS:
        raise UserError(f"cannot group by {group_by!r}", hint="group by: " + ", ".join(GROUPS))
    start, end = resolve.period(since, until)
    cur = ctx.cursor()
    on_orders = metric in ORDER_METRICS
    agg, count = (ORDER_METRICS if on_orders else REVIEW_METRICS)[metric]
    ts = "o.ordered_at" if on_orders else "r.created_at"
    where, params, applied = [], [], {}
    if start:
        where.append(f"{ts} >= ?")
        params.append(start)
        applied["since"] = start.isoformat()
    if end:
        where.append(f"{ts} < ?")
        params.append(end + timedelta(days=1))
        applied["until"] = end.isoformat()
    if category:
        cat = resolve.category(ctx, category)
        where.append("p.category = ?")
        params.append(cat)
        applied["category"] = cat
    if product_id:
        pid = resolve.product(ctx, product_id)["product_id"]
        where.append("p.product_id = ?")
        params.append(pid)
        applied["product_id"] = pid
    if brand:
        name = resolve.brand(ctx, brand)
        where.append("lower(p.brand) = lower(?)")
        params.append(name)
        applied["brand"] = name
    if country:
        where.append("lower(c.country) = lower(?)")
        params.append(str(country).strip())
        applied["country"] = str(country).strip()
    key = _group_key(group_by, ts)
    sql_where = ("WHERE " + " AND ".join(where)) if where else ""
    source = ORDER_FROM if on_orders else REVIEW_FROM
    total_row = cur.execute(f"SELECT {agg}, {count} {source} {sql_where}", params).fetchone()
    rows = []
    if key:
        label = ", any_value(p.title)" if group_by == "product" else ", NULL"
        order = "grp" if group_by in TIME_GROUPS else "value DESC NULLS LAST, grp"
        result = cur.execute(
            f"SELECT {key} AS grp, {agg} AS value, {count} AS n{label} {source} {sql_where} "
            f"GROUP BY grp HAVING grp IS NOT NULL ORDER BY {order}",
            params,
        ).fetchall()
        for grp, value, n, title in result:
            row = {"group": grp.isoformat() if hasattr(grp, "isoformat") else grp}
            row.update(value=_round(metric, value), n=int(n))
            if title is not None:
                row["title"] = title
            rows.append(row)
    truncated = group_by not in (None, *TIME_GROUPS) and len(rows) > MAX_GROUP_ROWS
    out = {
        "metric": metric,
        "group_by": group_by,
        "filters": applied,
        "total": _round(metric, total_row[0]),
        "n": int(total_row[1] or 0),
        "counted_in": "orders" if on_orders else "reviews",
        "rows": rows[:MAX_GROUP_ROWS] if truncated else rows,
        "evidence": {},
    }
    if truncated:
        out["note"] = f"top {MAX_GROUP_ROWS} of {len(rows)} groups by value"
    if group_by == "product":
        out["evidence"]["products"] = [r["group"] for r in out["rows"]]
    elif "product_id" in applied:
        out["evidence"]["products"] = [applied["product_id"]]
    return out


def _group_key(group_by: str | None, ts: str) -> str | None:
    if group_by in TIME_GROUPS:
        return f"CAST(date_trunc('{group_by}', {ts}) AS DATE)"
    return {
        "category": "p.category",
        "product": "p.product_id",
        "brand": "p.brand",
        "country": "c.country",
    }.get(group_by)


def _round(metric: str, value):
    if value is None:
        return None
    if metric in ("orders", "units", "review_count"):
        return int(value)
    return round(float(value), 4 if metric == "return_rate" else 2)


# -- declaration ------------------------------------------------------------------
class _MetricsArgs(BaseModel):
    metric: Literal[
        "revenue", "orders", "units", "return_rate", "average_rating", "review_count"
    ] = Field(description="Which figure.")
    group_by: Literal["day", "week", "month", "category", "product", "brand", "country"] | None = (
        Field(None, description="Break the figure down by time or by a dimension.")
    )
    since: str | None = Field(None, description="First day included, YYYY-MM-DD.")
    until: str | None = Field(None, description="Last day included, YYYY-MM-DD.")
    category: str | None = Field(None, description="Only this product category.")
    product_id: str | None = Field(None, description="Only this product id.")
    brand: str | None = Field(None, description="Only this brand.")
    country: str | None = Field(None, description="Only customers in this country.")


class MetricRow(TypedDict):
    group: str
    value: float | int | None
    n: int
    title: NotRequired[str]


@strict
class SalesMetricsResult(TypedDict):
    metric: str
    group_by: str | None
    filters: dict[str, str]
    total: float | int | None
    n: int
    counted_in: Literal["orders", "reviews"]
    rows: list[MetricRow]
    evidence: dict[str, list[str]]
    note: NotRequired[str]


SPECS = (
    ToolSpec(
        name="sales_metrics",
        engine=sales_metrics,
        args=_MetricsArgs,
        result=SalesMetricsResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="none",
        label="Sales metrics",
        purpose="report sales metrics",
        description="Shop figures: revenue, orders, units, return rate, average rating or "
        "review count, over a period, optionally by day/week/month, category, product, "
        "brand or country, filtered by category, product, brand or country.",
    ),
)
