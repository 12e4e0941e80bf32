"""What support could offer one customer: 1-3 concrete options, each with its reason and
the records behind it.

The options come from the customer's open tickets (with a complaint spike on the
product concerned: replacement or refund), recent returns, value and churn risk (a
discount tier) and recommendations (which never build on a returned or poorly rated
product). Which options exist, their order, thresholds, tiers and wording are data in
tools/offers.yaml, checked when loaded; this module only computes the facts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools.customers import customer_profile
from tools.recommend import recommend_for_customer
from tools.spec import ToolSpec, strict

RULES_FILE = Path(__file__).with_name("offers.yaml")
KINDS = ("replacement", "resolve_ticket", "return_follow_up", "discount", "products")
SUPPORT_ROLES = frozenset({"support", "admin"})


# -- the rules file ------------------------------------------------------------------
class _Spike(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: int = Field(ge=1)
    min_reviews: int = Field(ge=1)
    min_share: float = Field(ge=0, le=1)


class _Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_m: int = Field(ge=0, le=5)
    risk: list[str]
    percent: float = Field(ge=0, le=100)
    label: str


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    text: str


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_options: int = Field(ge=1, le=3)
    complaint_spike: _Spike
    recent_return_days: int = Field(ge=0)
    discount_tiers: list[_Tier]
    options: list[_Option]


def parse_rules(text: str, where: str = "offers.yaml") -> Rules:
    """The rules, or a UserError naming the file and the field that is wrong."""
    try:
        rules = Rules.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise UserError(f"{where}: invalid offer rules: {exc}") from None
    for i, opt in enumerate(rules.options):
        if opt.kind not in KINDS:
            raise UserError(
                f"{where}: options[{i}].kind {opt.kind!r} is not known",
                hint="kinds: " + ", ".join(KINDS),
            )
    for i, tier in enumerate(rules.discount_tiers):
        bad = set(tier.risk) - {"low", "medium", "high", "none"}
        if bad:
            raise UserError(f"{where}: discount_tiers[{i}].risk has unknown {sorted(bad)}")
    return rules


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    return parse_rules(path.read_text(encoding="utf-8"), str(path.name))


# -- facts ------------------------------------------------------------------------------
SPIKE_SQL = """
WITH latest AS (SELECT max(created_at) AS at FROM reviews)
SELECT product_id, count(*) AS reviews, count(*) FILTER (WHERE rating <= 2) AS low,
       list(review_id ORDER BY created_at DESC) FILTER (WHERE rating <= 2) AS low_ids
FROM reviews, latest
WHERE product_id = ? AND created_at > latest.at - to_days(?::INTEGER)
GROUP BY product_id
"""


def complaint_spike(ctx, product_id: str, rules: Rules) -> dict | None:
    """The product's recent 1-2 star reviews when they make a spike, else None."""
    s = rules.complaint_spike
    row = ctx.cursor().execute(SPIKE_SQL, [product_id, s.window_days]).fetchone()
    if not row:
        return None
    _, reviews, low, ids = row
    if low >= s.min_reviews and low / reviews >= s.min_share:
        return {
            "product_id": product_id,
            "reviews": int(reviews),
            "low": int(low),
            "review_ids": list(ids or [])[:5],
        }
    return None


def _title(ctx, pid: str) -> str:
    row = ctx.cursor().execute("SELECT title FROM products WHERE product_id = ?", [pid]).fetchone()
    return row[0] if row and row[0] else pid


def _recent_returns(ctx, cid: str, days: int) -> list[dict]:
    rows = (
        ctx.cursor()
        .execute(
            """SELECT o.order_id, o.ordered_at::DATE,
                      list(DISTINCT i.product_id ORDER BY i.product_id)
                          FILTER (WHERE i.product_id IS NOT NULL)
               FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id
               WHERE o.customer_id = ? AND o.status = 'returned'
                 AND o.ordered_at >= (SELECT max(ordered_at) FROM orders) - to_days(?::INTEGER)
               GROUP BY 1, 2 ORDER BY 2 DESC, 1""",
            [cid, days],
        )
        .fetchall()
    )
    return [
        {"order_id": r[0], "ordered_at": r[1].isoformat(), "products": list(r[2] or [])}
        for r in rows
    ]


