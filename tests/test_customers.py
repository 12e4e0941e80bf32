"""Buyer profiles, RFM segments and audiences, checked against independent SQL on the demo shop."""

from __future__ import annotations

import csv
import json
import re

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import NotFoundError, PermissionDenied, UserError
from tools.context import ToolContext
from tools.customers import customer_profile, find_customers, segment_overview


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


def ctx_for(ws, role="support"):
    return ToolContext(ws.cursor, role=role, models_dir=ws.settings.models_dir)


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def repeat_buyer(demo_ws):
    """The customer with the most completed orders (ties by id)."""
    return q(
        demo_ws,
        "SELECT customer_id FROM orders WHERE status = 'completed' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )[0][0]


def test_profile_orders_and_spend_match_sql(demo_ws, repeat_buyer):
    p = customer_profile(ctx_for(demo_ws), repeat_buyer)
    n, spend, first, last = q(
        demo_ws,
        "SELECT count(*), sum(total), min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders "
        "WHERE customer_id = ? AND status = 'completed'",
        [repeat_buyer],
    )[0]
    assert p["orders"]["completed"] == n
    assert p["spend"] == pytest.approx(spend, abs=0.01)
    assert p["average_order_value"] == pytest.approx(spend / n, abs=0.01)
    assert p["orders"]["first_order"] == first.isoformat()
    assert p["orders"]["last_order"] == last.isoformat()
    all_orders = q(demo_ws, "SELECT count(*) FROM orders WHERE customer_id = ?", [repeat_buyer])
    assert p["orders"]["total"] == all_orders[0][0]
    dates = [o["ordered_at"] for o in p["orders"]["recent"]]
    assert dates == sorted(dates, reverse=True), "recent orders come first"
    top_cat = q(
        demo_ws,
        """SELECT p.category FROM orders o JOIN order_items i USING (order_id)
           JOIN products p USING (product_id) WHERE o.customer_id = ? AND o.status = 'completed'
           GROUP BY 1 ORDER BY sum(i.quantity) DESC, sum(i.quantity * i.unit_price) DESC, 1 LIMIT 1""",
        [repeat_buyer],
    )[0][0]
    assert p["favourite_categories"][0]["category"] == top_cat
    assert p["clv"]["method"] and p["clv"]["estimate"] > 0
    assert p["next_best_action"]["text"]


def test_rfm_scores_match_a_rank_computed_in_sql(demo_ws, repeat_buyer, manifest):
    """R, F, M are 1 + floor(5 * (rank - 1) / buyers), ties sharing the lowest rank."""
    rows = q(
        demo_ws,
        """WITH b AS (
               SELECT customer_id, max(ordered_at) AS last, count(*) AS n, sum(total) AS spend
               FROM orders WHERE status = 'completed' GROUP BY 1),
           r AS (SELECT customer_id, count(*) OVER () AS total,
                        rank() OVER (ORDER BY last) AS rr, rank() OVER (ORDER BY n) AS fr,
                        rank() OVER (ORDER BY spend) AS mr FROM b)
           SELECT customer_id, 1 + least(4, (rr - 1) * 5 // total),
                  1 + least(4, (fr - 1) * 5 // total), 1 + least(4, (mr - 1) * 5 // total)
           FROM r WHERE customer_id IN (?, ?, ?)""",
        [
            repeat_buyer,
            manifest["browsers"][0]["customer_id"],
            manifest["browsers"][1]["customer_id"],
        ],
    )
    assert len(rows) == 3
    for cid, r, f, m in rows:
        rfm = customer_profile(ctx_for(demo_ws), cid)["rfm"]
        assert (rfm["r"], rfm["f"], rfm["m"]) == (r, f, m), cid


def test_churn_risk_uses_the_customers_own_rhythm(demo_ws, repeat_buyer):
    p = customer_profile(ctx_for(demo_ws), repeat_buyer)
    first, last, n = q(
        demo_ws,
        "SELECT min(ordered_at), max(ordered_at), count(*) FROM orders "
        "WHERE customer_id = ? AND status = 'completed'",
        [repeat_buyer],
    )[0]
    shop_last = q(demo_ws, "SELECT max(ordered_at) FROM orders")[0][0]
    gap = (last - first).total_seconds() / 86400 / (n - 1)
    recency = (shop_last - last).days
    assert p["churn"]["gap_from"] == "own rhythm"
    assert p["churn"]["usual_gap_days"] == pytest.approx(gap, abs=0.1)
    assert p["churn"]["days_since_last_order"] == recency
    ratio = recency / gap
    expected = "low" if ratio < 1.5 else "medium" if ratio < 3 else "high"
    assert p["churn"]["risk"] == expected


def test_marketer_never_sees_contact_fields_and_texts_are_redacted(demo_ws, manifest):
    cid = next(
        c
        for c in manifest["pii_customers"]
        if q(demo_ws, "SELECT count(*) FROM reviews WHERE customer_id = ?", [c])[0][0]
    )
    name = q(demo_ws, "SELECT name FROM customers WHERE customer_id = ?", [cid])[0][0]
    support = customer_profile(ctx_for(demo_ws, "support"), cid)
    assert support["identity"]["name"] == name
    marketer = customer_profile(ctx_for(demo_ws, "marketer"), cid)
    assert not {"name", "email", "phone", "city"} & set(marketer["identity"])
    assert marketer["identity_masked"] is True
    dumped = json.dumps(marketer, allow_nan=False)
    assert name not in dumped
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for role_profile in (support, marketer):
        for r in role_profile["reviews"]:
            assert not email.search(r["text"] or ""), r["review_id"]


def test_pii_in_review_text_is_redacted_in_the_profile(demo_ws, manifest):
    rid = manifest["pii_review_ids"][0]
    cid, text = q(demo_ws, "SELECT customer_id, text FROM reviews WHERE review_id = ?", [rid])[0]
    if cid is None:
        pytest.skip("planted PII review has no customer")
    shown = next(
        r for r in customer_profile(ctx_for(demo_ws), cid)["reviews"] if r["review_id"] == rid
    )
    assert shown["text"] != text
    assert "[" in shown["text"]


def test_unknown_customer_suggests_the_closest_ids(demo_ws, manifest):
    real = manifest["browsers"][0]["customer_id"]
    with pytest.raises(NotFoundError) as err:
        customer_profile(ctx_for(demo_ws), real + "9")
    assert real in err.value.suggestions
    assert "no such customer" in err.value.message
    # Case does not matter for ids written by people.
    assert customer_profile(ctx_for(demo_ws), real.lower())["customer_id"] == real


def test_browsers_show_their_interest_and_abandoned_carts(demo_ws, manifest):
    for b in manifest["browsers"]:
        p = customer_profile(ctx_for(demo_ws), b["customer_id"])
        cats = {c["category"]: c for c in p["browsing"]["categories"]}
        assert b["category"] in p["browsing"]["interests_not_bought"]
        assert cats[b["category"]]["never_bought"] is True
        expected_views = q(
            demo_ws,
            """SELECT count(*) FROM events e JOIN products p USING (product_id)
               WHERE e.customer_id = ? AND p.category = ? AND e.event_type = 'view'""",
            [b["customer_id"], b["category"]],
        )[0][0]
        assert cats[b["category"]]["views"] == expected_views
        assert b["category"] not in [c["category"] for c in p["favourite_categories"]]
        carted = q(
            demo_ws,
            "SELECT DISTINCT product_id FROM events WHERE customer_id = ? AND event_type = 'cart'",
            [b["customer_id"]],
        )
        bought = {
            r[0]
            for r in q(
                demo_ws,
                "SELECT i.product_id FROM orders o JOIN order_items i USING (order_id) "
                "WHERE o.customer_id = ? AND o.status <> 'cancelled'",
                [b["customer_id"]],
            )
        }
        # Never bought: every carted product of the browsed category is abandoned.
        in_cat = {r[0] for r in carted} & set(b["product_ids"]) - bought
        assert in_cat <= {c["product_id"] for c in p["browsing"]["abandoned_carts"]}


def test_audience_filters_match_sql(demo_ws):
    ctx = ctx_for(demo_ws, "marketer")
    result = find_customers(ctx, category="kitchen", inactive_days=180, min_spend=100, all_ids=True)
    expected = {
        r[0]
        for r in q(
            demo_ws,
            # Spend counts completed orders; inactivity runs from the last completed or
            # returned order (a return is contact).
            """WITH s AS (SELECT customer_id,
                                 sum(total) FILTER (WHERE status = 'completed') AS spend,
                                 max(ordered_at) AS last
                          FROM orders WHERE status IN ('completed', 'returned') GROUP BY 1)
               SELECT s.customer_id FROM s WHERE s.spend >= 100
                 AND date_diff('day', s.last, (SELECT max(ordered_at) FROM orders)) >= 180
                 AND s.customer_id IN (SELECT o.customer_id FROM orders o
                     JOIN order_items i USING (order_id) JOIN products p USING (product_id)
                     WHERE p.category = 'Kitchen' AND o.status = 'completed')""",
        )
    }
    assert result["filters"]["category"] == "Kitchen"
    assert set(result["ids"]) == expected
    assert result["count"] == len(expected) > 0
    assert len(result["sample_ids"]) == min(20, len(expected))
    assert result["stats"]["total_spend"] == pytest.approx(
        q(
            demo_ws,
            "SELECT sum(total) FROM orders WHERE status = 'completed' AND customer_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [sorted(expected)],
        )[0][0],
        abs=0.05,
    )
    assert not {"name", "email", "phone", "city"} & set(
        json.dumps(result, allow_nan=False).split('"')
    )


def test_audience_by_sentiment_and_aspect(demo_ws, manifest):
    ctx = ctx_for(demo_ws, "marketer")
    negative = find_customers(ctx, sentiment="negative", all_ids=True)
    labelled = q(demo_ws, "SELECT count(*) FROM review_sentiment")[0][0]
    if labelled:
        expected = {
            r[0]
            for r in q(
                demo_ws,
                "SELECT DISTINCT r.customer_id FROM reviews r JOIN review_sentiment s "
                "USING (review_id) WHERE s.label = 'negative' AND r.customer_id IS NOT NULL",
            )
        }
        assert set(negative["ids"]) == expected
    battery = find_customers(ctx, aspect="battery", all_ids=True)
    assert battery["filters"]["aspect"] == "battery"
    defect = next(d for d in manifest["defects"] if d["aspect"] == "battery")
    low_star_authors = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT customer_id FROM reviews WHERE review_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND rating <= 2 AND customer_id IS NOT NULL AND regexp_matches(lower(text), 'battery')",
            [defect["review_ids"]],
        )
    }
    assert low_star_authors and low_star_authors <= set(battery["ids"])
    aspect_rows = q(
        demo_ws,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'review_aspects'",
    )[0][0]
    if aspect_rows:
        expected = {
            r[0]
            for r in q(
                demo_ws,
                "SELECT DISTINCT r.customer_id FROM review_aspects a JOIN reviews r USING (review_id) "
                "WHERE a.aspect = 'battery' AND a.polarity = 'negative' AND r.customer_id IS NOT NULL",
            )
        }
        assert set(battery["ids"]) == expected


