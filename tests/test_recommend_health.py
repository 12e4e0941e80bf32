"""Products with a live complaint spike or wave of returns are held back from recommendations."""

from __future__ import annotations

import json
from datetime import timedelta

from tools.context import ToolContext
from tools.recommend import recommend_batch, recommend_for_customer
from tools.recsys.health import held_back


def _ctx(ws) -> ToolContext:
    return ToolContext(cursor=ws.cursor, role="marketer", models_dir=ws.settings.models_dir)


def _independent_spikes(cur) -> set[str]:
    """Recomputed in Python from raw rows: >=10 recent reviews with >=50% negative, or
    >=20 recent orders with >=30% returned (90 days back from the shop's latest record)."""
    last_review = cur.execute("SELECT max(created_at) FROM reviews").fetchone()[0]
    labels = dict(cur.execute("SELECT review_id, label FROM review_sentiment").fetchall())
    reviews: dict[str, list[bool]] = {}
    for rid, pid, when in cur.execute(
        "SELECT review_id, product_id, created_at FROM reviews"
    ).fetchall():
        if when > last_review - timedelta(days=90):
            reviews.setdefault(pid, []).append(labels.get(rid) == "negative")
    last_order = cur.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]
    orders: dict[str, dict[str, bool]] = {}
    rows = cur.execute(
        "SELECT i.product_id, o.order_id, o.status, o.ordered_at FROM orders o JOIN order_items i USING (order_id)"
    ).fetchall()
    for pid, oid, status, when in rows:
        if status != "cancelled" and when > last_order - timedelta(days=90):
            orders.setdefault(pid, {})[oid] = status == "returned"
    spikes = {p for p, v in reviews.items() if len(v) >= 10 and sum(v) / len(v) >= 0.5}
    spikes |= {p for p, v in orders.items() if len(v) >= 20 and sum(v.values()) / len(v) >= 0.3}
    return spikes


def test_held_back_matches_an_independent_count_and_the_planted_defects(demo_ws, demo_dir):
    manifest = json.loads((demo_dir / "demo_manifest.json").read_text())
    unhealthy = held_back(_ctx(demo_ws))
    assert set(unhealthy) == _independent_spikes(demo_ws.cursor())
    assert {d["product_id"] for d in manifest["defects"]} <= set(unhealthy)
    assert all("in the last 90 days" in why for why in unhealthy.values())


def test_defective_products_are_never_recommended_and_the_skip_is_reported(demo_ws):
    ctx = _ctx(demo_ws)
    unhealthy = set(held_back(ctx))
    customers = [
        r[0]
        for r in demo_ws.cursor()
        .execute("SELECT customer_id FROM customers ORDER BY 1 LIMIT 400")
        .fetchall()
    ]
    for row in recommend_batch(ctx, customers, k=10):
        assert not unhealthy & set(row["product_ids"]), row
    reported = 0
    for cid in customers[:150]:
        result = recommend_for_customer(ctx, cid, k=10)
        assert not unhealthy & {r["product_id"] for r in result["recommendations"]}
        assert len(result["recommendations"]) == 10
        for skipped in result["held_back"]:
            assert skipped["product_id"] in unhealthy and "returned" in skipped["reason"]
            reported += 1
    assert reported > 0, "some customer's top 10 should have contained a held-back product"
