"""Campaign briefs: the marketer's next step after an audience.

One call gathers what a campaign email needs, all from the shop's own records: the
audience (size, segment mix, what they bought and when), what buyers praise in the
category (aspect shares with quotes and their review ids), products to feature
(recommendations for the audience as a whole, never a held-back product) and the
offer. The copy itself is written from this result by the assistant: the offline
planner fills a template in prompts/campaign.yaml, a remote model writes it from the
same facts and its numbers and quotes are checked against them.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal, NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import resolve
from tools.context import ToolContext
from tools.customers import AUDIENCE_ROLES, find_customers
from tools.insights import product_insights
from tools.recommend import recommend_batch
from tools.recsys.health import held_back_why, reason_text
from tools.spec import ToolSpec, strict

MAX_FEATURED = 10
# Each audience member's top this-many recommendations vote for the featured products;
# deeper lists let a category filter still find enough candidates.
VOTE_DEPTH = 30
TOP_BOUGHT = 5
SAMPLE = 20


def campaign_brief(
    ctx: ToolContext,
    segment: str | list[str] | None = None,
    category: str | None = None,
    product_id: str | None = None,
    churn_risk: str | list[str] | None = None,
    offer_percent: float | None = None,
    k: int = 3,
) -> dict:
    """Audience, praise with quotes, products to feature and the offer for one email."""
    if not isinstance(k, int) or not 1 <= k <= MAX_FEATURED:
        raise UserError(f"k must be between 1 and {MAX_FEATURED}, got {k!r}")
    if offer_percent is not None and not 0 < float(offer_percent) < 100:
        raise UserError(f"offer_percent must be between 0 and 100, got {offer_percent!r}")
    cat = resolve.category(ctx, category) if category else None
    pid = resolve.product(ctx, product_id)["product_id"] if product_id else None
    audience = find_customers(
        ctx,
        segment=segment,
        category=cat,
        product_id=pid,
        churn_risk=churn_risk,
        sample=SAMPLE,
        all_ids=True,
    )
    ids = audience.pop("ids")
    bought = _bought(ctx, ids, cat, pid)
    # Praise of the product asked about, else of the category, else of the category the
    # audience buys most: what buyers like is what the email can promise.
    focus = cat or (bought["categories"][0]["category"] if bought["categories"] else None)
    praise, praise_scope = [], None
    if pid or focus:
        insights = product_insights(ctx, product_id=pid, category=None if pid else focus)
        praise_scope = {"product_id": pid} if pid else {"category": focus}
        praise = [
            {
                "aspect": a["aspect"],
                "count": a["count"],
                "n": a["n"],
                "share": a["share"],
                "quotes": a.get("quotes", [])[:2],
            }
            for a in insights["top_praised"]
        ]
    featured, skipped = _featured(ctx, ids, focus, k)
    quotes = [q["review_id"] for a in praise for q in a["quotes"]]
    return {
        "audience": {
            "filters": audience["filters"],
            "built": audience["built"],
            "built_parts": audience.get("built_parts"),
            "count": audience["count"],
            "of_customers": audience["of_customers"],
            "segments": audience["stats"]["segments"],
            "churn_risk": audience["stats"]["churn_risk"],
            "average_spend": audience["stats"]["average_spend"],
            "sample_ids": audience["sample_ids"],
            "as_of": audience["as_of"],
        },
        "bought": bought,
        "praise_scope": praise_scope,
        "praise": praise,
        "featured": featured,
        "held_back": skipped,
        "offer_percent": float(offer_percent) if offer_percent is not None else None,
        "n": audience["count"],
        "evidence": {
            "customers": audience["sample_ids"],
            "reviews": quotes,
            "products": [f["product_id"] for f in featured],
        },
    }


def _bought(ctx: ToolContext, ids: list[str], category: str | None, pid: str | None) -> dict:
    """What the audience bought (completed orders) and when: the top products, in the
    category asked about when there is one, and the span of their last purchases."""
    if not ids:
        return {"products": [], "categories": [], "last_order_from": None, "last_order_to": None}
    cur = ctx.cursor()
    rows = cur.execute(
        """SELECT o.customer_id, i.product_id, p.title, p.category, o.ordered_at
           FROM orders o JOIN order_items i ON i.order_id = o.order_id
           JOIN products p ON p.product_id = i.product_id
           WHERE o.status = 'completed' AND o.customer_id IN (SELECT unnest(?))""",
        [ids],
    ).fetchall()
    in_scope = [r for r in rows if (not pid or r[1] == pid) and (not category or r[3] == category)]
    buyers: dict[str, set[str]] = {}
    last: dict[str, object] = {}
    titles = {}
    for cid, product, title, _cat, at in in_scope:
        buyers.setdefault(product, set()).add(cid)
        titles[product] = title
        if last.get(product) is None or at > last[product]:
            last[product] = at
    top = sorted(buyers, key=lambda p: (-len(buyers[p]), p))[:TOP_BOUGHT]
    categories = Counter()
    for cat_name, who in _by_category(rows).items():
        categories[cat_name] = len(who)
    latest: dict[str, object] = {}
    for cid, *_rest, at in in_scope:
        if latest.get(cid) is None or at > latest[cid]:
            latest[cid] = at
    days = sorted(latest.values())
    return {
        "products": [
            {
                "product_id": p,
                "title": titles[p],
                "buyers": len(buyers[p]),
                "last_bought": last[p].date().isoformat(),
            }
            for p in top
        ],
        "categories": [
            {"category": c, "buyers": n}
            for c, n in sorted(categories.items(), key=lambda x: (-x[1], x[0]))[:TOP_BOUGHT]
        ],
        "last_order_from": days[0].date().isoformat() if days else None,
        "last_order_to": days[-1].date().isoformat() if days else None,
    }


def _by_category(rows: list[tuple]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for cid, _p, _t, cat, _at in rows:
        out.setdefault(cat, set()).add(cid)
    return out


def _featured(
    ctx: ToolContext, ids: list[str], category: str | None, k: int
) -> tuple[list[dict], list[dict]]:
    """Products recommended to the audience as a whole: each member's top list votes
    (a higher rank weighs more), held-back products never take part."""
    if not ids:
        return [], []
    info = {
        r[0]: r[1:]
        for r in ctx.cursor()
        .execute("SELECT product_id, title, category, price FROM products")
        .fetchall()
    }
    votes: Counter = Counter()
    reach: Counter = Counter()
    for rec in recommend_batch(ctx, ids, k=VOTE_DEPTH):
        ranked = [p for p in rec.get("product_ids", []) if not category or info[p][1] == category]
        for rank, p in enumerate(ranked[:VOTE_DEPTH], start=1):
            votes[p] += 1.0 / rank
            reach[p] += 1
    top = sorted(votes, key=lambda p: (-votes[p], p))[:k]
    featured = [
        {
            "product_id": p,
            "title": info[p][0],
            "category": info[p][1],
            "price": info[p][2],
            "recommended_to": reach[p],
        }
        for p in top
    ]
    unhealthy = held_back_why(ctx)
    skipped = [
        {
            "product_id": p,
            "title": row[0],
            "reason": reason_text(unhealthy[p]),
            "reason_parts": unhealthy[p],  # the same, for answers in other languages
        }
        for p, row in sorted(info.items())
        if p in unhealthy and (not category or row[1] == category)
    ]
    return featured, skipped


# -- declaration ---------------------------------------------------------------------
Churn = Literal["low", "medium", "high"]


class CampaignArgs(BaseModel):
    segment: str | list[str] | None = Field(None, description="RFM segment(s) of the audience.")
    category: str | None = Field(
        None, description="The category of the campaign: its buyers, praise and products."
    )
    product_id: str | None = Field(None, description="A product the audience bought.")
    churn_risk: Churn | list[Churn] | None = Field(None, description="Churn risk level(s).")
    offer_percent: float | None = Field(None, gt=0, lt=100, description="Discount offered, %.")
    k: int = Field(3, ge=1, le=MAX_FEATURED, description="How many products to feature.")


class Bought(TypedDict):
    products: list[dict]
    categories: list[dict]
    last_order_from: str | None
    last_order_to: str | None


class BriefAudience(TypedDict):
    filters: dict
    built: str
    built_parts: NotRequired[dict | None]
    count: int
    of_customers: int
    segments: dict[str, int]
    churn_risk: dict[str, int]
    average_spend: float | None
    sample_ids: list[str]
    as_of: str | None


@strict
class CampaignBriefResult(TypedDict):
    audience: BriefAudience
    bought: Bought
    praise_scope: dict | None
    praise: list[dict]
    featured: list[dict]
    held_back: list[dict]
    offer_percent: float | None
    n: int
    evidence: dict[str, list[str]]


SPECS = (
    ToolSpec(
        name="campaign_brief",
        engine=campaign_brief,
        args=CampaignArgs,
        result=CampaignBriefResult,
        roles=AUDIENCE_ROLES,
        subject="none",
        label="Campaign brief",
        purpose="draft a campaign email for an audience",
        description="A campaign brief for an email to an audience (segment, category, "
        "product bought, churn risk): its size, segment mix, what they bought and when, "
        "what buyers praise in the category with review quotes, products to feature "
        "(recommended to the audience, held-back products excluded) and the offer. Write "
        "the email's subject and body from this result only: its figures, its quotes "
        "(cite their review ids) and its products.",
    ),
)
