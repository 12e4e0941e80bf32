"""Sales and review metrics: a fixed menu of figures from the metric layer.

Metrics: revenue (item revenue of completed orders), orders (placed and not
cancelled), units (completed), return_rate (returned / completed-or-returned
orders), average_rating and review_count. Grouped by day, week, month, category,
product, brand or country, or not at all; filtered by period, category, product,
brand and country. Every row says how many records it comes from.
"""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import metric_layer as ml
from tools.context import ToolContext
from tools.spec import ToolSpec, strict

ORDER_METRICS = ("revenue", "orders", "units", "return_rate")
REVIEW_METRICS = ("average_rating", "review_count")
METRICS = ORDER_METRICS + REVIEW_METRICS
TIME_GROUPS = ("day", "week", "month")
GROUPS = (*TIME_GROUPS, "category", "product", "brand", "country")
MAX_GROUP_ROWS = 50


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
    """One metric, optionally grouped, over an inclusive date range and filters.

    Computed by the metric layer (tools/metric_layer.yaml), the one definition of each
    figure; this keeps the older argument names and result shape.
    """
    metric = str(metric or "").strip().lower()
    if metric not in METRICS:
        raise UserError(f"unknown metric {metric!r}", hint="metrics: " + ", ".join(METRICS))
    group_by = (group_by or "").strip().lower() or None
    if group_by is not None and group_by not in GROUPS:
        raise UserError(f"cannot group by {group_by!r}", hint="group by: " + ", ".join(GROUPS))
    filters = {"category": category, "product": product_id, "brand": brand}
    filters = {k: v for k, v in filters.items() if v}
    country = str(country).strip() if country else None
    if country:
        filters["country"] = country
    req = ml.request(ctx, metric, [group_by] if group_by else [], filters, since, until)
    out = ml.run(ctx, req)
    applied: dict[str, str] = {}
    if req.since:
        applied["since"] = req.since.isoformat()
    if req.until:
        applied["until"] = req.until.isoformat()
    for name, key in (("category", "category"), ("product", "product_id"), ("brand", "brand")):
        if name in req.filters:
            applied[key] = req.filters[name][0]
    if country:
        applied["country"] = country
    rows = []
    for g in out.groups:
        value = next(iter(g.keys.values()))
        row = {"group": value.isoformat() if hasattr(value, "isoformat") else value}
        row.update(value=g.value, n=g.n)
        if g.title is not None:
            row["title"] = g.title
        rows.append(row)
    if group_by in TIME_GROUPS:
        rows.sort(key=lambda r: r["group"])
    else:
        rows.sort(key=lambda r: str(r["group"]))
        rows.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0)))
    truncated = group_by not in (None, *TIME_GROUPS) and len(rows) > MAX_GROUP_ROWS
    result = {
        "metric": metric,
        "group_by": group_by,
        "filters": applied,
        "total": out.total.value,
        "n": out.total.n,
        "counted_in": "orders" if metric in ORDER_METRICS else "reviews",
        "rows": rows[:MAX_GROUP_ROWS] if truncated else rows,
        "evidence": {},
    }
    if truncated:
        result["note"] = f"top {MAX_GROUP_ROWS} of {len(rows)} groups by value"
    if group_by == "product":
        result["evidence"]["products"] = [r["group"] for r in result["rows"]]
    elif "product_id" in applied:
        result["evidence"]["products"] = [applied["product_id"]]
    return result


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
