"""analyze and compare_products on the demo shop, each question class checked against
independent hand-written SQL: rankings, bottom N with min_n, counts, two products
compared, change against the previous period, group-bys, the shop-wide aspect
complaint share, the verified filter and the interval of a rate."""

from __future__ import annotations

import json

import pytest

from tools.analyze import analyze, compare_products
from tools.context import ToolContext
from tools.insights import wilson


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return ToolContext(demo_ws.cursor, role="marketer")


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


def test_top_five_products_by_revenue(demo_ws, ctx):
    res = analyze(ctx, "revenue", by=["product"], since="2026-01-01", until="2026-10-31", limit=5)
    expected = q(
        demo_ws,
        """SELECT i.product_id, sum(i.quantity * i.unit_price), count(DISTINCT o.order_id)
           FROM orders o JOIN order_items i ON i.order_id = o.order_id
           WHERE o.status = 'completed' AND o.ordered_at >= DATE '2026-01-01'
             AND o.ordered_at < DATE '2026-11-01'
           GROUP BY 1 ORDER BY 2 DESC LIMIT 5""",
    )
    assert [r["keys"]["product"] for r in res["rows"]] == [pid for pid, _, _ in expected]
    for row, (pid, revenue, n) in zip(res["rows"], expected, strict=True):
        assert row["value"] == pytest.approx(revenue, abs=0.01) and row["n"] == n
        assert row["label"].endswith(f"({pid})")
        assert 1 <= len(row["evidence"]) <= 3
        found = q(
            demo_ws,
            """SELECT count(DISTINCT o.order_id) FROM orders o JOIN order_items i USING (order_id)
               WHERE i.product_id = ? AND o.status = 'completed' AND list_contains(?, o.order_id)""",
            [pid, row["evidence"]],
        )[0][0]
        assert found == len(row["evidence"])  # the evidence is orders behind the row
    assert res["interpretation"].startswith("top 5 products by revenue, 2026-01-01 to 2026-10-31")
    assert "cancelled" in res["interpretation"]


def test_bottom_products_by_return_rate_with_min_n(demo_ws, ctx):
    res = analyze(ctx, "return_rate", by=["product"], order="asc", limit=5, min_n=40)
    per_product = {
        pid: (ret / n, n)
        for pid, ret, n in q(
            demo_ws,
            """SELECT i.product_id,
                      count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned'),
                      count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))
               FROM orders o JOIN order_items i ON i.order_id = o.order_id
               GROUP BY 1 HAVING count(DISTINCT o.order_id)
                   FILTER (WHERE o.status IN ('completed', 'returned')) > 0""",
        )
    }
    eligible = sorted(rate for rate, n in per_product.values() if n >= 40)
    assert [r["value"] for r in res["rows"]] == pytest.approx(eligible[:5], abs=1e-4)
    for row in res["rows"]:
        rate, n = per_product[row["keys"]["product"]]
        assert row["value"] == pytest.approx(rate, abs=1e-4) and row["n"] == n >= 40
    assert res["left_out"] == sum(1 for _, n in per_product.values() if n < 40) > 0
    assert "at least 40" in res["interpretation"]


def test_counts(demo_ws, ctx):
    march = analyze(ctx, "review_count", since="2026-03-01", until="2026-03-31")
    n = q(
        demo_ws,
        "SELECT count(*) FROM reviews WHERE created_at >= '2026-03-01' AND created_at < '2026-04-01'",
    )[0][0]
    assert march["total"]["value"] == march["total"]["n"] == n > 0
    kitchen = analyze(ctx, "orders", filters={"category": "kitchen"}, since="2026-01-01")
    orders = q(
        demo_ws,
        """SELECT count(DISTINCT o.order_id) FROM orders o JOIN order_items i USING (order_id)
           JOIN products p USING (product_id)
           WHERE p.category = 'Kitchen' AND o.status <> 'cancelled' AND o.ordered_at >= '2026-01-01'""",
    )[0][0]
    assert kitchen["total"]["value"] == orders and kitchen["filters"] == {"category": "Kitchen"}
    opened = analyze(ctx, "open_tickets")["total"]["value"]
    assert (
        opened
        == q(
            demo_ws,
            "SELECT count(*) FROM tickets WHERE status NOT IN ('closed', 'resolved', 'solved')",
        )[0][0]
    )