def _tier(rules: Rules, m: int, risk: str | None) -> dict | None:
    key = risk or "none"
    for tier in rules.discount_tiers:
        if m >= tier.min_m and key in tier.risk:
            return tier.model_dump() if tier.percent > 0 else None
    return None


# -- options -------------------------------------------------------------------------------
def offer_for_customer(ctx, customer_id: str) -> dict:
    """1-3 options for one customer, most urgent first, each with its reason and records."""
    rules = load_rules()
    profile = customer_profile(ctx, customer_id)
    cid = profile["customer_id"]
    state = {"spiked_tickets": set()}
    candidates: list[dict] = []
    for opt in rules.options:
        candidates += BUILDERS[opt.kind](ctx, opt, rules, profile, state)
    options = candidates[: rules.max_options]
    evidence: dict[str, list[str]] = {"customers": [cid]}
    for rank, o in enumerate(options, start=1):
        o["rank"] = rank
        for key, ids in o["evidence"].items():
            evidence.setdefault(key, [])
            evidence[key] += [i for i in ids if i not in evidence[key]]
    return {
        "customer_id": cid,
        "segment": profile["segment"],
        "churn_risk": profile["churn"]["risk"],
        "open_tickets": len(profile["open_tickets"]),
        "options": options,
        "considered": len(candidates),
        "rules": RULES_FILE.name,
        "n": len(options),
        "evidence": evidence,
    }


def _replacements(ctx, opt, rules: Rules, profile: dict, state: dict) -> list[dict]:
    """An open ticket about an order holding a product with a complaint spike."""
    orders = {o["order_id"]: o for o in profile["orders"]["recent"]}
    out = []
    for t in profile["open_tickets"]:
        for pid in _order_products(ctx, t["order_id"], orders):
            spike = complaint_spike(ctx, pid, rules)
            if not spike or t["ticket_id"] in state["spiked_tickets"]:
                continue
            state["spiked_tickets"].add(t["ticket_id"])
            out.append(
                _option(
                    opt,
                    reason=f"open ticket {t['ticket_id']} about order {t['order_id']}; "
                    f"{spike['low']} of {spike['reviews']} reviews of {pid} in the last "
                    f"{rules.complaint_spike.window_days} days are 1-2 stars",
                    evidence={
                        "tickets": [t["ticket_id"]],
                        "orders": [t["order_id"]],
                        "products": [pid],
                        "reviews": spike["review_ids"],
                    },
                    product=_title(ctx, pid),
                    order_id=t["order_id"],
                    ticket_id=t["ticket_id"],
                    low=spike["low"],
                    reviews=spike["reviews"],
                )
            )
    return out


def _open_tickets(ctx, opt, rules: Rules, profile: dict, state: dict) -> list[dict]:
    """Every open ticket not already answered by a replacement."""
    return [
        _option(
            opt,
            reason=f"ticket {t['ticket_id']} is open ({t['status']}) since {t['opened_at']}",
            evidence={
                "tickets": [t["ticket_id"]],
                "orders": [t["order_id"]] if t["order_id"] else [],
            },
            ticket_id=t["ticket_id"],
            subject=t["subject"] or "no subject",
            age_days=t["age_days"],
            order_note=f", order {t['order_id']}" if t["order_id"] else "",
        )
        for t in profile["open_tickets"]
        if t["ticket_id"] not in state["spiked_tickets"]
    ]


