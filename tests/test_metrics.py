"""Sales metrics against independent SQL on the demo shop and hand-counted figures on a tiny shop."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import NotFoundError, UserError
from tools.context import ToolContext
from tools.metrics import sales_metrics


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return ToolContext(demo_ws.cursor, role="marketer")


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


def test_revenue_by_month_matches_sql(demo_ws, ctx):
    res = sales_metrics(ctx, "revenue", group_by="month", since="2025-01-01", until="2025-12-31")
    expected = q(
        demo_ws,
        """SELECT strftime(o.ordered_at, '%Y-%m-01'), sum(i.quantity * i.unit_price),
                  count(DISTINCT o.order_id)
           FROM orders o JOIN order_items i USING (order_id)
           WHERE o.status = 'completed' AND o.ordered_at >= '2025-01-01' AND o.ordered_at < '2026-01-01'
           GROUP BY 1 ORDER BY 1""",
    )
    assert [(r["group"], r["n"]) for r in res["rows"]] == [(m, n) for m, _, n in expected]
    for row, (_, value, _) in zip(res["rows"], expected, strict=True):
        assert row["value"] == pytest.approx(value, abs=0.01)
    assert res["total"] == pytest.approx(sum(v for _, v, _ in expected), abs=0.05)
    assert len(res["rows"]) == 12


def test_average_rating_of_a_category_by_month(demo_ws, ctx):
    res = sales_metrics(ctx, "average_rating", group_by="month", category="kitchen")
    expected = q(
        demo_ws,
        """SELECT strftime(r.created_at, '%Y-%m-01'), avg(r.rating), count(*)
           FROM reviews r JOIN products p USING (product_id) WHERE p.category = 'Kitchen'
           GROUP BY 1 ORDER BY 1""",
    )
    assert res["filters"] == {"category": "Kitchen"}
    assert len(res["rows"]) == len(expected) > 6
    for row, (month, avg, n) in zip(res["rows"], expected, strict=True):
        assert row["group"] == month and row["n"] == n
        assert row["value"] == pytest.approx(avg, abs=0.005)


def test_aurora_rating_drops_after_the_planted_defect(demo_ws, ctx, demo_dir):
    manifest = json.loads((demo_dir / "demo_manifest.json").read_text())
    defect = next(d for d in manifest["defects"] if d["aspect"] == "battery")
    before = sales_metrics(
        ctx, "average_rating", product_id=defect["product_id"], until="2026-02-28"
    )
    after = sales_metrics(
        ctx, "average_rating", product_id=defect["product_id"], since=defect["since"]
    )
    assert after["total"] < before["total"] - 0.5
    n_after = q(
        demo_ws,
        "SELECT count(*) FROM reviews WHERE product_id = ? AND created_at >= ?",
        [defect["product_id"], defect["since"]],
    )[0][0]
    assert after["n"] == n_after


def test_return_rate_and_units_by_category(demo_ws, ctx):
    res = sales_metrics(ctx, "return_rate", group_by="category")
    expected = {
        cat: (ret / tot, tot)
        for cat, ret, tot in q(
            demo_ws,
            """SELECT p.category,
                      count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned'),
                      count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))
               FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
               GROUP BY 1""",
        )
    }
    assert {r["group"] for r in res["rows"]} == set(expected)
    for r in res["rows"]:
        assert r["value"] == pytest.approx(expected[r["group"]][0], abs=1e-4)
        assert r["n"] == expected[r["group"]][1]
    values = [r["value"] for r in res["rows"]]
    assert values == sorted(values, reverse=True)
    units = sales_metrics(ctx, "units", group_by="country", since="2026-01-01")
    expected_units = dict(
        q(
            demo_ws,
            """SELECT c.country, sum(i.quantity) FROM orders o JOIN order_items i USING (order_id)
               JOIN customers c USING (customer_id)
               WHERE o.status = 'completed' AND o.ordered_at >= '2026-01-01' GROUP BY 1""",
        )
    )
    assert {r["group"]: r["value"] for r in units["rows"]} == expected_units


def _tiny_shop(conn):
    conn.execute(
        "INSERT INTO products VALUES ('A', 'Alpha', 'Acme', 'Toys', 5, 'EUR', NULL, NULL),"
        " ('B', 'Beta', 'Bolt', 'Garden', 20, 'EUR', NULL, NULL)"
    )
    conn.execute("INSERT INTO customers (customer_id, country) VALUES ('c1', 'DE'), ('c2', 'FR')")
    conn.execute(
        """INSERT INTO orders VALUES
           ('o1', 'c1', '2026-03-01 10:00', 'completed', 30),
           ('o2', 'c1', '2026-03-31 23:59', 'returned', 20),
           ('o3', 'c2', '2026-04-01 00:00', 'completed', 5),
           ('o4', 'c2', '2026-03-15 12:00', 'cancelled', 20)"""
    )
    conn.execute(
        """INSERT INTO order_items VALUES ('o1', 'A', 2, 5), ('o1', 'B', 1, 20),
           ('o2', 'B', 1, 20), ('o3', 'A', 1, 5), ('o4', 'B', 1, 20)"""
    )
    conn.execute(
        """INSERT INTO reviews (review_id, product_id, customer_id, rating, created_at) VALUES
           ('r1', 'A', 'c1', 5, '2026-03-02'), ('r2', 'A', 'c2', 2, '2026-04-02'),
           ('r3', 'B', 'c1', 4, '2026-03-03')"""
    )


def test_hand_counted_figures_and_inclusive_periods(empty_ws):
    _tiny_shop(empty_ws.conn)
    ctx = ToolContext(empty_ws.cursor)
    march = {"since": "2026-03-01", "until": "2026-03-31"}
    # o1 only (o2 returned, o4 cancelled): 2*5 + 20.
    assert sales_metrics(ctx, "revenue", **march)["total"] == 30.0
    # Not cancelled: o1, o2 (23:59 on the last day counts).
    assert sales_metrics(ctx, "orders", **march)["total"] == 2
    assert sales_metrics(ctx, "units", **march)["total"] == 3
    assert sales_metrics(ctx, "return_rate", **march)["total"] == 0.5
    assert sales_metrics(ctx, "revenue", since="2026-04-01")["total"] == 5.0
    assert sales_metrics(ctx, "revenue", country="fr")["total"] == 5.0
    assert sales_metrics(ctx, "revenue", brand="acme")["total"] == 15.0
    by_product = sales_metrics(ctx, "units", group_by="product")
    assert [(r["group"], r["value"], r.get("title")) for r in by_product["rows"]] == [
        ("A", 3, "Alpha"),
        ("B", 1, "Beta"),
    ]
    assert by_product["evidence"]["products"] == ["A", "B"]
    ratings = sales_metrics(ctx, "average_rating", group_by="week", category="Toys")
    assert [(r["group"], r["value"]) for r in ratings["rows"]] == [
        ("2026-03-02", 5.0),
        ("2026-03-30", 2.0),
    ]
    assert sales_metrics(ctx, "review_count", since="2026-03-03")["total"] == 2


def test_bad_arguments_are_clear_errors(empty_ws):
    _tiny_shop(empty_ws.conn)
    ctx = ToolContext(empty_ws.cursor)
    with pytest.raises(UserError, match="unknown metric"):
        sales_metrics(ctx, "profit")
    with pytest.raises(UserError, match="group by"):
        sales_metrics(ctx, "revenue", group_by="hour")
    with pytest.raises(UserError, match="since must be a date"):
        sales_metrics(ctx, "revenue", since="March")
    with pytest.raises(UserError, match="after"):
        sales_metrics(ctx, "revenue", since="2026-05-01", until="2026-04-01")
    # A small typo resolves as in every other tool; a name too far off is suggested.
    assert sales_metrics(ctx, "revenue", category="Gardn")["filters"]["category"] == "Garden"
    with pytest.raises(NotFoundError) as err:
        sales_metrics(ctx, "revenue", category="Gard")
    assert "Garden" in err.value.suggestions
    with pytest.raises(NotFoundError):
        sales_metrics(ctx, "revenue", product_id="Z")


def test_tool_and_cli(demo_dir, ctx):
    from tools.toolbox import Toolbox

    bad = Toolbox(ctx).call("sales_metrics", metric="revenue", since="nope").result
    assert bad["error"] == "UserError" and "since" in bad["message"]
    out = CliRunner().invoke(
        app,
        [
            "metrics",
            "orders",
            "--by",
            "month",
            "--since",
            "2026-01-01",
            "--json",
            "--data-dir",
            str(demo_dir),
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["metric"] == "orders" and data["rows"][0]["group"] == "2026-01-01"


def test_one_definition_sales_metrics_agrees_with_analyze(empty_ws):
    from tools.analyze import analyze
    from tools.metrics import METRICS

    _tiny_shop(empty_ws.conn)
    ctx = ToolContext(empty_ws.cursor)
    for metric in METRICS:
        for scope in ({}, {"since": "2026-03-01", "until": "2026-03-31"}):
            old = sales_metrics(ctx, metric, group_by="product", **scope)
            new = analyze(ctx, metric, by=["product"], min_n=1, **scope)
            assert (old["total"], old["n"]) == (new["total"]["value"], new["total"]["n"]), metric
            assert {r["group"]: r["value"] for r in old["rows"]} == {
                r["keys"]["product"]: r["value"] for r in new["rows"]
            }, metric
