"""Products not to recommend right now: a live complaint spike or a wave of returns.

A recommender that pushes the product everyone is returning this month hurts the
shop, so serving holds such products back and says why. The window is the last
90 days of the shop's own activity (not the wall clock, so historical data works).
"""

from __future__ import annotations

from tools.context import ToolContext

WINDOW_DAYS = 90
MIN_REVIEWS = 10
MAX_NEGATIVE_SHARE = 0.5
MIN_ORDERS = 20
MAX_RETURN_RATE = 0.3

_SQL = f"""
WITH recent_reviews AS (
    SELECT r.product_id,
           count(*) AS n,
           avg(CASE WHEN coalesce(s.label, CASE WHEN r.rating <= 2 THEN 'negative' END) = 'negative'
               THEN 1.0 ELSE 0.0 END) AS negative_share
    FROM reviews r LEFT JOIN review_sentiment s USING (review_id)
    WHERE r.created_at > (SELECT max(created_at) FROM reviews) - INTERVAL {WINDOW_DAYS} DAY
    GROUP BY r.product_id
),
recent_orders AS (
    SELECT i.product_id,
           count(DISTINCT o.order_id) AS n,
           avg(CASE WHEN o.status = 'returned' THEN 1.0 ELSE 0.0 END) AS return_rate
    FROM orders o JOIN order_items i USING (order_id)
    WHERE o.status <> 'cancelled'
      AND o.ordered_at > (SELECT max(ordered_at) FROM orders) - INTERVAL {WINDOW_DAYS} DAY
    GROUP BY i.product_id
)
SELECT coalesce(rv.product_id, ro.product_id) AS product_id,
       rv.n, rv.negative_share, ro.n, ro.return_rate
FROM recent_reviews rv FULL OUTER JOIN recent_orders ro USING (product_id)
WHERE (rv.n >= {MIN_REVIEWS} AND rv.negative_share >= {MAX_NEGATIVE_SHARE})
   OR (ro.n >= {MIN_ORDERS} AND ro.return_rate >= {MAX_RETURN_RATE})
ORDER BY product_id
"""  # noqa: S608 -- only this module's numeric constants are formatted


def why_held(
    reviews: int | None, negative: float | None, orders: int | None, returns: float | None
) -> dict:
    """What holds a product back, in parts: the negative share of its recent reviews
    and the returned share of its recent orders, each with its counts, over the window."""
    why: dict = {"days": WINDOW_DAYS}
    if (
        reviews
        and negative is not None
        and reviews >= MIN_REVIEWS
        and negative >= MAX_NEGATIVE_SHARE
    ):
        why["negative"] = {"share": negative, "count": round(negative * reviews), "n": reviews}
    if orders and returns is not None and orders >= MIN_ORDERS and returns >= MAX_RETURN_RATE:
        why["returns"] = {"share": returns, "count": round(returns * orders), "n": orders}
    return why


def reason_text(why: dict) -> str:
    """The held-back reason in English, as tools report it."""
    parts = []
    if neg := why.get("negative"):
        parts.append(f"{neg['share']:.0%} negative reviews ({neg['count']} of {neg['n']})")
    if ret := why.get("returns"):
        parts.append(f"{ret['share']:.0%} of orders returned ({ret['count']} of {ret['n']})")
    return " and ".join(parts) + f" in the last {why['days']} days"


def held_back_why(ctx: ToolContext) -> dict[str, dict]:
    """product_id -> what holds it back, in parts (cached per tool context)."""

    def load() -> dict[str, dict]:
        rows = ctx.cursor().execute(_SQL).fetchall()
        return {pid: why_held(rn, neg, on, ret) for pid, rn, neg, on, ret in rows}

    return ctx.cached("recommender:held_back_why", load)


def held_back(ctx: ToolContext) -> dict[str, str]:
    """product_id -> why it is not recommended now, in words."""
    return {pid: reason_text(why) for pid, why in held_back_why(ctx).items()}
