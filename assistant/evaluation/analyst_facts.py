"""Ground truth for the analyst question set (evals/analyst.yaml), hand-written SQL.

Written from the metric definitions of the issue, not from the metric layer's
compiler (tools/metric_layer.py): a figure the analyze tool states is checked against
a second, independent reading of the same tables. Every value goes to DuckDB as a
parameter; the SQL fragments are constants chosen by name.

The figures:
- ``metric_value``: one metric over a scope (filters and a period);
- ``top_label``: the label of the n-th row of a ranking (product title, category,
  brand, country, channel, aspect);
- ``change_label``: the label of the n-th row of a ranking by change against the
  period just before (whole calendar months against as many months before; other
  spans against the same number of days) or the same dates a year before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import duckdb

from assistant.errors import UserError

# Order metrics: one row per order (with its customer) or per order line.
_ORDER_SCOPE = """
FROM orders o
JOIN customers c ON c.customer_id = o.customer_id
{lines}
WHERE {where}
"""
_LINES = (
    "JOIN order_items i ON i.order_id = o.order_id JOIN products p ON p.product_id = i.product_id"
)
_REVIEW_SCOPE = """
FROM reviews r
JOIN products p ON p.product_id = r.product_id
LEFT JOIN customers c ON c.customer_id = r.customer_id
{extra}
WHERE {where}
"""
# metric -> (scope, needs order lines, value expression, n expression)
_METRICS: dict[str, tuple[str, bool, str, str]] = {
    "revenue": (
        "orders",
        True,
        "sum(CASE WHEN o.status = 'completed' THEN i.quantity * i.unit_price END)",
        "count(DISTINCT CASE WHEN o.status = 'completed' THEN o.order_id END)",
    ),
    "units": (
        "orders",
        True,
        "sum(CASE WHEN o.status = 'completed' THEN i.quantity END)",
        "count(DISTINCT CASE WHEN o.status = 'completed' THEN o.order_id END)",
    ),
    "orders": (
        "orders",
        False,
        "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END)",
        "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END)",
    ),
    "customers": (
        "orders",
        False,
        "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.customer_id END)",
        "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.customer_id END)",
    ),
    "return_rate": (
        "orders",
        False,
        "count(DISTINCT CASE WHEN o.status = 'returned' THEN o.order_id END)::DOUBLE"
        " / nullif(count(DISTINCT CASE WHEN o.status IN ('completed', 'returned')"
        " THEN o.order_id END), 0)",
        "count(DISTINCT CASE WHEN o.status IN ('completed', 'returned') THEN o.order_id END)",
    ),
    "cancel_rate": (
        "orders",
        False,
        "count(DISTINCT CASE WHEN o.status = 'cancelled' THEN o.order_id END)::DOUBLE"
        " / nullif(count(DISTINCT o.order_id), 0)",
        "count(DISTINCT o.order_id)",
    ),
    "average_order_value": (
        "orders",
        True,
        "sum(CASE WHEN o.status = 'completed' THEN i.quantity * i.unit_price END)"
        " / nullif(count(DISTINCT CASE WHEN o.status = 'completed' THEN o.order_id END), 0)",
        "count(DISTINCT CASE WHEN o.status = 'completed' THEN o.order_id END)",
    ),
    "average_rating": ("reviews", False, "avg(r.rating)", "count(*)"),
    "review_count": ("reviews", False, "count(*)", "count(*)"),
    "negative_share": (
        "reviews",
        False,
        "avg(CASE WHEN s.label = 'negative' THEN 1.0 ELSE 0.0 END)",
        "count(*)",
    ),
    "aspect_complaint_share": (
        "reviews",
        False,
        "avg(CASE WHEN EXISTS (SELECT 1 FROM review_aspects a WHERE a.review_id = r.review_id"
        " AND a.aspect = ? AND a.polarity = 'negative') THEN 1.0 ELSE 0.0 END)",
        "count(*)",
    ),
}
# dimension -> (column expression, label expression) for each scope
_DIMENSIONS: dict[str, dict[str, tuple[str, str]]] = {
    "orders": {
        "product": ("p.product_id", "any_value(p.title)"),
        "category": ("p.category", "p.category"),
        "brand": ("p.brand", "p.brand"),
        "country": ("c.country", "c.country"),
        "city": ("c.city", "c.city"),
        "channel": ("c.channel", "c.channel"),
        "month": ("strftime(o.ordered_at, '%Y-%m')", "strftime(o.ordered_at, '%Y-%m')"),
    },
    "reviews": {
        "product": ("p.product_id", "any_value(p.title)"),
        "category": ("p.category", "p.category"),
        "brand": ("p.brand", "p.brand"),
        "country": ("c.country", "c.country"),
        "month": ("strftime(r.created_at, '%Y-%m')", "strftime(r.created_at, '%Y-%m')"),
    },
}
_TIME = {"orders": "o.ordered_at", "reviews": "r.created_at"}
_FILTERS = {
    "product_id": "p.product_id = ?",
    "category": "lower(p.category) = lower(?)",
    "brand": "lower(p.brand) = lower(?)",
    "country": "c.country = ?",
    "channel": "lower(c.channel) = lower(?)",
}


def _check(metric: str, by: str | None = None) -> tuple[str, bool, str, str]:
    if metric not in _METRICS:
        raise UserError(f"analyst fact: unknown metric {metric!r}", hint=", ".join(_METRICS))
    spec = _METRICS[metric]
    if by is not None and by not in _DIMENSIONS[spec[0]]:
        raise UserError(f"analyst fact: {metric} cannot be grouped by {by!r}")
    return spec


def _where(scope: str, params: dict[str, Any], since, until) -> tuple[str, list, bool]:
    """WHERE clause, its values, and whether order lines are needed for a filter."""
    where, args, lines = ["1=1"], [], False
    time = _TIME[scope]
    if since:
        where.append(f"{time} >= CAST(? AS DATE)")
        args.append(str(since))
    if until:
        where.append(f"{time} < CAST(? AS DATE) + INTERVAL 1 DAY")
        args.append(str(until))
    for key, clause in _FILTERS.items():
        if params.get(key) is not None:
            where.append(clause)
            args.append(params[key])
            lines |= key in ("product_id", "category", "brand")
    if params.get("verified") is not None:
        if scope != "reviews":
            raise UserError("analyst fact: verified applies to review metrics only")
        where.append("r.verified = ?")
        args.append(bool(params["verified"]))
    return " AND ".join(where), args, lines


def _sql(metric: str, by: str | None, params: dict, since, until) -> tuple[str, list]:
    scope, needs_lines, value, n = _check(metric, by)
    where, args, filter_lines = _where(scope, params, since, until)
    value_args = [params["aspect"]] if metric == "aspect_complaint_share" else []
    if metric == "aspect_complaint_share" and not params.get("aspect"):
        raise UserError("analyst fact: aspect_complaint_share needs an aspect")
    if scope == "orders":
        lines = needs_lines or filter_lines or by in ("product", "category", "brand")
        body = _ORDER_SCOPE.format(lines=_LINES if lines else "", where=where)
    else:
        extra = "LEFT JOIN review_sentiment s ON s.review_id = r.review_id"
        body = _REVIEW_SCOPE.format(extra=extra, where=where)
    if by is None:
        return f"SELECT {value}, {n} {body}", value_args + args  # noqa: S608 -- constant fragments
    key, label = _DIMENSIONS[scope][by]
    sql = f"SELECT {key} AS k, {label} AS label, {value} AS v, {n} AS n {body} GROUP BY {key}"  # noqa: S608 -- constant fragments
    if label == key:
        sql = f"SELECT {key} AS k, {key} AS label, {value} AS v, {n} AS n {body} GROUP BY {key}"  # noqa: S608
    return sql, value_args + args


def metric_value(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    since: str | None = None,
    until: str | None = None,
    **filters: Any,
) -> float | int | None:
    """One metric over the scope (rates as fractions)."""
    sql, args = _sql(metric, None, filters, since, until)
    value = cur.execute(sql, args).fetchone()[0]
    if value is None:
        return None
    return int(value) if metric in ("orders", "units", "customers", "review_count") else value


def _ranked(cur, metric, by, since, until, min_n, filters) -> list[tuple]:
    sql, args = _sql(metric, by, filters, since, until)
    rows = [r for r in cur.execute(sql, args).fetchall() if r[0] is not None and r[2] is not None]
    return [r for r in rows if r[3] >= min_n]


def top_label(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    by: str,
    order: str = "desc",
    rank: int = 1,
    min_n: int = 1,
    since: str | None = None,
    until: str | None = None,
    **filters: Any,
) -> str:
    """The label (a product's title, a category, a brand, ...) at ``rank`` of the ranking."""
    rows = _ranked(cur, metric, by, since, until, min_n, filters)
    rows.sort(key=lambda r: (-r[2] if order == "desc" else r[2], str(r[0])))
    if len(rows) < rank:
        raise UserError(f"analyst fact: fewer than {rank} rows for {metric} by {by}")
    return str(rows[rank - 1][1])


def top_value(cur: duckdb.DuckDBPyConnection, **params: Any) -> float:
    """The value at the same place of the ranking as ``top_label``."""
    label = top_label(cur, **params)
    p = dict(params)
    metric, by = p.pop("metric"), p.pop("by")
    p.pop("order", None), p.pop("rank", None)
    min_n = p.pop("min_n", 1)
    since, until = p.pop("since", None), p.pop("until", None)
    rows = _ranked(cur, metric, by, since, until, min_n, p)
    return next(r[2] for r in rows if str(r[1]) == label)


def _before(since: str, until: str, compare: str) -> tuple[str, str]:
    s, u = date.fromisoformat(since), date.fromisoformat(until)
    if compare == "year_before":
        return _year_back(s).isoformat(), _year_back(u).isoformat()
    if s.day == 1 and (u + timedelta(days=1)).day == 1:
        # Whole calendar months: the same number of months just before.
        months = (u.year - s.year) * 12 + u.month - s.month + 1
        index = s.year * 12 + s.month - 1 - months
        first = date(index // 12, index % 12 + 1, 1)
        return first.isoformat(), (s - timedelta(days=1)).isoformat()
    length = (u - s).days + 1
    return (s - timedelta(days=length)).isoformat(), (s - timedelta(days=1)).isoformat()


def _year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def change_label(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    by: str,
    since: str,
    until: str,
    compare: str = "previous",
    order: str = "asc",
    relative: bool = False,
    rank: int = 1,
    min_n: int = 1,
    **filters: Any,
) -> str:
    """The label at ``rank`` when rows are ordered by their change against before."""
    now = {r[0]: r for r in _ranked(cur, metric, by, since, until, min_n, filters)}
    b_since, b_until = _before(since, until, compare)
    then = {r[0]: r for r in _ranked(cur, metric, by, b_since, b_until, min_n, filters)}
    changes = []
    for key, row in now.items():
        if key not in then:
            continue
        delta = row[2] - then[key][2]
        if relative:
            if not then[key][2]:
                continue
            delta = delta / then[key][2]
        changes.append((delta, str(key), str(row[1])))
    changes.sort(key=lambda c: (c[0] if order == "asc" else -c[0], c[1]))
    if len(changes) < rank:
        raise UserError(f"analyst fact: fewer than {rank} rows with a change for {metric}")
    return changes[rank - 1][2]


def open_tickets(cur: duckdb.DuckDBPyConnection) -> int:
    """Tickets not closed, resolved or solved."""
    sql = "SELECT count(*) FROM tickets WHERE lower(coalesce(status, 'open')) NOT IN ('closed', 'resolved', 'solved')"
    return cur.execute(sql).fetchone()[0]


FACTS: dict[str, Callable[..., Any]] = {
    "analyst_metric": metric_value,
    "analyst_top": top_label,
    "analyst_top_value": top_value,
    "analyst_change_top": change_label,
    "analyst_open_tickets": open_tickets,
}
