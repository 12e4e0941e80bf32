"""Hand-written ground truth for analyst questions: rankings, counts, one product's
figure, change between two periods, steepest drops, aspect shares and audiences.

Written straight from the metric definitions (the analyze contract), over the raw
store tables and never through ``tools/``, so an eval set scored with these queries
checks the metric layer instead of repeating it. Every value is a bound parameter;
table, column and expression text comes only from the constant maps below.

Scope parameters shared by every query (all optional):
  since, until     ISO dates, both inclusive
  product_id, category, brand, country, city, channel
  verified         review metrics only: true / false
  rating           review metrics only: one star value or a list
  aspect           required by the aspect share metrics
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from assistant.errors import UserError

# -- metric definitions --------------------------------------------------------------
# Each metric reads one base relation ("lines": order lines with product and customer,
# "reviews": reviews with product, customer and sentiment, "events", "tickets") and
# aggregates it with one expression. Rates are returned as fractions, ratings as means.
_LINES = """(SELECT o.order_id, o.customer_id, o.ordered_at AS ts, o.status,
                    i.product_id, i.quantity, i.unit_price,
                    p.title, p.category, p.brand, c.country, c.city, c.channel
             FROM orders o JOIN order_items i USING (order_id)
             JOIN products p USING (product_id)
             LEFT JOIN customers c USING (customer_id))"""
_REVIEWS = """(SELECT r.review_id, r.customer_id, r.created_at AS ts, r.rating, r.verified,
                      r.product_id, p.title, p.category, p.brand,
                      c.country, c.city, c.channel, s.label
               FROM reviews r JOIN products p USING (product_id)
               LEFT JOIN customers c USING (customer_id)
               LEFT JOIN review_sentiment s USING (review_id))"""
_EVENTS = """(SELECT e.event_id, e.customer_id, e."at" AS ts, e.event_type, e.product_id,
                     p.title, p.category, p.brand, c.country, c.city, c.channel
              FROM events e LEFT JOIN products p USING (product_id)
              LEFT JOIN customers c USING (customer_id))"""
_TICKETS = """(SELECT t.ticket_id, t.customer_id, t.opened_at AS ts, t.status,
                      c.country, c.city, c.channel
               FROM tickets t LEFT JOIN customers c USING (customer_id))"""

_OPEN = "lower(coalesce(status, 'open')) NOT IN ('closed', 'resolved', 'solved')"
_ASPECT_HIT = (
    "review_id IN (SELECT review_id FROM review_aspects WHERE aspect = ? AND polarity = ?)"
)

# name -> (base relation, value expression, record count expression for n, unit kind)
METRICS: dict[str, tuple[str, str, str, str]] = {
    "revenue": (
        _LINES,
        "coalesce(sum(CASE WHEN status = 'completed' THEN quantity * unit_price END), 0)",
        "count(DISTINCT CASE WHEN status = 'completed' THEN order_id END)",
        "currency",
    ),
    "orders": (
        _LINES,
        "count(DISTINCT CASE WHEN status <> 'cancelled' THEN order_id END)",
        "count(DISTINCT CASE WHEN status <> 'cancelled' THEN order_id END)",
        "count",
    ),
    "units": (
        _LINES,
        "coalesce(sum(CASE WHEN status = 'completed' THEN quantity END), 0)",
        "count(DISTINCT CASE WHEN status = 'completed' THEN order_id END)",
        "count",
    ),
    "average_order_value": (
        _LINES,
        "sum(CASE WHEN status = 'completed' THEN quantity * unit_price END)"
        " / nullif(count(DISTINCT CASE WHEN status = 'completed' THEN order_id END), 0)",
        "count(DISTINCT CASE WHEN status = 'completed' THEN order_id END)",
        "currency",
    ),
    "customers": (
        _LINES,
        "count(DISTINCT CASE WHEN status <> 'cancelled' THEN customer_id END)",
        "count(DISTINCT CASE WHEN status <> 'cancelled' THEN customer_id END)",
        "count",
    ),
    "return_rate": (
        _LINES,
        "count(DISTINCT CASE WHEN status = 'returned' THEN order_id END)"
        " / nullif(count(DISTINCT CASE WHEN status IN ('completed', 'returned')"
        " THEN order_id END), 0)",
        "count(DISTINCT CASE WHEN status IN ('completed', 'returned') THEN order_id END)",
        "rate",
    ),
    "cancel_rate": (
        _LINES,
        "count(DISTINCT CASE WHEN status = 'cancelled' THEN order_id END)"
        " / nullif(count(DISTINCT order_id), 0)",
        "count(DISTINCT order_id)",
        "rate",
    ),
    "average_rating": (_REVIEWS, "avg(rating)", "count(*)", "rating"),
    "review_count": (_REVIEWS, "count(*)", "count(*)", "count"),
    "negative_share": (
        _REVIEWS,
        "avg(CASE WHEN label = 'negative' THEN 1.0 ELSE 0.0 END)",
        "count(*)",
        "rate",
    ),
    "aspect_complaint_share": (
        _REVIEWS,
        f"avg(CASE WHEN {_ASPECT_HIT} THEN 1.0 ELSE 0.0 END)",
        "count(*)",
        "rate",
    ),
    "aspect_praise_share": (
        _REVIEWS,
        f"avg(CASE WHEN {_ASPECT_HIT} THEN 1.0 ELSE 0.0 END)",
        "count(*)",
        "rate",
    ),
    "views": (
        _EVENTS,
        "count(*) FILTER (WHERE event_type = 'view')",
        "count(*) FILTER (WHERE event_type = 'view')",
        "count",
    ),
    "carts": (
        _EVENTS,
        "count(*) FILTER (WHERE event_type = 'cart')",
        "count(*) FILTER (WHERE event_type = 'cart')",
        "count",
    ),
    "tickets": (_TICKETS, "count(*)", "count(*)", "count"),
    "open_tickets": (_TICKETS, f"count(*) FILTER (WHERE {_OPEN})", "count(*)", "count"),
}
_ASPECT_POLARITY = {"aspect_complaint_share": "negative", "aspect_praise_share": "positive"}
RATE_KINDS = {"rate"}

# Grouping keys and the label shown for a group (a product's label is its title).
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "product": ("product_id", "any_value(title)"),
    "category": ("category", "category"),
    "brand": ("brand", "brand"),
    "month": ("strftime(ts, '%Y-%m')", "strftime(ts, '%Y-%m')"),
    "quarter": (
        "strftime(ts, '%Y') || '-Q' || CAST(quarter(ts) AS VARCHAR)",
        "strftime(ts, '%Y') || '-Q' || CAST(quarter(ts) AS VARCHAR)",
    ),
    "year": ("CAST(year(ts) AS VARCHAR)", "CAST(year(ts) AS VARCHAR)"),
    "country": ("country", "country"),
    "city": ("city", "city"),
    "channel": ("channel", "channel"),
    "rating": ("rating", "rating"),
    "verified": ("verified", "verified"),
}
_REVIEW_ONLY = {"rating", "verified", "aspect"}
_SCOPE_COLUMNS = ("product_id", "category", "brand", "country", "city", "channel")


def _metric(name: str) -> tuple[str, str, str, str]:
    if name not in METRICS:
        raise UserError(f"unknown metric {name!r}", hint="known: " + ", ".join(sorted(METRICS)))
    return METRICS[name]


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _where(metric: str, scope: dict) -> tuple[str, list]:
    """The WHERE clause of a scope; text from constants, values as parameters."""
    base = _metric(metric)[0]
    unknown = set(scope) - {"since", "until", "verified", "rating", "aspect", *_SCOPE_COLUMNS}
    if unknown:
        raise UserError(f"{metric}: unknown scope parameter(s) {sorted(unknown)}")
    where, args = ["1=1"], []
    if scope.get("since"):
        where.append("ts >= CAST(? AS DATE)")
        args.append(str(scope["since"]))
    if scope.get("until"):
        where.append("ts < CAST(? AS DATE) + INTERVAL 1 DAY")
        args.append(str(scope["until"]))
    for col in _SCOPE_COLUMNS:
        if scope.get(col) is None:
            continue
        if base is _TICKETS and col not in ("country", "city", "channel"):
            raise UserError(f"{metric}: cannot filter tickets by {col}")
        values = _as_list(scope[col])
        where.append(f"lower({col}) IN ({', '.join('lower(?)' for _ in values)})")
        args.extend(str(v) for v in values)
    for col in ("verified", "rating"):
        if scope.get(col) is None:
            continue
        if base is not _REVIEWS:
            raise UserError(f"{metric}: {col} applies to review metrics only")
        values = _as_list(scope[col])
        where.append(f"{col} IN ({', '.join('?' for _ in values)})")
        args.extend(values)
    return " AND ".join(where), args


def _select(metric: str, scope: dict) -> tuple[str, str, list, list]:
    """(base, WHERE, parameters of the value expression, parameters of WHERE)."""
    base, _value, _n, _kind = _metric(metric)
    value_args: list = []
    if metric in _ASPECT_POLARITY:
        if not scope.get("aspect"):
            raise UserError(f"{metric} needs an aspect")
        value_args = [str(scope["aspect"]), _ASPECT_POLARITY[metric]]
    elif scope.get("aspect"):
        # an aspect filter on another review metric: reviews mentioning the aspect
        if base is not _REVIEWS:
            raise UserError(f"{metric}: aspect applies to review metrics only")
    where, args = _where(metric, {k: v for k, v in scope.items() if k != "aspect"})
    if scope.get("aspect") and metric not in _ASPECT_POLARITY:
        where += " AND review_id IN (SELECT review_id FROM review_aspects WHERE aspect = ?)"
        args.append(str(scope["aspect"]))
    return base, where, value_args, args


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    return int(value) if isinstance(value, int) else float(value)


# -- one figure ------------------------------------------------------------------------
def metric_value(cur: duckdb.DuckDBPyConnection, *, metric: str, **scope) -> float | int | None:
    """The metric over the whole scope (e.g. one product's return rate in 2026)."""
    base, value, _n, _kind = _metric(metric)
    _base, where, value_args, args = _select(metric, scope)
    sql = f"SELECT {value} FROM {base} WHERE {where}"  # noqa: S608 -- text from constants; values are parameters
    return _number(cur.execute(sql, value_args + args).fetchone()[0])


def record_count(cur: duckdb.DuckDBPyConnection, *, metric: str, **scope) -> int:
    """How many records are behind the metric in the scope (its n)."""
    base, _value, n, _kind = _metric(metric)
    _base, where, _value_args, args = _select(metric, scope)
    sql = f"SELECT {n} FROM {base} WHERE {where}"  # noqa: S608 -- text from constants; values are parameters
    return int(cur.execute(sql, args).fetchone()[0])


# -- groups and rankings ------------------------------------------------------------
def default_min_n(metric: str, by: str) -> int:
    """Rates and average ratings ranked by product or brand need 10 records, else 1.

    The contract sets 10 for rate metrics; average ratings get the same floor here
    because a one-review product would otherwise top every rating ranking. Held-out
    questions about ratings state their minimum, so they do not depend on this choice."""
    return 10 if _metric(metric)[3] in ("rate", "rating") and by in ("product", "brand") else 1


def grouped(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    by: str,
    min_n: int | None = None,
    **scope,
) -> list[tuple[Any, str, float | int | None, int]]:
    """Every group of the scope as (key, label, value, n), groups under min_n left out."""
    if by not in _DIMENSIONS:
        raise UserError(f"unknown dimension {by!r}", hint="known: " + ", ".join(_DIMENSIONS))
    base, value, n, _kind = _metric(metric)
    if by in _REVIEW_ONLY and base is not _REVIEWS:
        raise UserError(f"{metric} cannot be grouped by {by}: it applies to review metrics only")
    if base is _TICKETS and by not in ("country", "city", "channel", "month", "quarter", "year"):
        raise UserError(f"{metric} cannot be grouped by {by}")
    key, label = _DIMENSIONS[by]
    _base, where, value_args, args = _select(metric, scope)
    floor = default_min_n(metric, by) if min_n is None else int(min_n)
    sql = (
        f"SELECT {key} AS k, {label} AS l, {value} AS v, {n} AS n "  # noqa: S608 -- text from constants; values are parameters
        f"FROM {base} WHERE {where} AND {key} IS NOT NULL GROUP BY 1"
    )
    rows = cur.execute(sql, value_args + args).fetchall()
    return [(k, str(lab), _number(v), int(cnt)) for k, lab, v, cnt in rows if cnt >= floor]


def _ordered(rows: list, order: str) -> list:
    if order not in ("desc", "asc"):
        raise UserError(f"order must be desc or asc, not {order!r}")
    rows = [r for r in rows if r[2] is not None]
    # ties are broken by key so the same rank always names the same group
    return sorted(rows, key=lambda r: (-r[2] if order == "desc" else r[2], str(r[0])))


def _field(row: tuple, field: str) -> Any:
    if field not in ("label", "key", "value", "n"):
        raise UserError(f"field must be label, key, value or n, not {field!r}")
    return {"key": row[0], "label": row[1], "value": row[2], "n": row[3]}[field]


def ranked(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    by: str = "product",
    rank: int = 1,
    order: str = "desc",
    field: str = "label",
    min_n: int | None = None,
    **scope,
) -> Any:
    """The group at a rank (1 = top, or bottom with order asc): its label (a product's
    title), key (a product id), value or n."""
    rows = _ordered(grouped(cur, metric=metric, by=by, min_n=min_n, **scope), order)
    if not 1 <= rank <= len(rows):
        raise UserError(f"ranked: rank {rank} of {len(rows)} {by} groups for {metric}")
    return _field(rows[rank - 1], field)


def ranked_list(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    by: str = "product",
    limit: int = 5,
    order: str = "desc",
    field: str = "label",
    min_n: int | None = None,
    **scope,
) -> list:
    """The top (or bottom) ``limit`` groups' labels, keys, values or n."""
    rows = _ordered(grouped(cur, metric=metric, by=by, min_n=min_n, **scope), order)
    if not rows:
        raise UserError(f"ranked_list: no {by} groups for {metric} in this scope")
    return [_field(r, field) for r in rows[: int(limit)]]


def group_value(
    cur: duckdb.DuckDBPyConnection, *, metric: str, by: str, key: Any, **scope
) -> float | int | None:
    """The value of one group (e.g. revenue of channel "email")."""
    for k, _label, value, _n in grouped(cur, metric=metric, by=by, min_n=1, **scope):
        if str(k).lower() == str(key).lower():
            return value
    raise UserError(f"group_value: no {by} group {key!r} for {metric}")


# -- change between periods ------------------------------------------------------------
def previous_period(since: str, until: str) -> tuple[str, str]:
    """The period of the same length that ends the day before ``since``."""
    start, end = date.fromisoformat(str(since)), date.fromisoformat(str(until))
    if end < start:
        raise UserError(f"period ends ({until}) before it starts ({since})")
    length = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    return (prev_end - timedelta(days=length - 1)).isoformat(), prev_end.isoformat()


def metric_change(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str,
    since: str,
    until: str,
    compare_since: str | None = None,
    compare_until: str | None = None,
    relative: bool = False,
    **scope,
) -> float | None:
    """value(since..until) - value(compare period; the previous one by default), or the
    relative change with ``relative``."""
    if bool(compare_since) != bool(compare_until):
        raise UserError("metric_change: give both compare_since and compare_until, or neither")
    if not compare_since:
        compare_since, compare_until = previous_period(since, until)
    now = metric_value(cur, metric=metric, since=since, until=until, **scope)
    before = metric_value(cur, metric=metric, since=compare_since, until=compare_until, **scope)
    if now is None or before is None:
        return None
    if relative:
        return None if before == 0 else (now - before) / before
    return now - before


def steepest_change(
    cur: duckdb.DuckDBPyConnection,
    *,
    metric: str = "average_rating",
    by: str = "product",
    since: str,
    until: str,
    compare_since: str | None = None,
    compare_until: str | None = None,
    direction: str = "drop",
    rank: int = 1,
    field: str = "label",
    min_n: int | None = None,
    **scope,
) -> Any:
    """The group whose metric fell (``drop``) or rose (``rise``) the most between the
    compare period and since..until; both periods must hold min_n records. With
    field "value" the change itself."""
    if direction not in ("drop", "rise"):
        raise UserError(f"direction must be drop or rise, not {direction!r}")
    if bool(compare_since) != bool(compare_until):
        raise UserError("steepest_change: give both compare_since and compare_until, or neither")
    if not compare_since:
        compare_since, compare_until = previous_period(since, until)
    now = {
        r[0]: r
        for r in grouped(cur, metric=metric, by=by, min_n=min_n, since=since, until=until, **scope)
    }
    before = {
        r[0]: r
        for r in grouped(
            cur,
            metric=metric,
            by=by,
            min_n=min_n,
            since=compare_since,
            until=compare_until,
            **scope,
        )
    }
    changes = [
        (k, now[k][1], now[k][2] - before[k][2], now[k][3])
        for k in now
        if k in before and now[k][2] is not None and before[k][2] is not None
    ]
    rows = _ordered(changes, "asc" if direction == "drop" else "desc")
    if not 1 <= rank <= len(rows):
        raise UserError(f"steepest_change: rank {rank} of {len(rows)} {by} groups")
    return _field(rows[rank - 1], field)


# -- shop-wide summaries and audiences -------------------------------------------------
def aspect_share(
    cur: duckdb.DuckDBPyConnection, *, aspect: str, polarity: str = "negative", **scope
) -> float | None:
    """Share of the reviews in scope with a negative (or positive) mention of the aspect."""
    metric = {"negative": "aspect_complaint_share", "positive": "aspect_praise_share"}.get(polarity)
    if metric is None:
        raise UserError(f"polarity must be negative or positive, not {polarity!r}")
    return metric_value(cur, metric=metric, aspect=aspect, **scope)


def aspect_mentions(
    cur: duckdb.DuckDBPyConnection, *, aspect: str, polarity: str = "negative", **scope
) -> int:
    """How many reviews in scope mention the aspect with that polarity."""
    where, args = _where("review_count", scope)
    sql = f"SELECT count(*) FROM {_REVIEWS} WHERE {where} AND {_ASPECT_HIT}"  # noqa: S608 -- text from constants; values are parameters
    return int(cur.execute(sql, [*args, aspect, polarity]).fetchone()[0])


def complainers(
    cur: duckdb.DuckDBPyConnection,
    *,
    product_id: str,
    since: str | None = None,
    until: str | None = None,
    by: str = "label",
) -> int:
    """Customers who complained about one product: distinct authors of a review of it
    labelled negative (``by="label"``, as negative_share counts) or rated 1-2 stars
    (``by="rating"``)."""
    conditions = {"label": "label = 'negative'", "rating": "rating <= 2"}
    if by not in conditions:
        raise UserError(f"complainers: by must be label or rating, not {by!r}")
    where, args = _where("review_count", {"product_id": product_id, "since": since, "until": until})
    sql = (
        f"SELECT count(DISTINCT customer_id) FROM {_REVIEWS} "  # noqa: S608 -- text from constants; values are parameters
        f"WHERE {where} AND customer_id IS NOT NULL AND {conditions[by]}"
    )
    return int(cur.execute(sql, args).fetchone()[0])


def product_id_of(cur: duckdb.DuckDBPyConnection, *, title: str) -> str:
    """The id of the product with exactly this title (case-insensitive)."""
    rows = cur.execute(
        "SELECT product_id FROM products WHERE lower(title) = lower(?)", [title]
    ).fetchall()
    if len(rows) != 1:
        raise UserError(f"product_id_of({title!r}) matched {len(rows)} products, expected 1")
    return rows[0][0]


ANALYST_QUERIES = {
    "metric_value": metric_value,
    "record_count": record_count,
    "ranked": ranked,
    "ranked_list": ranked_list,
    "group_value": group_value,
    "metric_change": metric_change,
    "steepest_change": steepest_change,
    "aspect_share": aspect_share,
    "aspect_mentions": aspect_mentions,
    "complainers": complainers,
    "product_id_of": product_id_of,
}