def _returns(ctx, opt, rules: Rules, profile: dict, state: dict) -> list[dict]:
    days = rules.recent_return_days
    return [
        _option(
            opt,
            reason=f"order {r['order_id']} of {r['ordered_at']} was returned "
            f"(within {days} days of the shop's latest order)",
            evidence={"orders": [r["order_id"]], "products": r["products"]},
            order_id=r["order_id"],
            products=", ".join(_title(ctx, p) for p in r["products"]) or "no items",
        )
        for r in _recent_returns(ctx, profile["customer_id"], days)
    ]


def _discount(ctx, opt, rules: Rules, profile: dict, state: dict) -> list[dict]:
    risk, m = profile["churn"]["risk"], int(profile["rfm"]["m"])
    tier = _tier(rules, m, risk)
    if not tier:
        return []
    clv = profile["clv"]["estimate"]
    return [
        _option(
            opt,
            reason=f"value M{m} of 5, churn risk {risk or 'none'}, segment "
            f"{profile['segment']}: tier '{tier['label']}'",
            evidence={"customers": [profile["customer_id"]]},
            percent=f"{tier['percent']:g}",
            label=tier["label"],
            segment=profile["segment"],
            risk=risk or "none",
            clv=f"{clv:.2f}" if clv is not None else "unknown",
        )
    ]


def _products(ctx, opt, rules: Rules, profile: dict, state: dict) -> list[dict]:
    recs = recommend_for_customer(ctx, profile["customer_id"], k=3)["recommendations"]
    if not recs:
        return []
    return [
        _option(
            opt,
            reason="; ".join(f"{r['title'] or r['product_id']}: {r['reason']}" for r in recs),
            evidence={"products": [r["product_id"] for r in recs]},
            products=", ".join(
                f"{r['title'] or r['product_id']} ({r['product_id']})" for r in recs
            ),
        )
    ]


BUILDERS = {
    "replacement": _replacements,
    "resolve_ticket": _open_tickets,
    "return_follow_up": _returns,
    "discount": _discount,
    "products": _products,
}
assert set(BUILDERS) == set(KINDS)


def _order_products(ctx, order_id: str | None, orders: dict) -> list[str]:
    if not order_id:
        return []
    if order_id in orders:
        return orders[order_id]["products"]
    rows = ctx.cursor().execute(
        "SELECT DISTINCT product_id FROM order_items WHERE order_id = ? ORDER BY 1", [order_id]
    )
    return [r[0] for r in rows.fetchall() if r[0]]


def _option(opt: _Option, *, reason: str, evidence: dict[str, list[str]], **values: Any) -> dict:
    try:
        text = opt.text.format(**values)
    except (KeyError, IndexError) as exc:
        raise UserError(
            f"offers.yaml: the {opt.kind} option's text uses {exc} which it does not have",
            hint="placeholders: " + ", ".join(sorted(values)),
        ) from None
    return {"rank": 0, "kind": opt.kind, "text": text, "reason": reason, "evidence": evidence}


# -- declaration ------------------------------------------------------------------------
class OfferArgs(BaseModel):
    customer_id: str = Field(description="The customer's id as stored in the shop data.")


class OfferOption(TypedDict):
    rank: int
    kind: str
    text: str
    reason: str
    evidence: dict[str, list[str]]


@strict
class OfferResult(TypedDict):
    customer_id: str
    segment: str
    churn_risk: str | None
    open_tickets: int
    options: list[OfferOption]
    considered: int
    rules: str
    n: int
    evidence: dict[str, list[str]]


SPECS = (
    ToolSpec(
        name="offer_for_customer",
        engine=offer_for_customer,
        args=OfferArgs,
        result=OfferResult,
        roles=SUPPORT_ROLES,
        subject="customer",
        label="What to offer",
        purpose="suggest what to offer a customer",
        description="One to three concrete options to offer one customer (replacement or "
        "refund for a defective item with open tickets, follow-up on a return, a discount "
        "tier by value and churn risk, products to suggest), each with its reason and the "
        "ticket, order, review and product ids behind it. Rules are the shop's offers.yaml.",
    ),
)
