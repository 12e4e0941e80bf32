"""Buyer intelligence: one customer's profile, audiences for marketers, the segment overview.

Figures come from tools.segments (RFM, churn, CLV over the whole shop); this module
adds the per-customer detail (orders, browsing, reviews, tickets) and the audience
filters. Contact fields are masked per role; review and ticket text is redacted.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from assistant.errors import InsightError, NotFoundError, UserError
from tools.access import mask_customer, require
from tools.context import ToolContext
from tools.rfm import CLV_METHOD, PROSPECT, SEGMENTS, customer_table
from tools.safety import redact_pii
from tools.segments import apply_filters, has_rows

SAMPLE_SIZE = 20
RECENT_ORDERS = 10
OPEN_TICKET_EXCLUDES = ("closed", "resolved", "solved")


# -- ids -------------------------------------------------------------------------
def closest(query: str, choices: list[str], limit: int = 5) -> list[str]:
    """The choices most like ``query`` (ids and names come in any shape)."""
    if not choices:
        return []
    found = process.extract(
        str(query or ""), choices, scorer=fuzz.WRatio, processor=str.casefold, limit=limit
    )
    return [c for c, score, _ in found if score >= 50]


def resolve_customer(cur, customer_id: str) -> str:
    """The stored id for ``customer_id`` (exact, else case-insensitive), or NotFoundError."""
    raw = str(customer_id or "").strip()
    if not raw:
        raise UserError("a customer id is required")
    row = cur.execute(
        "SELECT customer_id FROM customers WHERE customer_id = ? "
        "UNION ALL SELECT customer_id FROM customers WHERE lower(customer_id) = lower(?) LIMIT 1",
        [raw, raw],
    ).fetchone()
    if row:
        return row[0]
    ids = [r[0] for r in cur.execute("SELECT customer_id FROM customers").fetchall()]
    raise NotFoundError(f"no such customer {raw!r}", suggestions=closest(raw, ids))


def _iso(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date().isoformat()


def _label(value) -> str | None:
    return value if isinstance(value, str) else None


def _num(value, digits: int = 2):
    if value is None or pd.isna(value):
        return None
    return round(float(value), digits)


def shop_table(ctx: ToolContext):
    """tools.rfm.customer_table, computed once per version of the orders and customers."""
    cur = ctx.cursor()
    # Any insert, update or delete of an order (or a new customer) changes this fingerprint.
    version = cur.execute(
        "SELECT (SELECT count(*) FROM customers), count(*), "
        "sum(hash(order_id, customer_id, ordered_at, status, total)) FROM orders"
    ).fetchone()
    return ctx.cached(f"customers:table:{version}", lambda: customer_table(cur))


# -- profile -----------------------------------------------------------------------
def customer_profile(ctx: ToolContext, customer_id: str) -> dict:
    """Everything about one buyer: identity (masked per role), orders, spend, segment, CLV,
    churn risk, browsing interests, reviews with sentiment, open tickets, next best action."""
    cur = ctx.cursor()
    cid = resolve_customer(cur, customer_id)
    ident = cur.execute("SELECT * FROM customers WHERE customer_id = ?", [cid]).df()
    identity = {k: (_iso(v) if k == "signup_at" else v) for k, v in ident.iloc[0].items()}
    identity = {k: (None if pd.isna(v) else v) for k, v in identity.items()}
    table, as_of = shop_table(ctx)
    me = table[table["customer_id"] == cid].iloc[0]
    orders = _orders(cur, cid)
    favourites = _favourite_categories(cur, cid)
    browsing = _browsing(cur, cid)
    reviews = _reviews(cur, cid)
    tickets = _open_tickets(cur, cid)
    buyer = int(me["orders"]) > 0
    rfm = {
        "recency_days": int(me["recency_days"]) if buyer else None,
        "frequency": int(me["orders"]),
        "monetary": _num(me["spend"]),
        "r": int(me["r"]),
        "f": int(me["f"]),
        "m": int(me["m"]),
        "segment": me["segment"],
        "as_of": _iso(as_of),
    }
    churn = {
        "risk": _label(me["churn_risk"]),
        "days_since_last_order": rfm["recency_days"],
        "usual_gap_days": _num(me["gap_days"], 1) if buyer else None,
        "gap_from": me["gap_source"] if buyer else None,
        "ratio": _num(me["churn_ratio"]),
        "expected_next_order": _iso(me["last_order"] + pd.Timedelta(days=float(me["gap_days"])))
        if buyer
        else None,
    }
    profile = {
        "customer_id": cid,
        "identity": mask_customer(identity, ctx.role),
        "identity_masked": ctx.role == "marketer",
        "orders": {
            "completed": int(me["orders"]),
            "returned": int(me["returned_orders"]),
            "total": len(orders["all"]),
            "recent": orders["all"][:RECENT_ORDERS],
            "first_order": _iso(me["first_order"]),
            "last_order": _iso(me["last_order"]),
        },
        "spend": _num(me["spend"]),
        "average_order_value": _num(me["aov"]),
        "favourite_categories": favourites,
        "browsing": browsing,
        "rfm": rfm,
        "segment": me["segment"],
        "clv": {"estimate": _num(me["clv"]), "horizon_years": 2, "method": CLV_METHOD},
        "churn": churn,
        "reviews": reviews,
        "open_tickets": tickets,
    }
    profile["next_best_action"] = next_best_action(profile)
    profile["n"] = {
        "orders": len(orders["all"]),
        "reviews": len(reviews),
        "events": browsing["events"],
    }
    profile["evidence"] = {
        "customers": [cid],
        "orders": [o["order_id"] for o in orders["all"][:RECENT_ORDERS]],
        "reviews": [r["review_id"] for r in reviews],
        "products": sorted({c["product_id"] for c in browsing["abandoned_carts"]}),
    }
    return profile


def _orders(cur, cid: str) -> dict:
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
                "ordered_at": _iso(r[1]),
                "status": r[2],
                "total": _num(r[3]),
                "lines": int(r[4]),
                "units": int(r[5]),
                "products": [p for p in (r[6] or []) if p is not None],
            }
            for r in rows
        ]
    }


def _favourite_categories(cur, cid: str, limit: int = 5) -> list[dict]:
    rows = cur.execute(
        """SELECT p.category, sum(coalesce(i.quantity, 1)) AS units,
                  sum(coalesce(i.quantity, 1) * i.unit_price) AS spend
           FROM orders o JOIN order_items i ON i.order_id = o.order_id
           JOIN products p ON p.product_id = i.product_id
           WHERE o.customer_id = ? AND o.status = 'completed' AND p.category IS NOT NULL
           GROUP BY 1 ORDER BY units DESC, spend DESC, 1 LIMIT ?""",
        [cid, limit],
    ).fetchall()
    return [{"category": r[0], "units": int(r[1]), "spend": _num(r[2])} for r in rows]


def _browsing(cur, cid: str) -> dict:
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
                "last_seen": _iso(r[5]),
                "never_bought": bool(r[6]),
            }
            for r in cats
        ],
        "interests_not_bought": [r[0] for r in cats if r[6] and (r[1] + r[2] + r[3]) >= 2],
        "top_viewed_products": [
            {"product_id": r[0], "title": r[1], "category": r[2], "views": int(r[3])} for r in top
        ],
        "abandoned_carts": [
            {"product_id": r[0], "title": r[1], "category": r[2], "carted_at": _iso(r[3])}
            for r in carts
        ],
        "searches": [{"query": redact_pii(r[0]), "count": int(r[1])} for r in searches],
    }


def _reviews(cur, cid: str) -> list[dict]:
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
            "created_at": _iso(r[4]),
            "title": redact_pii(r[5]),
            "text": redact_pii(r[6]),
            "sentiment": r[7],
            "sentiment_score": _num(r[8], 3),
            "aspects": aspects.get(r[0], []),
        }
        for r in rows
    ]


def _open_tickets(cur, cid: str) -> list[dict]:
    rows = cur.execute(
        """SELECT ticket_id, order_id, opened_at, status, subject, text FROM tickets
           WHERE customer_id = ? AND lower(coalesce(status, 'open')) NOT IN (?, ?, ?)
           ORDER BY opened_at DESC, ticket_id""",
        [cid, *OPEN_TICKET_EXCLUDES],
    ).fetchall()
    return [
        {
            "ticket_id": r[0],
            "order_id": r[1],
            "opened_at": _iso(r[2]),
            "status": r[3],
            "subject": redact_pii(r[4]),
            "text": redact_pii(r[5]),
        }
        for r in rows
    ]


def next_best_action(p: dict) -> dict:
    """One suggested action, the most urgent first: service problems before selling."""
    if p["open_tickets"]:
        t = p["open_tickets"][0]
        return {
            "action": "resolve_ticket",
            "text": f"Resolve open ticket {t['ticket_id']} before any marketing contact.",
        }
    recent_bad = [r for r in p["reviews"][:3] if r["rating"] <= 2 or r["sentiment"] == "negative"]
    if recent_bad:
        r = recent_bad[0]
        return {
            "action": "service_recovery",
            "text": f"Reach out about their unhappy review {r['review_id']} "
            f"({r['product_title'] or r['product_id']}); offer help or a replacement.",
        }
    carts = p["browsing"]["abandoned_carts"]
    if carts:
        c = carts[0]
        return {
            "action": "cart_reminder",
            "text": f"Send a reminder for the abandoned cart item {c['title'] or c['product_id']}.",
        }
    fav = p["favourite_categories"][0]["category"] if p["favourite_categories"] else None
    seg, risk = p["segment"], p["churn"]["risk"]
    if risk == "high" and p["rfm"]["m"] >= 3:
        return {
            "action": "win_back",
            "text": f"Win-back offer{f' in {fav}' if fav else ''}: a valuable buyer gone quiet.",
        }
    interests = p["browsing"]["interests_not_bought"]
    if interests:
        return {
            "action": "browse_follow_up",
            "text": f"Recommend products from {interests[0]}, browsed repeatedly but never bought.",
        }
    if seg in ("Champions", "Loyal"):
        return {"action": "reward", "text": "Reward loyalty: early access or a VIP perk."}
    if seg in ("New", "Promising", "Potential loyalist"):
        return {
            "action": "second_purchase",
            "text": "Nurture a second purchase with recommendations.",
        }
    if seg == PROSPECT:
        return {"action": "first_purchase", "text": "Welcome offer towards a first purchase."}
    return {"action": "re_engage", "text": "Re-engage with personalised recommendations."}


# -- audiences -------------------------------------------------------------------------
def find_customers(
    ctx: ToolContext,
    segment: str | list[str] | None = None,
    category: str | None = None,
    min_spend: float | None = None,
    max_spend: float | None = None,
    inactive_days: int | None = None,
    active_within_days: int | None = None,
    churn_risk: str | list[str] | None = None,
    sentiment: str | None = None,
    aspect: str | None = None,
    viewed_category: str | None = None,
    country: str | None = None,
    product_id: str | None = None,
    sample: int = SAMPLE_SIZE,
    all_ids: bool = False,
) -> dict:
    """An audience: customers matching every given filter, as a count, a sample of ids
    and aggregate stats (never contact details)."""
    require(ctx.role, "marketer", "admin", what="list audiences of customers")
    cur = ctx.cursor()
    table, as_of = shop_table(ctx)
    hit, applied, notes = apply_filters(
        cur,
        table,
        segment=segment,
        category=category,
        min_spend=min_spend,
        max_spend=max_spend,
        inactive_days=inactive_days,
        active_within_days=active_within_days,
        churn_risk=churn_risk,
        sentiment=sentiment,
        aspect=aspect,
        viewed_category=viewed_category,
        country=country,
        product_id=product_id,
    )
    hit = hit.sort_values(["spend", "customer_id"], ascending=[False, True])
    ids = hit["customer_id"].tolist()
    buyers = hit[hit["orders"] > 0]
    sample = max(0, int(sample))
    rows = [
        {
            "customer_id": r.customer_id,
            "segment": r.segment,
            "spend": _num(r.spend),
            "orders": int(r.orders),
            "days_since_last_order": None if pd.isna(r.recency_days) else int(r.recency_days),
            "churn_risk": _label(r.churn_risk),
        }
        for r in hit.head(sample).itertuples(index=False)
    ]
    out = {
        "filters": applied,
        "count": len(ids),
        "of_customers": len(table),
        "sample_ids": ids[:sample],
        "customers": rows,
        "stats": {
            "total_spend": _num(hit["spend"].sum()),
            "average_spend": _num(hit["spend"].mean()) if len(hit) else None,
            "average_orders": _num(hit["orders"].mean()) if len(hit) else None,
            "average_recency_days": _num(buyers["recency_days"].mean(), 1) if len(buyers) else None,
            "average_clv": _num(hit["clv"].mean()) if len(hit) else None,
            "segments": {k: int(v) for k, v in hit["segment"].value_counts().items()},
            "churn_risk": {k: int(v) for k, v in hit["churn_risk"].value_counts().items()},
        },
        "as_of": _iso(as_of),
        "n": len(ids),
        "evidence": {"customers": ids[:sample]},
    }
    if notes:
        out["notes"] = notes
    if all_ids:
        out["ids"] = ids
    return out


def segment_overview(ctx: ToolContext) -> dict:
    """Every RFM segment with its size, revenue share and average recency."""
    require(ctx.role, "marketer", "admin", what="see the segment overview")
    table, as_of = shop_table(ctx)
    revenue = float(table["spend"].sum())
    rows = []
    for seg in SEGMENTS:
        part = table[table["segment"] == seg]
        if part.empty:
            continue
        buyers = part[part["orders"] > 0]
        rows.append(
            {
                "segment": seg,
                "customers": len(part),
                "share_of_customers": round(len(part) / len(table), 4),
                "revenue": _num(part["spend"].sum()),
                "revenue_share": round(float(part["spend"].sum()) / revenue, 4) if revenue else 0.0,
                "average_recency_days": _num(buyers["recency_days"].mean(), 1)
                if len(buyers)
                else None,
                "average_orders": _num(part["orders"].mean()),
                "average_clv": _num(part["clv"].mean()),
                "high_churn_risk": int((part["churn_risk"] == "high").sum()),
            }
        )
    return {
        "segments": rows,
        "customers": len(table),
        "revenue": _num(revenue),
        "as_of": _iso(as_of),
        "method": "RFM: recency, frequency and spend of completed orders, each scored 1-5 by "
        "rank; segments from the R x F grid",
        "n": len(table),
        "evidence": {},
    }


# -- LangChain tools ---------------------------------------------------------------------
Churn = Literal["low", "medium", "high"]


class _ProfileArgs(BaseModel):
    customer_id: str = Field(description="The customer's id as stored in the shop data.")


class _AudienceArgs(BaseModel):
    segment: str | list[str] | None = Field(
        None, description=f"RFM segments, any of: {', '.join(SEGMENTS)}."
    )
    category: str | None = Field(None, description="Bought at least once in this category.")
    min_spend: float | None = Field(None, ge=0, description="Lifetime spend at least this.")
    max_spend: float | None = Field(None, ge=0, description="Lifetime spend at most this.")
    inactive_days: int | None = Field(
        None, ge=0, description="No order for at least this many days."
    )
    active_within_days: int | None = Field(None, ge=0, description="Ordered within this many days.")
    churn_risk: Churn | list[Churn] | None = Field(None, description="Churn risk level(s).")
    sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        None, description="Wrote at least one review with this sentiment."
    )
    aspect: str | None = Field(
        None,
        description="Complained about this aspect in a review (e.g. battery, delivery, size_fit).",
    )
    viewed_category: str | None = Field(
        None, description="Browsed this category but never bought in it."
    )
    country: str | None = Field(None, description="Customer country.")
    product_id: str | None = Field(None, description="Bought this product at least once.")
    k: int = Field(SAMPLE_SIZE, ge=0, le=200, description="How many sample customers to list.")


def _audience_tool(ctx):
    def run(k: int = SAMPLE_SIZE, **kwargs):
        try:
            return find_customers(ctx, sample=k, **kwargs)
        except InsightError as err:
            return err.to_dict()

    return run


def _safe(fn, ctx):
    def run(**kwargs):
        try:
            return fn(ctx, **kwargs)
        except InsightError as err:
            return err.to_dict()

    return run


def build_tools(ctx: ToolContext) -> list:
    from langchain_core.tools import StructuredTool

    return [
        StructuredTool.from_function(
            func=_safe(customer_profile, ctx),
            name="customer_profile",
            description="Buyer context for one customer: orders, spend, average order value, "
            "favourite categories, browsing interests and abandoned carts, RFM segment, CLV, "
            "churn risk, reviews with sentiment, open tickets and a next best action.",
            args_schema=_ProfileArgs,
        ),
        StructuredTool.from_function(
            func=_audience_tool(ctx),
            name="find_customers",
            description="Build an audience of customers by segment, category bought, spend, "
            "inactivity, churn risk, review sentiment or aspect complained about, or browsed "
            "category. Returns the count, sample ids and aggregate stats.",
            args_schema=_AudienceArgs,
        ),
        StructuredTool.from_function(
            func=_safe(segment_overview, ctx),
            name="segment_overview",
            description="All RFM customer segments with size, revenue share and average recency.",
        ),
    ]