def test_compare_two_products(demo_ws, ctx, manifest):
    aurora = next(d for d in manifest["defects"] if d["aspect"] == "battery")["product_id"]
    other = q(
        demo_ws,
        "SELECT product_id FROM reviews WHERE product_id <> ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        [aurora],
    )[0][0]
    res = compare_products(ctx, [aurora, other], since="2026-01-01")
    assert [p["product_id"] for p in res["products"]] == [aurora, other]
    for p in res["products"]:
        pid, v = p["product_id"], p["values"]
        rating, reviews, negative = q(
            demo_ws,
            """SELECT avg(r.rating), count(*), count(*) FILTER (WHERE s.label = 'negative')
               FROM reviews r JOIN review_sentiment s USING (review_id)
               WHERE r.product_id = ? AND r.created_at >= '2026-01-01'""",
            [pid],
        )[0]
        assert v["average_rating"]["value"] == pytest.approx(rating, abs=0.005)
        assert v["review_count"]["value"] == v["review_count"]["n"] == reviews
        assert v["negative_share"]["value"] == pytest.approx(negative / reviews, abs=1e-4)
        assert v["negative_share"]["ci"] == wilson(negative, reviews)
        revenue, returned, settled = q(
            demo_ws,
            """SELECT sum(i.quantity * i.unit_price) FILTER (WHERE o.status = 'completed'),
                      count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned'),
                      count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))
               FROM orders o JOIN order_items i USING (order_id)
               WHERE i.product_id = ? AND o.ordered_at >= '2026-01-01'""",
            [pid],
        )[0]
        assert v["revenue"]["value"] == pytest.approx(revenue, abs=0.01)
        assert v["return_rate"]["value"] == pytest.approx(returned / settled, abs=1e-4)
    battery = next(a for a in res["aspects"] if a["aspect"] == "battery")
    complained = q(
        demo_ws,
        """SELECT count(DISTINCT a.review_id) FROM review_aspects a JOIN reviews r USING (review_id)
           WHERE r.product_id = ? AND a.aspect = 'battery' AND a.polarity = 'negative'
             AND r.created_at >= '2026-01-01'""",
        [aurora],
    )[0][0]
    share = battery["products"][aurora]
    assert share["complaint_share"] == pytest.approx(complained / share["n"], abs=1e-4)
    assert res["interpretation"].startswith(res["products"][0]["title"])


def test_change_against_the_previous_quarter(demo_ws, ctx):
    res = analyze(
        ctx, "average_rating", by=["category"], since="2026-07-01", until="2026-09-30",
        compare="previous", sort="change", order="asc", limit=50,
    )  # fmt: skip
    assert (res["compare_since"], res["compare_until"]) == ("2026-04-01", "2026-06-30")

    def per_category(since, until):
        return {
            cat: (avg, n)
            for cat, avg, n in q(
                demo_ws,
                """SELECT p.category, avg(r.rating), count(*) FROM reviews r
                   JOIN products p USING (product_id)
                   WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1""",
                [since, until],
            )
        }

    now, before = per_category("2026-07-01", "2026-10-01"), per_category("2026-04-01", "2026-07-01")
    assert {r["keys"]["category"] for r in res["rows"]} == set(now)
    for row in res["rows"]:
        cat = row["keys"]["category"]
        assert row["value"] == pytest.approx(now[cat][0], abs=0.005)
        assert row["previous"] == pytest.approx(before[cat][0], abs=0.005)
        assert row["previous_n"] == before[cat][1]
        assert row["change"] == pytest.approx(now[cat][0] - before[cat][0], abs=0.011)
    changes = [r["change"] for r in res["rows"]]
    assert changes == sorted(changes)  # the steepest fall first
    assert "largest fall in average rating" in res["interpretation"]


def test_group_by_month_category_channel_and_segment(demo_ws, ctx):
    months = analyze(ctx, "revenue", by=["month"], since="2025-01-01", until="2025-12-31")
    expected = q(
        demo_ws,
        """SELECT strftime(o.ordered_at, '%Y-%m'), sum(i.quantity * i.unit_price)
           FROM orders o JOIN order_items i USING (order_id)
           WHERE o.status = 'completed' AND o.ordered_at >= '2025-01-01' AND o.ordered_at < '2026-01-01'
           GROUP BY 1 ORDER BY 1""",
    )
    assert [r["keys"]["month"] for r in months["rows"]] == [m for m, _ in expected]
    assert [r["value"] for r in months["rows"]] == pytest.approx([v for _, v in expected], abs=0.01)
    units = analyze(ctx, "units", by=["category"], limit=50)
    assert {r["keys"]["category"]: r["value"] for r in units["rows"]} == dict(
        q(
            demo_ws,
            """SELECT p.category, sum(i.quantity) FROM orders o JOIN order_items i USING (order_id)
               JOIN products p USING (product_id) WHERE o.status = 'completed' GROUP BY 1""",
        )
    )
    channels = analyze(ctx, "orders", by=["channel"], limit=50)
    assert {r["keys"]["channel"]: r["value"] for r in channels["rows"]} == dict(
        q(
            demo_ws,
            """SELECT c.channel, count(*) FROM orders o JOIN customers c USING (customer_id)
               WHERE o.status <> 'cancelled' GROUP BY 1""",
        )
    )
    from tools.rfm import customer_table

    table, _ = customer_table(demo_ws.cursor())
    seg = demo_ws.cursor()
    seg.register("expected_segments", table[["customer_id", "segment"]])
    expected_customers = dict(
        seg.execute(
            """SELECT s.segment, count(DISTINCT o.customer_id) FROM orders o
               JOIN expected_segments s USING (customer_id)
               WHERE o.status <> 'cancelled' GROUP BY 1"""
        ).fetchall()
    )
    segments = analyze(ctx, "customers", by=["segment"], limit=50)
    assert {r["keys"]["segment"]: r["value"] for r in segments["rows"]} == expected_customers