def test_segment_overview_adds_up(demo_ws):
    ov = segment_overview(ctx_for(demo_ws, "marketer"))
    customers = q(demo_ws, "SELECT count(*) FROM customers")[0][0]
    revenue = q(demo_ws, "SELECT sum(total) FROM orders WHERE status = 'completed'")[0][0]
    assert sum(s["customers"] for s in ov["segments"]) == customers == ov["customers"]
    assert ov["revenue"] == pytest.approx(revenue, abs=0.05)
    assert sum(s["revenue_share"] for s in ov["segments"]) == pytest.approx(1.0, abs=0.001)
    names = {s["segment"] for s in ov["segments"]}
    assert {"Champions", "Hibernating"} <= names
    champions = next(s for s in ov["segments"] if s["segment"] == "Champions")
    hibernating = next(s for s in ov["segments"] if s["segment"] == "Hibernating")
    assert champions["average_recency_days"] < hibernating["average_recency_days"]
    by_filter = find_customers(ctx_for(demo_ws, "marketer"), segment="champions")
    assert by_filter["count"] == champions["customers"]


def test_roles_and_bad_filters(demo_ws):
    with pytest.raises(PermissionDenied):
        find_customers(ctx_for(demo_ws, "support"), segment="Champions")
    ctx = ctx_for(demo_ws, "marketer")
    with pytest.raises(NotFoundError, match="segment"):
        find_customers(ctx, segment="Champs")
    # A small typo resolves as in every other tool; a name too far off is suggested.
    assert find_customers(ctx, category="Kitchn")["filters"]["category"] == "Kitchen"
    with pytest.raises(NotFoundError) as err:
        find_customers(ctx, category="Kitchenware")
    assert "Kitchen" in err.value.suggestions
    with pytest.raises(UserError, match="churn risk"):
        find_customers(ctx, churn_risk="extreme")


