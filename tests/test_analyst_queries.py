"""The analyst ground-truth queries agree with a second formulation of each metric.

The second formulation reads the raw tables row by row and aggregates in Python, so a
mistake in a query's SQL (a wrong join multiplying rows, a status left in, an off-by-one
period end) shows as a disagreement on the demo shop.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import pytest

from assistant.errors import UserError
from assistant.evaluation.queries import evaluate


@pytest.fixture(scope="module")
def cur(demo_ws):
    return demo_ws.cursor()


@pytest.fixture(scope="module")
def raw(cur):
    """The raw tables as Python rows."""

    def rows(sql):
        c = cur.execute(sql)
        names = [d[0] for d in c.description]
        return [dict(zip(names, r, strict=True)) for r in c.fetchall()]

    products = {p["product_id"]: p for p in rows("SELECT * FROM products")}
    customers = {c["customer_id"]: c for c in rows("SELECT * FROM customers")}
    orders = {o["order_id"]: o for o in rows("SELECT * FROM orders")}
    items = rows("SELECT * FROM order_items")
    reviews = rows("SELECT * FROM reviews")
    labels = {r["review_id"]: r["label"] for r in rows("SELECT * FROM review_sentiment")}
    aspects = rows("SELECT review_id, aspect, polarity FROM review_aspects")
    return {
        "products": products,
        "customers": customers,
        "orders": orders,
        "items": items,
        "reviews": reviews,
        "labels": labels,
        "aspects": aspects,
    }


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _in(value, since, until) -> bool:
    d = _day(value)
    return (since is None or d >= date.fromisoformat(since)) and (
        until is None or d <= date.fromisoformat(until)
    )


def _revenue_by_product(raw, since=None, until=None, category=None):
    out = defaultdict(float)
    for it in raw["items"]:
        o = raw["orders"][it["order_id"]]
        p = raw["products"][it["product_id"]]
        if o["status"] != "completed" or not _in(o["ordered_at"], since, until):
            continue
        if category and p["category"].lower() != category.lower():
            continue
        out[it["product_id"]] += it["quantity"] * it["unit_price"]
    return out


def _top(values: dict, n: int, reverse=True):
    return [
        k for k, _ in sorted(values.items(), key=lambda kv: (-kv[1] if reverse else kv[1], kv[0]))
    ][:n]


def test_top_products_by_revenue(cur, raw):
    by_product = _revenue_by_product(raw, since="2026-01-01", until="2026-10-31")
    want = _top(by_product, 3)
    got = evaluate(
        cur,
        "ranked_list",
        {
            "metric": "revenue",
            "by": "product",
            "limit": 3,
            "field": "key",
            "since": "2026-01-01",
            "until": "2026-10-31",
        },
    )
    assert got == want
    title = evaluate(
        cur,
        "ranked",
        {"metric": "revenue", "rank": 2, "since": "2026-01-01", "until": "2026-10-31"},
    )
    assert title == raw["products"][want[1]]["title"]
    value = evaluate(
        cur,
        "ranked",
        {"metric": "revenue", "field": "value", "since": "2026-01-01", "until": "2026-10-31"},
    )
    assert value == pytest.approx(by_product[want[0]])


def test_revenue_of_a_category_equals_the_sum_of_its_products(cur, raw):
    by_product = _revenue_by_product(
        raw, category="Kitchen", since="2025-01-01", until="2025-12-31"
    )
    got = evaluate(
        cur,
        "metric_value",
        {"metric": "revenue", "category": "kitchen", "since": "2025-01-01", "until": "2025-12-31"},
    )
    assert got == pytest.approx(sum(by_product.values()))
    assert got > 0


def test_order_and_customer_counts(cur, raw):
    since, until = "2026-07-01", "2026-09-30"
    kept = [
        o
        for o in raw["orders"].values()
        if o["status"] != "cancelled" and _in(o["ordered_at"], since, until)
    ]
    assert evaluate(
        cur, "metric_value", {"metric": "orders", "since": since, "until": until}
    ) == len(kept)
    assert evaluate(
        cur, "metric_value", {"metric": "customers", "since": since, "until": until}
    ) == len({o["customer_id"] for o in kept})
    # orders by country: the customer's country, counted once per order
    by_country = defaultdict(set)
    for o in kept:
        by_country[raw["customers"][o["customer_id"]]["country"]].add(o["order_id"])
    counts = {k: len(v) for k, v in by_country.items() if k}
    top = _top(counts, 1)[0]
    assert (
        evaluate(
            cur,
            "ranked",
            {"metric": "orders", "by": "country", "since": since, "until": until, "field": "key"},
        )
        == top
    )
    assert (
        evaluate(
            cur,
            "group_value",
            {"metric": "orders", "by": "country", "key": top, "since": since, "until": until},
        )
        == counts[top]
    )


def test_cancel_and_return_rates(cur, raw):
    orders = list(raw["orders"].values())
    cancelled = sum(o["status"] == "cancelled" for o in orders)
    assert evaluate(cur, "metric_value", {"metric": "cancel_rate"}) == pytest.approx(
        cancelled / len(orders)
    )
    pid = "P0059"
    with_product = {it["order_id"] for it in raw["items"] if it["product_id"] == pid}
    st = [raw["orders"][oid]["status"] for oid in with_product]
    want = st.count("returned") / (st.count("returned") + st.count("completed"))
    assert evaluate(
        cur, "metric_value", {"metric": "return_rate", "product_id": pid}
    ) == pytest.approx(want)


def _reviews(raw, **f):
    out = []
    for r in raw["reviews"]:
        p = raw["products"][r["product_id"]]
        if f.get("product_id") and r["product_id"] != f["product_id"]:
            continue
        if f.get("category") and p["category"].lower() != f["category"].lower():
            continue
        if f.get("verified") is not None and r["verified"] != f["verified"]:
            continue
        if not _in(r["created_at"], f.get("since"), f.get("until")):
            continue
        out.append(r)
    return out


def test_review_counts_verified_and_average_rating(cur, raw):
    since, until = "2026-01-01", "2026-10-31"
    verified = _reviews(raw, category="Headphones", verified=True, since=since, until=until)
    got = evaluate(
        cur,
        "metric_value",
        {
            "metric": "review_count",
            "category": "Headphones",
            "verified": True,
            "since": since,
            "until": until,
        },
    )
    assert got == len(verified) > 0
    mine = _reviews(raw, product_id="P0016", since="2026-03-01")
    assert evaluate(
        cur,
        "metric_value",
        {"metric": "average_rating", "product_id": "P0016", "since": "2026-03-01"},
    ) == pytest.approx(sum(r["rating"] for r in mine) / len(mine))
    assert evaluate(
        cur,
        "record_count",
        {"metric": "average_rating", "product_id": "P0016", "since": "2026-03-01"},
    ) == len(mine)


def test_negative_share_and_aspect_share(cur, raw):
    # in Toys the sentiment labels and the 1-2 star ratings give different counts, so a
    # share read from stars instead of labels shows
    scope = _reviews(raw, category="Toys")
    neg = sum(raw["labels"].get(r["review_id"]) == "negative" for r in scope)
    assert evaluate(cur, "metric_value", {"metric": "negative_share", "category": "Toys"}) == (
        pytest.approx(neg / len(scope))
    )
    hits = {
        a["review_id"]
        for a in raw["aspects"]
        if a["aspect"] == "delivery" and a["polarity"] == "negative"
    }
    everyone = raw["reviews"]
    want = sum(r["review_id"] in hits for r in everyone) / len(everyone)
    assert evaluate(cur, "aspect_share", {"aspect": "delivery"}) == pytest.approx(want)
    assert evaluate(cur, "aspect_mentions", {"aspect": "delivery"}) == len(hits)
    assert 0 < want < 1


def _avg_rating_by_product(raw, since, until):
    acc = defaultdict(list)
    for r in _reviews(raw, since=since, until=until):
        acc[r["product_id"]].append(r["rating"])
    return {k: (sum(v) / len(v), len(v)) for k, v in acc.items()}


def test_change_and_steepest_drop(cur, raw):
    since, until = "2026-05-01", "2026-10-31"
    prev_since, prev_until = "2025-10-29", "2026-04-30"  # the 184 days before
    now = _avg_rating_by_product(raw, since, until)
    before = _avg_rating_by_product(raw, prev_since, prev_until)
    drops = {
        k: now[k][0] - before[k][0]
        for k in now
        if k in before and now[k][1] >= 10 and before[k][1] >= 10
    }
    worst = _top(drops, 1, reverse=False)[0]
    assert (
        evaluate(cur, "steepest_change", {"since": since, "until": until, "field": "key"}) == worst
    )
    assert evaluate(cur, "steepest_change", {"since": since, "until": until, "field": "value"}) == (
        pytest.approx(drops[worst])
    )
    assert evaluate(
        cur,
        "metric_change",
        {"metric": "average_rating", "product_id": worst, "since": since, "until": until},
    ) == pytest.approx(drops[worst])


def test_bottom_rate_with_min_n_leaves_thin_products_out(cur, raw):
    ratings = _avg_rating_by_product(raw, None, None)
    eligible = {k: v for k, (v, n) in ratings.items() if n >= 25}
    want = _top(eligible, 3, reverse=False)
    got = evaluate(
        cur,
        "ranked_list",
        {"metric": "average_rating", "order": "asc", "limit": 3, "min_n": 25, "field": "key"},
    )
    assert got == want
    thin = [k for k, (_v, n) in ratings.items() if n < 25]
    assert thin, "the demo shop should hold products with few reviews"
    assert not set(thin) & set(
        evaluate(
            cur,
            "ranked_list",
            {"metric": "average_rating", "order": "asc", "limit": 50, "min_n": 25, "field": "key"},
        )
    )


def test_revenue_by_month_and_channel(cur, raw):
    by_month, by_channel = defaultdict(float), defaultdict(float)
    for it in raw["items"]:
        o = raw["orders"][it["order_id"]]
        if o["status"] != "completed" or not _in(o["ordered_at"], "2026-01-01", "2026-10-31"):
            continue
        by_month[_day(o["ordered_at"]).strftime("%Y-%m")] += it["quantity"] * it["unit_price"]
        channel = raw["customers"][o["customer_id"]]["channel"]
        if channel:
            by_channel[channel] += it["quantity"] * it["unit_price"]
    scope = {"since": "2026-01-01", "until": "2026-10-31"}
    assert (
        evaluate(cur, "ranked", {"metric": "revenue", "by": "month", **scope})
        == _top(by_month, 1)[0]
    )
    assert evaluate(
        cur,
        "ranked_list",
        {"metric": "revenue", "by": "channel", "limit": 10, "field": "key", **scope},
    ) == _top(by_channel, 10)
    assert evaluate(
        cur, "group_value", {"metric": "revenue", "by": "month", "key": "2026-03", **scope}
    ) == (pytest.approx(by_month["2026-03"]))


def test_complainers_about_one_product(cur, raw):
    # Two definitions: the review's label (text and stars, tools/review_label.py) or its
    # stars alone; each query counts its own.
    pid = "P0016"
    mine = [r for r in raw["reviews"] if r["product_id"] == pid and r["customer_id"]]
    by_label = {r["customer_id"] for r in mine if raw["labels"].get(r["review_id"]) == "negative"}
    by_rating = {r["customer_id"] for r in mine if r["rating"] <= 2}
    assert evaluate(cur, "complainers", {"product_id": pid}) == len(by_label) > 0
    assert evaluate(cur, "complainers", {"product_id": pid, "by": "rating"}) == len(by_rating)
    everyone = {r["customer_id"] for r in raw["reviews"] if r["customer_id"] and r["rating"] <= 2}
    assert len(by_rating) < len(everyone), "complainers about one product, not about any"


def test_bad_parameters_say_what_was_wrong(cur):
    with pytest.raises(UserError, match="unknown metric 'profit'"):
        evaluate(cur, "metric_value", {"metric": "profit"})
    with pytest.raises(UserError, match="verified applies to review metrics only"):
        evaluate(cur, "metric_value", {"metric": "revenue", "verified": True})
    with pytest.raises(UserError, match="unknown dimension 'colour'"):
        evaluate(cur, "ranked", {"metric": "revenue", "by": "colour"})
    with pytest.raises(UserError, match="needs an aspect"):
        evaluate(cur, "metric_value", {"metric": "aspect_complaint_share"})
    with pytest.raises(UserError, match="rank 999"):
        evaluate(cur, "ranked", {"metric": "revenue", "by": "channel", "rank": 999})
