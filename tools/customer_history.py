"""One customer's history, as shown in their profile: orders, favourite categories,
browsing (interests, abandoned carts, searches), reviews with sentiment and aspects,
open tickets. Review, ticket and search text is passed through redact_pii.
"""

from __future__ import annotations

from tools.lazy_module import lazy_module
from tools.safety import redact_pii
from tools.segments import has_rows

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

OPEN_TICKET_EXCLUDES = ("closed", "resolved", "solved")


def iso_day(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date().isoformat()


def text_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def rounded(value, digits: int = 2):
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


def order_history(cur, cid: str) -> dict:
    rows = cur.execute(
        """SELECT o.order_id, o.ordered_at, o.status, o.total,
                  count(i.product_id) AS lines, coalesce(sum(i.quantity), 0) AS units,
                  list(i.product_id ORDER BY i.product_id) AS products
           FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
           WHERE o.customer_id = ? GROUP BY ALL
           ORDER BY o.ordered_at DESC, o.order_id DESC""",
        [cid],
    ).fetchall()
    return {
        "all": [
            {
                "order_id": r[0],
                "ordered_at": iso_day(r[1]),
                "status": r[2],
                "total": rounded(r[3]),
                "lines": int(r[4]),
                "units": int(r[5]),
                "products": [p for p in (r[6] or []) if p is not None],
            }
            for r in rows
        ]
    }


def favourite_categories(cur, cid: str, limit: int = 5) -> list[dict]:
    rows = cur.execute(
        """SELECT p.category, sum(coalesce(i.quantity, 1)) AS units,
                  sum(coalesce(i.quantity, 1) * i.unit_price) AS spend
           FROM orders o JOIN order_items i ON i.order_id = o.order_id
           JOIN products p ON p.product_id = i.product_id
           WHERE o.customer_id = ? AND o.status = 'completed' AND p.category IS NOT NULL
           GROUP BY 1 ORDER BY units DESC, spend DESC, 1 LIMIT ?""",
        [cid, limit],
    ).fetchall()
    return [{"category": r[0], "units": int(r[1]), "spend": rounded(r[2])} for r in rows]


def browsing_history(cur, cid: str) -> dict:
    """What the customer looked at: categories (flagged when never bought), top products,
    and carts abandoned (carted, not bought in any later non-cancelled order)."""
    cats = cur.execute(
        """WITH bought AS (
               SELECT DISTINCT p.category FROM orders o
               JOIN order_items i ON i.order_id = o.order_id
               JOIN products p ON p.product_id = i.product_id
               WHERE o.customer_id = ? AND o.status <> 'cancelled')
           SELECT p.category,
                  count(*) FILTER (WHERE e.event_type = 'view') AS views,
                  count(*) FILTER (WHERE e.event_type = 'cart') AS carts,
                  count(*) FILTER (WHERE e.event_type = 'wishlist') AS wishlists,
                  count(DISTINCT e.product_id) AS products, max(e."at") AS last_seen,
                  p.category NOT IN (SELECT category FROM bought WHERE category IS NOT NULL)
                      AS never_bought
           FROM events e JOIN products p ON p.product_id = e.product_id
           WHERE e.customer_id = ? AND p.category IS NOT NULL
           GROUP BY p.category ORDER BY count(*) DESC, p.category""",
        [cid, cid],
    ).fetchall()
    top = cur.execute(
        """SELECT e.product_id, p.title, p.category, count(*) AS n, max(e."at")
           FROM events e LEFT JOIN products p ON p.product_id = e.product_id
           WHERE e.customer_id = ? AND e.event_type = 'view' AND e.product_id IS NOT NULL
           GROUP BY ALL ORDER BY n DESC, e.product_id LIMIT 5""",
        [cid],
    ).fetchall()
    carts = cur.execute(
        """SELECT e.product_id, p.title, p.category, max(e."at") AS carted_at
           FROM events e LEFT JOIN products p ON p.product_id = e.product_id
           WHERE e.customer_id = ? AND e.event_type = 'cart' AND NOT EXISTS (
               SELECT 1 FROM orders o JOIN order_items i ON i.order_id = o.order_id
               WHERE o.customer_id = e.customer_id AND i.product_id = e.product_id
                 AND o.status <> 'cancelled' AND o.ordered_at >= e."at")
           GROUP BY ALL ORDER BY carted_at DESC, e.product_id""",
        [cid],
    ).fetchall()
    searches = cur.execute(
        """SELECT query, count(*) FROM events WHERE customer_id = ? AND event_type = 'search'
           AND query IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5""",
        [cid],
    ).fetchall()
    events = cur.execute("SELECT count(*) FROM events WHERE customer_id = ?", [cid]).fetchone()[0]
    return {
        "events": int(events),
        "categories": [
            {
                "category": r[0],
                "views": int(r[1]),
                "carts": int(r[2]),
                "wishlists": int(r[3]),
                "products": int(r[4]),
                "last_seen": iso_day(r[5]),
                "never_bought": bool(r[6]),
            }
            for r in cats
        ],
        "interests_not_bought": [r[0] for r in cats if r[6] and (r[1] + r[2] + r[3]) >= 2],
        "top_viewed_products": [
            {"product_id": r[0], "title": r[1], "category": r[2], "views": int(r[3])} for r in top
        ],
        "abandoned_carts": [
            {"product_id": r[0], "title": r[1], "category": r[2], "carted_at": iso_day(r[3])}
            for r in carts
        ],
        "searches": [{"query": redact_pii(r[0]), "count": int(r[1])} for r in searches],
    }


def reviews_with_sentiment(cur, cid: str) -> list[dict]:
    rows = cur.execute(
        """SELECT r.review_id, r.product_id, p.title, r.rating, r.created_at, r.title, r.text,
                  s.label, s.score
           FROM reviews r LEFT JOIN products p ON p.product_id = r.product_id
           LEFT JOIN review_sentiment s ON s.review_id = r.review_id
           WHERE r.customer_id = ? ORDER BY r.created_at DESC, r.review_id""",
        [cid],
    ).fetchall()
    aspects: dict[str, list[dict]] = {}
    if has_rows(cur, "review_aspects"):
        for rid, aspect, pol in cur.execute(
            """SELECT a.review_id, a.aspect, a.polarity FROM review_aspects a
               JOIN reviews r ON r.review_id = a.review_id WHERE r.customer_id = ?
               ORDER BY a.review_id, a.aspect""",
            [cid],
        ).fetchall():
            aspects.setdefault(rid, []).append({"aspect": aspect, "polarity": pol})
    return [
        {
            "review_id": r[0],
            "product_id": r[1],
            "product_title": r[2],
            "rating": int(r[3]),
            "created_at": iso_day(r[4]),
            "title": redact_pii(r[5]),
            "text": redact_pii(r[6]),
            "sentiment": r[7],
            "sentiment_score": rounded(r[8], 3),
            "aspects": aspects.get(r[0], []),
        }
        for r in rows
    ]


def open_tickets(cur, cid: str) -> list[dict]:
    """Open tickets with their text, age (days before the shop's latest order or ticket)
    and the order they concern."""
    rows = cur.execute(
        """SELECT t.ticket_id, t.order_id, t.opened_at, t.status, t.subject, t.text,
                  date_diff('day', t.opened_at, greatest(
                      (SELECT max(ordered_at) FROM orders),
                      (SELECT max(opened_at) FROM tickets))),
                  o.status, o.ordered_at
           FROM tickets t LEFT JOIN orders o ON o.order_id = t.order_id
           WHERE t.customer_id = ? AND lower(coalesce(t.status, 'open')) NOT IN (?, ?, ?)
           ORDER BY t.opened_at DESC, t.ticket_id""",
        [cid, *OPEN_TICKET_EXCLUDES],
    ).fetchall()
    return [
        {
            "ticket_id": r[0],
            "order_id": r[1],
            "opened_at": iso_day(r[2]),
            "status": r[3],
            "subject": redact_pii(r[4]),
            "text": redact_pii(r[5]),
            "age_days": int(r[6]) if r[6] is not None else None,
            "order_status": r[7],
            "ordered_at": iso_day(r[8]),
        }
        for r in rows
    ]