def test_shop_wide_aspect_complaint_share(demo_ws, ctx):
    reviews = q(demo_ws, "SELECT count(*) FROM reviews")[0][0]
    delivery = analyze(ctx, "aspect_complaint_share", filters={"aspect": "delivery"})
    complaints = q(
        demo_ws,
        """SELECT count(DISTINCT review_id) FROM review_aspects
           WHERE aspect = 'delivery' AND polarity = 'negative'""",
    )[0][0]
    assert delivery["total"]["n"] == reviews
    assert delivery["total"]["value"] == pytest.approx(complaints / reviews, abs=1e-4)
    assert delivery["total"]["ci"] == wilson(complaints, reviews)
    assert delivery["metric_label"] == "Share of reviews complaining about delivery"
    top = analyze(ctx, "aspect_complaint_share", by=["aspect"], limit=3)
    expected = q(
        demo_ws,
        """SELECT aspect, count(DISTINCT review_id) FROM review_aspects WHERE polarity = 'negative'
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3""",
    )
    assert [(r["keys"]["aspect"], r["value"]) for r in top["rows"]] == [
        (a, pytest.approx(k / reviews, abs=1e-4)) for a, k in expected
    ]
    for row in top["rows"]:
        ids = row["evidence"]
        hits = q(
            demo_ws,
            """SELECT count(DISTINCT review_id) FROM review_aspects WHERE aspect = ?
               AND polarity = 'negative' AND list_contains(?, review_id)""",
            [row["keys"]["aspect"], ids],
        )[0][0]
        assert hits == len(ids) > 0


def test_verified_buyers_filter(demo_ws, ctx):
    res = analyze(ctx, "average_rating", by=["category"], filters={"verified": True}, limit=50)
    expected = {
        cat: (avg, n)
        for cat, avg, n in q(
            demo_ws,
            """SELECT p.category, avg(r.rating), count(*) FROM reviews r
               JOIN products p USING (product_id) WHERE r.verified GROUP BY 1""",
        )
    }
    assert {r["keys"]["category"] for r in res["rows"]} == set(expected)
    for row in res["rows"]:
        avg, n = expected[row["keys"]["category"]]
        assert row["value"] == pytest.approx(avg, abs=0.005) and row["n"] == n
    everyone = analyze(ctx, "review_count")["total"]["value"]
    assert res["total"]["n"] < everyone
    assert "verified purchases only" in res["interpretation"]


def test_rate_interval_from_the_counts(demo_ws, ctx):
    res = analyze(ctx, "return_rate", by=["country"], limit=50)
    expected = {
        country: (returned, settled)
        for country, returned, settled in q(
            demo_ws,
            """SELECT c.country, count(*) FILTER (WHERE o.status = 'returned'),
                      count(*) FILTER (WHERE o.status IN ('completed', 'returned'))
               FROM orders o JOIN customers c USING (customer_id) GROUP BY 1""",
        )
    }
    for row in res["rows"]:
        returned, settled = expected[row["keys"]["country"]]
        assert row["n"] == settled and row["ci"] == wilson(returned, settled)
        assert row["ci"][0] <= row["value"] <= row["ci"][1]


def test_tools_go_through_the_toolbox(demo_ws):
    marketer = demo_ws.toolbox("marketer")
    out = marketer.call("analyze", metric="orders", by=["month"], since="2026-01-01")
    assert out.ok and out.result["rows"][0]["keys"] == {"month": "2026-01"}
    bad = marketer.call("analyze", metric="orders", by=["colour"])
    assert bad.result["error"] == "BadArguments" and bad.result["fields"] == ["by"]
    denied = demo_ws.toolbox("support").call("compare_products", product_ids=["P0001", "P0002"])
    assert denied.result["error"] == "PermissionDenied"


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())
