"""Returns counted right: a returned order is still contact, and a returned or panned
product is never the reason for a recommendation. Checked against SQL on the demo shop."""

from __future__ import annotations

import pytest

from tools.context import ToolContext
from tools.customers import customer_profile
from tools.recommend import LOW_STARS, recommend_for_customer


def ctx_for(ws, role="support"):
    return ToolContext(ws.cursor, role=role, models_dir=ws.settings.models_dir)


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def returned_last(demo_ws):
    """Customers whose newest non-cancelled order was returned, after a completed one."""
    rows = q(
        demo_ws,
        """WITH last AS (
               SELECT customer_id,
                      max(ordered_at) FILTER (WHERE status = 'completed') AS kept,
                      max(ordered_at) FILTER (WHERE status = 'returned') AS sent_back
               FROM orders GROUP BY 1)
           SELECT customer_id, date_diff('day', sent_back, (SELECT max(ordered_at) FROM orders)),
                  sent_back::DATE, kept::DATE
           FROM last WHERE kept IS NOT NULL AND sent_back::DATE > kept::DATE
           ORDER BY customer_id LIMIT 25""",
    )
    assert rows, "the demo shop should have customers whose last order was returned"
    return rows


def test_a_returned_order_is_still_contact(demo_ws, returned_last):
    ctx = ctx_for(demo_ws)
    for cid, days, sent_back, kept in returned_last:
        p = customer_profile(ctx, cid)
        assert p["rfm"]["recency_days"] == days, cid
        assert p["churn"]["days_since_last_order"] == days, cid
        assert p["orders"]["last_order"] == sent_back.isoformat(), cid
        assert p["orders"]["last_order_status"] == "returned", cid
        assert p["orders"]["last_returned"] == sent_back.isoformat(), cid
        assert p["orders"]["last_completed"] == kept.isoformat(), cid
        assert "returned" in p["rfm"]["counts"]["recency"]
        assert "completed orders only" in p["rfm"]["counts"]["frequency"]


def test_the_profile_answer_says_the_last_order_was_returned(demo_ws, returned_last):
    from assistant.planner.compose import render_call
    from assistant.planner.thread import Call

    cid, _, sent_back, _ = returned_last[0]
    result = customer_profile(ctx_for(demo_ws), cid)
    text = "\n".join(render_call(Call("c1", "customer_profile", {"customer_id": cid}, result)))
    assert f"last order {sent_back.isoformat()} (returned)" in text


def _negatives(ws) -> dict[str, set[str]]:
    rows = q(
        ws,
        """SELECT o.customer_id, p.title FROM orders o
           JOIN order_items i ON i.order_id = o.order_id
           JOIN products p ON p.product_id = i.product_id WHERE o.status = 'returned'
           UNION
           SELECT r.customer_id, p.title FROM (
               SELECT *, row_number() OVER (PARTITION BY customer_id, product_id
                                            ORDER BY created_at DESC, review_id DESC) AS n
               FROM reviews WHERE customer_id IS NOT NULL) r
           JOIN products p ON p.product_id = r.product_id WHERE r.n = 1 AND r.rating <= ?""",
        [LOW_STARS],
    )
    out: dict[str, set[str]] = {}
    for cid, title in rows:
        out.setdefault(cid, set()).add(title)
    return out


def test_no_reason_is_built_on_a_returned_or_low_rated_product(demo_ws):
    """Property over every customer with a negative signal (the others cannot break it)."""
    ctx = ctx_for(demo_ws)
    negatives = _negatives(demo_ws)
    assert len(negatives) > 50
    checked = 0
    for cid, titles in sorted(negatives.items()):
        result = recommend_for_customer(ctx, cid, k=10)
        assert {s["product_id"] for s in result["negative_signals"]}, cid
        for rec in result["recommendations"]:
            for title in titles:
                assert title not in rec["reason"], (cid, title, rec["reason"])
        checked += 1
    assert checked == len(negatives)


def test_items_like_a_returned_one_rank_lower(demo_ws):
    """With the penalty off, some customer's list holds an item the penalty pushes out."""
    import tools.recommend as rec

    ctx = ctx_for(demo_ws)
    customers = sorted(_negatives(demo_ws))[:40]
    with_penalty = {c: rec.recommend_for_customer(ctx, c, k=5) for c in customers}
    original = rec.DISLIKE_PENALTY
    rec.DISLIKE_PENALTY = 0.0
    try:
        without = {c: rec.recommend_for_customer(ctx, c, k=5) for c in customers}
    finally:
        rec.DISLIKE_PENALTY = original
    changed = [
        c
        for c in customers
        if [r["product_id"] for r in with_penalty[c]["recommendations"]]
        != [r["product_id"] for r in without[c]["recommendations"]]
    ]
    assert changed
