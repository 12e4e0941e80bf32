"""Buyer intelligence: one customer's profile, audiences for marketers, the segment overview.

Figures come from tools.rfm (RFM, churn, CLV over the whole shop), one buyer's detail
from tools.customer_history, audience filters from tools.segments. Contact fields
are masked per role; review and ticket text is redacted.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import resolve
from tools.access import mask_customer, require
from tools.context import ToolContext
from tools.customer_history import (
    browsing_history,
    favourite_categories,
    iso_day,
    open_tickets,
    order_history,
    reviews_with_sentiment,
    rounded,
    text_or_none,
)
from tools.lazy_module import lazy_module
from tools.rfm import CLV_METHOD, COUNTS, PROSPECT, SEGMENTS, customer_table
from tools.segments import apply_filters
from tools.spec import ToolSpec, strict

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

SAMPLE_SIZE = 20
RECENT_ORDERS = 10


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
    cid = resolve.customer_id(ctx, customer_id)
    ident = cur.execute("SELECT * FROM customers WHERE customer_id = ?", [cid]).df()
    identity = {k: (iso_day(v) if k == "signup_at" else v) for k, v in ident.iloc[0].items()}
    identity = {k: (None if pd.isna(v) else v) for k, v in identity.items()}
    table, as_of = shop_table(ctx)
    me = table[table["customer_id"] == cid].iloc[0]
    orders = order_history(cur, cid)
    favourites = favourite_categories(cur, cid)
    browsing = browsing_history(cur, cid)
    reviews = reviews_with_sentiment(cur, cid)
    tickets = open_tickets(cur, cid)
    buyer = int(me["orders"]) > 0
    rfm = {
        "recency_days": int(me["recency_days"]) if buyer else None,
        "frequency": int(me["orders"]),
        "monetary": rounded(me["spend"]),
        "r": int(me["r"]),
        "f": int(me["f"]),
        "m": int(me["m"]),
        "segment": me["segment"],
        "as_of": iso_day(as_of),
        "counts": {k: COUNTS[k] for k in ("recency", "frequency", "monetary")},
    }
    churn = {
        "risk": text_or_none(me["churn_risk"]),
        "days_since_last_order": rfm["recency_days"],
        "usual_gap_days": rounded(me["gap_days"], 1) if buyer else None,
        "gap_from": me["gap_source"] if buyer else None,
        "ratio": rounded(me["churn_ratio"]),
        "expected_next_order": iso_day(
            me["last_contact"] + pd.Timedelta(days=float(me["gap_days"]))
        )
        if buyer
        else None,
        "counts": f"days since the last {COUNTS['recency']}; usual gap: {COUNTS['churn_gap']}",
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
            "first_order": iso_day(me["first_order"]),
            # The last order that reached the customer, kept or sent back: both are contact.
            "last_order": iso_day(me["last_contact"]),
            "last_order_status": _last_status(orders["all"]),
            "last_completed": iso_day(me["last_order"]),
            "last_returned": iso_day(me["last_returned"]),
            "counts": COUNTS,
        },
        "spend": rounded(me["spend"]),
        "average_order_value": rounded(me["aov"]),
        "favourite_categories": favourites,
        "browsing": browsing,
        "rfm": rfm,
        "segment": me["segment"],
        "clv": {"estimate": rounded(me["clv"]), "horizon_years": 2, "method": CLV_METHOD},
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


# -- contact details ---------------------------------------------------------------
CONTACT_ROLES = frozenset({"support", "admin"})


def contact_details(ctx: ToolContext, customer_id: str) -> dict:
    """Name, email, phone and city of one customer, for the roles that may contact them."""
    require(ctx.role, *sorted(CONTACT_ROLES), what="see customers' contact details")
    cid = resolve.customer_id(ctx, customer_id)
    row = (
        ctx.cursor()
        .execute(
            "SELECT name, email, phone, city, country FROM customers WHERE customer_id = ?", [cid]
        )
        .fetchone()
    )
    name, email, phone, city, country = (text_or_none(v) for v in row)
    missing = [k for k, v in (("email", email), ("phone", phone)) if not v]
    return {
        "customer_id": cid,
        "name": name,
        "email": email,
        "phone": phone,
        "city": city,
        "country": country,
        "missing": missing,
        "evidence": {"customers": [cid]},
    }


def _last_status(orders: list[dict]) -> str | None:
    """Status of the newest order that was not cancelled (orders come newest first)."""
    for o in orders:
        if o["status"] in ("completed", "returned"):
            return o["status"]
    return None


def next_best_action(p: dict) -> dict:
    """One suggested action, the most urgent first: service problems before selling.
    ``about`` holds what ``text`` names (a ticket, a review and its product, a product,
    a category), so an answer in another language can word the same action."""
    if p["open_tickets"]:
        t = p["open_tickets"][0]
        return {
            "action": "resolve_ticket",
            "text": f"Resolve open ticket {t['ticket_id']} before any marketing contact.",
            "about": {"ticket_id": t["ticket_id"]},
        }
    recent_bad = [r for r in p["reviews"][:3] if r["rating"] <= 2 or r["sentiment"] == "negative"]
    if recent_bad:
        r = recent_bad[0]
        product = r["product_title"] or r["product_id"]
        return {
            "action": "service_recovery",
            "text": f"Reach out about their unhappy review {r['review_id']} "
            f"({product}); offer help or a replacement.",
            "about": {"review_id": r["review_id"], "product": product},
        }
    carts = p["browsing"]["abandoned_carts"]
    if carts:
        item = carts[0]["title"] or carts[0]["product_id"]
        return {
            "action": "cart_reminder",
            "text": f"Send a reminder for the abandoned cart item {item}.",
            "about": {"product": item},
        }
    fav = p["favourite_categories"][0]["category"] if p["favourite_categories"] else None
    seg, risk = p["segment"], p["churn"]["risk"]
    if risk == "high" and p["rfm"]["m"] >= 3:
        return {
            "action": "win_back",
            "text": f"Win-back offer{f' in {fav}' if fav else ''}: a valuable buyer gone quiet.",
            "about": {"category": fav} if fav else {},
        }
    interests = p["browsing"]["interests_not_bought"]
    if interests:
        return {
            "action": "browse_follow_up",
            "text": f"Recommend products from {interests[0]}, browsed repeatedly but never bought.",
            "about": {"category": interests[0]},
        }
    if seg in ("Champions", "Loyal"):
        return {
            "action": "reward",
            "text": "Reward loyalty: early access or a VIP perk.",
            "about": {},
        }
    if seg in ("New", "Promising", "Potential loyalist"):
        return {
            "action": "second_purchase",
            "text": "Nurture a second purchase with recommendations.",
            "about": {},
        }
    if seg == PROSPECT:
        return {
            "action": "first_purchase",
            "text": "Welcome offer towards a first purchase.",
            "about": {},
        }
    return {
        "action": "re_engage",
        "text": "Re-engage with personalised recommendations.",
        "about": {},
    }


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
    require(ctx.role, *AUDIENCE_ROLES, what="list audiences of customers")
    table, as_of = shop_table(ctx)
    # "Customers who complained about X": the review (or ticket) is about X. Without
    # this scope a product filter meant "bought X" and the sentiment filter "a bad
    # review of anything", which is not the audience asked for.
    about = bool((sentiment or aspect) and (product_id or category))
    hit, applied, notes = apply_filters(
        ctx,
        table,
        segment=segment,
        category=None if about else category,
        min_spend=min_spend,
        max_spend=max_spend,
        inactive_days=inactive_days,
        active_within_days=active_within_days,
        churn_risk=churn_risk,
        sentiment=None if about else sentiment,
        aspect=None if about else aspect,
        viewed_category=viewed_category,
        country=country,
        product_id=None if about else product_id,
    )
    scoped: dict = {}
    if about:
        scoped = complainers(ctx, sentiment, aspect, product_id, category)
        hit = hit[hit["customer_id"].isin(scoped["ids"])]
        applied.update(scoped["applied"])
        notes.append(scoped["note"])
    hit = hit.sort_values(["spend", "customer_id"], ascending=[False, True])
    ids = hit["customer_id"].tolist()
    buyers = hit[hit["orders"] > 0]
    sample = max(0, int(sample))
    rows = [
        {
            "customer_id": r.customer_id,
            "segment": r.segment,
            "spend": rounded(r.spend),
            "orders": int(r.orders),
            "days_since_last_order": None if pd.isna(r.recency_days) else int(r.recency_days),
            "churn_risk": text_or_none(r.churn_risk),
        }
        for r in hit.head(sample).itertuples(index=False)
    ]
    plain = {k: v for k, v in applied.items() if not (about and k in scoped["applied"])}
    out = {
        "filters": applied,
        "built": built_from(plain, len(ids), len(table), [scoped["note"]] if about else []),
        # What ``built`` says, in parts, for answers in other languages.
        "built_parts": {"filters": plain, "about": scoped["about"] if about else None},
        "count": len(ids),
        "of_customers": len(table),
        "sample_ids": ids[:sample],
        "customers": rows,
        "stats": {
            "total_spend": rounded(hit["spend"].sum()),
            "average_spend": rounded(hit["spend"].mean()) if len(hit) else None,
            "average_orders": rounded(hit["orders"].mean()) if len(hit) else None,
            "average_recency_days": rounded(buyers["recency_days"].mean(), 1)
            if len(buyers)
            else None,
            "average_clv": rounded(hit["clv"].mean()) if len(hit) else None,
            "segments": {k: int(v) for k, v in hit["segment"].value_counts().items()},
            "churn_risk": {k: int(v) for k, v in hit["churn_risk"].value_counts().items()},
        },
        "as_of": iso_day(as_of),
        "n": len(ids),
        "evidence": {"customers": ids[:sample]},
    }
    if notes:
        out["notes"] = notes
    if all_ids:
        out["ids"] = ids
    return out


def complainers(
    ctx: ToolContext,
    sentiment: str | None,
    aspect: str | None,
    product_id: str | None,
    category: str | None,
) -> dict:
    """Customers who wrote a review with this sentiment (or a complaint about this
    aspect) about this product or category, and customers with a support ticket on an
    order of it when the sentiment asked for is negative. {ids, applied, note}."""
    cur = ctx.cursor()
    applied: dict[str, Any] = {}
    if product_id:
        subject = resolve.product(ctx, product_id)
        applied["product_id"] = subject["product_id"]
        where, params = "p.product_id = ?", [subject["product_id"]]
        name = f"{subject['title']} ({subject['product_id']})"
        about: dict[str, Any] = {"product": name}
    else:
        cat = resolve.category(ctx, category)
        applied["category"] = cat
        where, params = "p.category = ?", [cat]
        name = f"the {cat} category"
        about = {"category": cat}
    label = str(sentiment or "negative").strip().lower()
    if label not in SENTIMENT_LABELS:
        raise UserError(f"unknown sentiment {label!r}", hint="use positive, neutral or negative")
    if aspect:
        known = [r[0] for r in cur.execute("SELECT DISTINCT aspect FROM review_aspects").fetchall()]
        wanted = resolve.aspect(ctx, aspect, stored=sorted(known))
        applied["aspect"] = wanted
        sql = f"""SELECT DISTINCT r.customer_id FROM review_aspects a
                  JOIN reviews r ON r.review_id = a.review_id
                  JOIN products p ON p.product_id = r.product_id
                  WHERE a.aspect = ? AND a.polarity = 'negative'
                    AND r.customer_id IS NOT NULL AND {where}"""  # noqa: S608 -- where is one of two constants above
        ids = {r[0] for r in cur.execute(sql, [wanted, *params]).fetchall()}
        note = f"complained about {wanted} in a review of {name}"
        about.update(aspect=wanted, by_review=len(ids))
        return {"ids": ids, "applied": applied, "note": note, "about": about}
    applied["sentiment"] = label
    labelled = cur.execute("SELECT count(*) FROM review_sentiment").fetchone()[0]
    if labelled:
        test, how = "s.label = ?", f"a review of {name} labelled {label}"
        join = "JOIN review_sentiment s ON s.review_id = r.review_id"
        args = [label]
    else:
        test = {
            "positive": "r.rating >= 4",
            "neutral": "r.rating = 3",
            "negative": "r.rating <= 2",
        }[label]
        how, join, args = f"a {label} ({test.replace('r.', '')}) review of {name}", "", []
    sql = f"""SELECT DISTINCT r.customer_id FROM reviews r {join}
              JOIN products p ON p.product_id = r.product_id
              WHERE r.customer_id IS NOT NULL AND {test} AND {where}"""  # noqa: S608 -- constants only
    ids = {r[0] for r in cur.execute(sql, [*args, *params]).fetchall()}
    note = f"wrote {how}"
    about.update(sentiment=label, by_review=len(ids), by_stars=not labelled)
    if label == "negative":
        # A ticket on an order of the product that names it (its title up to the
        # first comma, as customers and the help desk write it) is a complaint about it.
        tickets = f"""SELECT DISTINCT t.customer_id FROM tickets t
                      JOIN order_items i ON i.order_id = t.order_id
                      JOIN products p ON p.product_id = i.product_id
                      WHERE {where} AND strpos(lower(t.text),
                            lower(trim(split_part(p.title, ',', 1)))) > 0"""  # noqa: S608 -- constants only
        by_ticket = {r[0] for r in cur.execute(tickets, params).fetchall()} - ids
        if by_ticket:
            ids |= by_ticket
            note += (
                f" ({len(ids) - len(by_ticket)}), or a support ticket naming it on an order "
                f"of it ({len(by_ticket)} more)"
            )
            about["by_ticket"] = len(by_ticket)
    return {"ids": ids, "applied": applied, "note": note, "about": about}


SENTIMENT_LABELS = ("positive", "neutral", "negative")
_FILTER_WORDS = {
    "segment": "in segment {}",
    "min_spend": "spent at least {}",
    "max_spend": "spent at most {}",
    "inactive_days": "no order for {} days or more",
    "active_within_days": "ordered within {} days",
    "churn_risk": "churn risk {}",
    "country": "from {}",
    "category": "bought in {}",
    "product_id": "bought {}",
    "viewed_category": "browsed {} without buying there",
    "sentiment": "wrote a {} review",
    "aspect": "complained about {} in a review",
}


def built_from(applied: dict, count: int, of: int, extra: list[str] = ()) -> str:
    """How an audience was built, in words, with its size: the answer says it."""
    parts = list(extra)
    for key, value in applied.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(_FILTER_WORDS.get(key, key.replace("_", " ") + " {}").format(shown))
    rule = "; ".join(parts) if parts else "every customer"
    return f"{rule} -> {count} of {of} customers"


def segment_overview(ctx: ToolContext) -> dict:
    """Every RFM segment with its size, revenue share and average recency."""
    require(ctx.role, *AUDIENCE_ROLES, what="see the segment overview")
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
                "revenue": rounded(part["spend"].sum()),
                "revenue_share": round(float(part["spend"].sum()) / revenue, 4) if revenue else 0.0,
                "average_recency_days": rounded(buyers["recency_days"].mean(), 1)
                if len(buyers)
                else None,
                "average_orders": rounded(part["orders"].mean()),
                "average_clv": rounded(part["clv"].mean()),
                "high_churn_risk": int((part["churn_risk"] == "high").sum()),
            }
        )
    return {
        "segments": rows,
        "customers": len(table),
        "revenue": rounded(revenue),
        "as_of": iso_day(as_of),
        "method": "RFM: recency, frequency and spend of completed orders, each scored 1-5 by "
        "rank; segments from the R x F grid",
        "n": len(table),
        "evidence": {},
    }


# -- declarations ---------------------------------------------------------------------
Churn = Literal["low", "medium", "high"]


class _NoArgs(BaseModel):
    pass


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


class AudienceOptions(_AudienceArgs):
    all_ids: bool = Field(False, description="Also return every matching id (for an export).")


def _find_customers_call(ctx: ToolContext, k: int = SAMPLE_SIZE, **filters) -> dict:
    return find_customers(ctx, sample=k, **filters)


class OrderLine(TypedDict):
    order_id: str
    ordered_at: str | None
    status: str
    total: float | None
    lines: int
    units: int
    products: list[str]


class OrdersSummary(TypedDict):
    completed: int
    returned: int
    total: int
    recent: list[OrderLine]
    first_order: str | None
    last_order: str | None
    last_order_status: str | None
    last_completed: str | None
    last_returned: str | None
    counts: dict[str, str]


class Favourite(TypedDict):
    category: str
    units: int
    spend: float | None


class Browsing(TypedDict):
    events: int
    categories: list[dict[str, Any]]
    interests_not_bought: list[str]
    top_viewed_products: list[dict[str, Any]]
    abandoned_carts: list[dict[str, Any]]
    searches: list[dict[str, Any]]


class ChurnSummary(TypedDict):
    risk: str | None
    days_since_last_order: int | None
    usual_gap_days: float | None
    gap_from: str | None
    ratio: float | None
    expected_next_order: str | None
    counts: str


@strict
class ContactResult(TypedDict):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    city: str | None
    country: str | None
    missing: list[str]
    evidence: dict[str, list[str]]


class ProfileReview(TypedDict):
    review_id: str
    product_id: str
    product_title: str | None
    rating: int | None
    created_at: str | None
    title: str | None
    text: str
    sentiment: str | None
    sentiment_score: float | None
    aspects: list[dict[str, Any]]


class Ticket(TypedDict):
    ticket_id: str
    order_id: str | None
    opened_at: str | None
    status: str
    subject: str | None
    text: str | None
    age_days: int | None
    order_status: str | None
    ordered_at: str | None


class Action(TypedDict):
    action: str
    text: str
    about: NotRequired[dict[str, str]]


@strict
class CustomerProfileResult(TypedDict):
    customer_id: str
    identity: dict[str, Any]
    identity_masked: bool
    orders: OrdersSummary
    spend: float | None
    average_order_value: float | None
    favourite_categories: list[Favourite]
    browsing: Browsing
    rfm: dict[str, Any]
    segment: str
    clv: dict[str, Any]
    churn: ChurnSummary
    reviews: list[ProfileReview]
    open_tickets: list[Ticket]
    next_best_action: Action
    n: dict[str, int]
    evidence: dict[str, list[str]]


class AudienceMember(TypedDict):
    customer_id: str
    segment: str
    spend: float | None
    orders: int
    days_since_last_order: int | None
    churn_risk: str | None


class AudienceStats(TypedDict):
    total_spend: float | None
    average_spend: float | None
    average_orders: float | None
    average_recency_days: float | None
    average_clv: float | None
    segments: dict[str, int]
    churn_risk: dict[str, int]


@strict
class FindCustomersResult(TypedDict):
    filters: dict[str, Any]
    built: str
    built_parts: NotRequired[dict[str, Any]]
    count: int
    of_customers: int
    sample_ids: list[str]
    customers: list[AudienceMember]
    stats: AudienceStats
    as_of: str | None
    n: int
    evidence: dict[str, list[str]]
    notes: NotRequired[list[str]]
    ids: NotRequired[list[str]]


class SegmentRow(TypedDict):
    segment: str
    customers: int
    share_of_customers: float
    revenue: float | None
    revenue_share: float
    average_recency_days: float | None
    average_orders: float | None
    average_clv: float | None
    high_churn_risk: int


@strict
class SegmentOverviewResult(TypedDict):
    segments: list[SegmentRow]
    customers: int
    revenue: float | None
    as_of: str | None
    method: str
    n: int
    evidence: dict[str, list[str]]


AUDIENCE_ROLES = frozenset({"marketer", "admin"})

SPECS = (
    ToolSpec(
        name="customer_profile",
        engine=customer_profile,
        args=_ProfileArgs,
        result=CustomerProfileResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="customer",
        label="Customer profile",
        purpose="profile a customer",
        description="Buyer context for one customer: orders, spend, average order value, "
        "favourite categories, browsing interests and abandoned carts, RFM segment, CLV, "
        "churn risk, reviews with sentiment, open tickets and a next best action.",
    ),
    ToolSpec(
        name="contact_details",
        engine=contact_details,
        args=_ProfileArgs,
        result=ContactResult,
        roles=CONTACT_ROLES,
        subject="customer",
        label="Contact details",
        purpose="give a customer's contact details",
        description="Name, email, phone, city and country of one customer, to contact them "
        "about an order or ticket. Support and admin only.",
    ),
    # Support works one buyer at a time: audiences that list many customers are not theirs.
    ToolSpec(
        name="find_customers",
        engine=find_customers,
        args=_AudienceArgs,
        options=AudienceOptions,
        call=_find_customers_call,
        result=FindCustomersResult,
        roles=AUDIENCE_ROLES,
        subject="none",
        label="Audience",
        purpose="find audiences of customers",
        description="Build an audience of customers by segment, category bought, spend, "
        "inactivity, churn risk, review sentiment or aspect complained about, or browsed "
        "category. Returns the count, sample ids and aggregate stats.",
    ),
    ToolSpec(
        name="segment_overview",
        engine=segment_overview,
        args=_NoArgs,
        result=SegmentOverviewResult,
        roles=AUDIENCE_ROLES,
        subject="none",
        label="Segments",
        purpose="give an overview of customer segments",
        description="All RFM customer segments with size, share of customers, revenue share, "
        "average recency and average CLV.",
    ),
)
