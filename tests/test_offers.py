"""What to offer one customer: options from the rules file, each with its reason and
records, checked against SQL on the demo shop."""

from __future__ import annotations

import pytest

from assistant.errors import PermissionDenied, UserError
from tools import offers
from tools.toolbox import Toolbox


def ctx_for(ws, role="support"):
    return ws.tool_context(role)


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


def test_rules_file_loads_and_a_wrong_rule_is_named():
    rules = offers.load_rules()
    assert 1 <= rules.max_options <= 3
    text = offers.RULES_FILE.read_text()
    with pytest.raises(UserError, match=r"options\[0\]\.kind 'voucher_rain'"):
        offers.parse_rules(text.replace("kind: replacement", "kind: voucher_rain"))
    with pytest.raises(UserError, match="max_options"):
        offers.parse_rules(text.replace("max_options: 3", "max_options: 9"))
    with pytest.raises(UserError, match="unknown"):
        offers.parse_rules(text.replace("risk: [high, medium]", "risk: [hot]"))


SPIKE_SQL = """
WITH latest AS (SELECT max(created_at) AS at FROM reviews),
recent AS (
    SELECT product_id, count(*) AS n, count(*) FILTER (WHERE rating <= 2) AS low
    FROM reviews, latest WHERE created_at > latest.at - to_days(?::INTEGER) GROUP BY 1)
SELECT t.customer_id, t.ticket_id, t.order_id, r.product_id
FROM tickets t JOIN order_items i ON i.order_id = t.order_id
JOIN recent r ON r.product_id = i.product_id
WHERE lower(coalesce(t.status, 'open')) NOT IN ('closed', 'resolved', 'solved')
  AND r.low >= ? AND r.low / r.n >= ?
ORDER BY t.opened_at DESC, t.ticket_id LIMIT 1
"""


def test_an_open_ticket_on_a_spiking_product_gets_a_replacement_first(demo_ws):
    s = offers.load_rules().complaint_spike
    rows = q(demo_ws, SPIKE_SQL, [s.window_days, s.min_reviews, s.min_share])
    assert rows, "the demo shop's defects should give some open ticket a complaint spike"
    cid, tid, oid, pid = rows[0]
    result = offers.offer_for_customer(ctx_for(demo_ws), cid)
    first = result["options"][0]
    assert first["kind"] == "replacement"
    assert oid in first["evidence"]["orders"]
    replaced = first["evidence"]["products"][0]
    low = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT review_id FROM reviews WHERE product_id = ? AND rating <= 2",
            [replaced],
        )
    }
    assert first["evidence"]["reviews"] and set(first["evidence"]["reviews"]) <= low
    assert first["evidence"]["tickets"][0] in {
        r[0] for r in q(demo_ws, "SELECT ticket_id FROM tickets WHERE customer_id = ?", [cid])
    }


def test_options_are_one_to_three_with_reasons_and_records(demo_ws):
    ctx = ctx_for(demo_ws)
    customers = [r[0] for r in q(demo_ws, "SELECT customer_id FROM customers ORDER BY 1 LIMIT 30")]
    kinds = set()
    for cid in customers:
        r = offers.offer_for_customer(ctx, cid)
        assert 1 <= r["n"] <= 3, (cid, r)
        for o in r["options"]:
            assert o["reason"] and o["text"] and any(o["evidence"].values()), (cid, o)
            kinds.add(o["kind"])
    assert {"discount", "products"} <= kinds


def test_the_discount_tier_follows_value_and_risk_from_the_rules(demo_ws, monkeypatch):
    ctx = ctx_for(demo_ws)
    from tools.customers import shop_table

    table, _ = shop_table(ctx)
    row = (
        table[(table["m"] >= 4) & (table["churn_risk"] == "high")]
        .sort_values("customer_id")
        .iloc[0]
    )
    text = offers.RULES_FILE.read_text()
    only_discount = offers.parse_rules(
        text.replace("max_options: 3", "max_options: 1").replace("percent: 20", "percent: 35")
    )
    only_discount.options = [o for o in only_discount.options if o.kind == "discount"]
    monkeypatch.setattr(offers, "load_rules", lambda: only_discount)
    r = offers.offer_for_customer(ctx, row["customer_id"])
    assert [o["kind"] for o in r["options"]] == ["discount"]
    assert r["options"][0]["text"].startswith("A 35% voucher")


def test_only_support_and_admin_may_ask(demo_ws):
    cid = q(demo_ws, "SELECT customer_id FROM customers ORDER BY 1 LIMIT 1")[0][0]
    out = Toolbox(ctx_for(demo_ws, "marketer")).call("offer_for_customer", customer_id=cid)
    assert isinstance(out.error, PermissionDenied)
    assert Toolbox(ctx_for(demo_ws, "admin")).call("offer_for_customer", customer_id=cid).ok