def test_cli_profile_audience_segments(demo_dir, tmp_path, manifest):
    runner = CliRunner()
    cid = manifest["browsers"][0]["customer_id"]
    out = runner.invoke(
        app, ["profile", cid, "--role", "marketer", "--json", "--data-dir", str(demo_dir)]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["customer_id"] == cid and "email" not in data["identity"]
    out = runner.invoke(app, ["profile", "NOPE-1", "--data-dir", str(demo_dir)])
    assert out.exit_code == 2 and "no such customer" in out.output and "Traceback" not in out.output
    path = tmp_path / "aud.csv"
    out = runner.invoke(
        app,
        [
            "audience",
            "--segment",
            "At risk",
            "--csv",
            str(path),
            "--json",
            "--data-dir",
            str(demo_dir),
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["customer_id"] and len(rows) - 1 == data["count"] > 0
    out = runner.invoke(app, ["segments", "--data-dir", str(demo_dir)])
    assert out.exit_code == 0 and "Champions" in out.output


def test_tools_accept_the_planners_arguments(demo_ws, manifest):
    from tools.toolbox import Toolbox

    marketer = Toolbox(ctx_for(demo_ws, "marketer"))
    aurora = next(d for d in manifest["defects"] if d["aspect"] == "battery")["product_id"]
    res = marketer.call("find_customers", product_id=aurora, k=3).result
    expected = q(
        demo_ws,
        "SELECT count(DISTINCT o.customer_id) FROM orders o JOIN order_items i USING (order_id) "
        "WHERE o.status = 'completed' AND i.product_id = ?",
        [aurora],
    )[0][0]
    assert res["count"] == expected > 3
    assert len(res["customers"]) == 3 and len(res["sample_ids"]) == 3
    assert all(set(c) >= {"customer_id", "segment", "spend"} for c in res["customers"])
    single = marketer.call("find_customers", segment="Loyal", churn_risk="high").result
    assert single["filters"] == {"segment": ["Loyal"], "churn_risk": ["high"]}
    assert marketer.call("customer_profile", customer_id="nobody").result["error"] == (
        "NotFoundError"
    )
    support = Toolbox(ctx_for(demo_ws, "support"))
    assert support.call("find_customers", segment="Loyal").result["error"] == "PermissionDenied"


def test_profile_of_a_customer_who_never_ordered(demo_ws):
    rows = q(
        demo_ws,
        "SELECT customer_id FROM customers c WHERE NOT EXISTS "
        "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id) ORDER BY 1 LIMIT 1",
    )
    if not rows:
        pytest.skip("every demo customer has ordered")
    p = customer_profile(ctx_for(demo_ws), rows[0][0])
    json.dumps(p, allow_nan=False)  # strict JSON: no NaN leaks out of pandas
    assert p["segment"] == "Prospect" and p["spend"] == 0
    assert p["churn"]["risk"] is None and p["rfm"]["recency_days"] is None
    assert p["orders"]["recent"] == [] and p["clv"]["estimate"] == 0


def test_complained_about_a_product_means_about_that_product(demo_ws):
    """ "Customers who complained about X": a negative review of X, or a ticket naming X on
    an order of it; not a bad review of anything by a buyer of X."""
    ctx = ctx_for(demo_ws, "marketer")
    pid = q(demo_ws, "SELECT product_id FROM products WHERE title LIKE 'Stridex Tempo 3%'")[0][0]
    about = find_customers(ctx, sentiment="negative", product_id=pid, all_ids=True)
    reviewers = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT r.customer_id FROM reviews r JOIN review_sentiment s USING (review_id) "
            "WHERE r.product_id = ? AND s.label = 'negative'",
            [pid],
        )
    }
    ticketed = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT t.customer_id FROM tickets t JOIN order_items i USING (order_id) "
            "JOIN products p USING (product_id) WHERE p.product_id = ? "
            "AND strpos(lower(t.text), lower(trim(split_part(p.title, ',', 1)))) > 0",
            [pid],
        )
    }
    assert reviewers and ticketed - reviewers
    assert set(about["ids"]) == reviewers | ticketed
    assert about["filters"] == {"product_id": pid, "sentiment": "negative"}
    assert f"labelled negative ({len(reviewers)})" in about["built"]
    assert about["built"].endswith(f"-> {about['count']} of {about['of_customers']} customers")
    # The aspect form is scoped the same way: complaints about quality of this product.
    quality = find_customers(ctx, aspect="quality", product_id=pid, all_ids=True)
    expected = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT DISTINCT r.customer_id FROM review_aspects a JOIN reviews r USING (review_id) "
            "WHERE a.aspect = 'quality' AND a.polarity = 'negative' AND r.product_id = ?",
            [pid],
        )
    }
    assert set(quality["ids"]) == expected
    # A plain audience says how it was built too.
    plain = find_customers(ctx, segment="Loyal", category="Kitchen")
    assert plain["built"] == f"in segment Loyal; bought in Kitchen -> {plain['count']} of " + (
        f"{plain['of_customers']} customers"
    )
