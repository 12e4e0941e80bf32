"""Recommendations on the demo shop and on a purchases-only shop, checked against SQL and hand counts."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import NotFoundError, UserError
from tools.context import ToolContext
from tools.recommend import (
    bought_together,
    evaluate_recommender,
    recommend_for_customer,
    similar_products,
    train_models,
)
from tools.recsys.data import HALF_LIFE_DAYS, KIND_WEIGHTS, build_interactions
from tools.recsys.evaluate import split_last_out


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return ToolContext(demo_ws.cursor, role="marketer", models_dir=demo_ws.settings.models_dir)


def q(ws, sql, params=()):
    return ws.cursor().execute(sql, list(params)).fetchall()


def bought_by(ws, cid):
    return {
        r[0]
        for r in q(
            ws,
            "SELECT i.product_id FROM orders o JOIN order_items i USING (order_id) "
            "WHERE o.customer_id = ? AND o.status IN ('completed', 'returned')",
            [cid],
        )
    }


def touched_by(ws, cid):
    return {
        r[0]
        for r in q(
            ws,
            "SELECT product_id FROM events WHERE customer_id = ? UNION "
            "SELECT product_id FROM reviews WHERE customer_id = ? UNION "
            "SELECT i.product_id FROM orders o JOIN order_items i USING (order_id) "
            "WHERE o.customer_id = ?",
            [cid, cid, cid],
        )
    }


def test_recommendations_exclude_bought_items_and_explain_themselves(demo_ws, ctx):
    buyers = q(
        demo_ws,
        "SELECT customer_id FROM orders WHERE status = 'completed' GROUP BY 1 "
        "ORDER BY count(*) DESC, 1 LIMIT 5",
    )
    for (cid,) in buyers:
        res = recommend_for_customer(ctx, cid, k=10)
        json.dumps(res, allow_nan=False)
        ids = [r["product_id"] for r in res["recommendations"]]
        assert len(ids) == len(set(ids)) == 10
        assert not set(ids) & bought_by(demo_ws, cid)
        assert res["cold_start"] is False
        history = touched_by(demo_ws, cid)
        for item in res["recommendations"]:
            assert item["reason"]
            anchor = next(
                (p for p in res["evidence"]["products"] if p in history and p in item["reason"]),
                None,
            )
            assert anchor is None or anchor in history
        scores = [r["score"] for r in res["recommendations"]]
        assert scores == sorted(scores, reverse=True)


def test_reasons_name_an_item_from_the_customers_own_history(demo_ws, ctx):
    (cid,) = q(
        demo_ws,
        "SELECT customer_id FROM orders WHERE status = 'completed' GROUP BY 1 "
        "ORDER BY count(*) DESC, 1 LIMIT 1",
    )[0]
    res = recommend_for_customer(ctx, cid, k=10)
    history = touched_by(demo_ws, cid)
    titles = dict(q(demo_ws, "SELECT product_id, title FROM products"))
    named = [r for r in res["recommendations"] if r["scorer"] in ("knn", "content", "als")]
    assert named
    for r in named:
        hist_titles = [titles[p] for p in history if titles.get(p) and titles[p] in r["reason"]]
        assert hist_titles or "tastes like yours" in r["reason"], r


def test_browsing_is_reflected_in_recommendations(demo_ws, ctx, manifest):
    cats = dict(q(demo_ws, "SELECT product_id, category FROM products"))
    share_in_catalogue = {}
    for b in manifest["browsers"]:
        res = recommend_for_customer(ctx, b["customer_id"], k=10)
        in_cat = [r for r in res["recommendations"] if cats[r["product_id"]] == b["category"]]
        share_in_catalogue[b["category"]] = sum(c == b["category"] for c in cats.values()) / len(
            cats
        )
        # They never bought there, yet the browsed category dominates their list.
        assert len(in_cat) >= 3, (b, res["recommendations"])
        assert len(in_cat) / 10 > 2 * share_in_catalogue[b["category"]]
        filtered = recommend_for_customer(ctx, b["customer_id"], k=5, category=b["category"])
        assert {cats[r["product_id"]] for r in filtered["recommendations"]} == {b["category"]}


def test_cold_start_customer_gets_best_sellers(demo_ws, ctx):
    rows = q(
        demo_ws,
        "SELECT customer_id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o "
        "WHERE o.customer_id = c.customer_id) AND NOT EXISTS (SELECT 1 FROM events e "
        "WHERE e.customer_id = c.customer_id) AND NOT EXISTS (SELECT 1 FROM reviews r "
        "WHERE r.customer_id = c.customer_id) ORDER BY 1 LIMIT 1",
    )
    if not rows:
        pytest.skip("every demo customer has some history")
    res = recommend_for_customer(ctx, rows[0][0], k=5)
    assert res["cold_start"] is True
    top_sellers = {
        r[0]
        for r in q(
            demo_ws,
            "SELECT i.product_id FROM orders o JOIN order_items i USING (order_id) "
            "WHERE o.status = 'completed' GROUP BY 1 ORDER BY sum(i.quantity) DESC LIMIT 30",
        )
    }
    assert {r["product_id"] for r in res["recommendations"]} <= top_sellers


def test_unknown_ids_and_bad_arguments(ctx, manifest):
    real = manifest["browsers"][0]["customer_id"]
    with pytest.raises(NotFoundError) as err:
        recommend_for_customer(ctx, real + "0")
    assert real in err.value.suggestions
    with pytest.raises(NotFoundError):
        similar_products(ctx, "P99999")
    # Singular or plural is the same category in every tool; a name too far off is not.
    assert recommend_for_customer(ctx, real, category="Headphone")["category"] == "Headphones"
    with pytest.raises(NotFoundError) as err:
        recommend_for_customer(ctx, real, category="Headsets")
    assert "Headphones" in err.value.suggestions
    with pytest.raises(UserError):
        recommend_for_customer(ctx, real, k=0)


def test_similar_products_and_bought_together(demo_ws, ctx, manifest):
    aurora = next(d for d in manifest["defects"] if d["aspect"] == "battery")["product_id"]
    sim = similar_products(ctx, aurora, k=5)
    ids = [s["product_id"] for s in sim["similar"]]
    assert aurora not in ids and len(ids) == 5
    cats = dict(q(demo_ws, "SELECT product_id, category FROM products"))
    assert sum(cats[p] == cats[aurora] for p in ids) >= 3
    bt = bought_together(ctx, aurora, k=5)
    expected = q(
        demo_ws,
        """SELECT i.product_id, count(DISTINCT i.order_id) FROM order_items i
           JOIN orders o USING (order_id)
           WHERE o.status <> 'cancelled' AND i.product_id <> ? AND i.order_id IN
               (SELECT order_id FROM order_items WHERE product_id = ?)
           GROUP BY 1 ORDER BY 2 DESC""",
        [aurora, aurora],
    )
    counts = dict(expected)
    base = q(
        demo_ws,
        "SELECT count(DISTINCT order_id) FROM order_items JOIN orders USING (order_id) "
        "WHERE product_id = ? AND status <> 'cancelled'",
        [aurora],
    )[0][0]
    assert bt["orders_with_product"] == base
    for item in bt["bought_together"]:
        assert item["orders_together"] == counts[item["product_id"]]
    got = [i["orders_together"] for i in bt["bought_together"]]
    assert got == sorted(got, reverse=True)
    if expected:
        assert got[0] == expected[0][1]


def test_blend_beats_every_single_scorer_on_the_demo_shop(demo_ws):
    res = evaluate_recommender(demo_ws.conn, demo_ws.settings.models_dir, None, k=10)
    r = res["results"]
    assert res["users"] > 1000
    for single in ("als", "knn", "popularity"):
        assert r["blend"]["recall@10"] > r[single]["recall@10"], (single, r)
        assert r["blend"]["ndcg@10"] > r[single]["ndcg@10"], (single, r)


def test_leave_last_out_holds_out_the_last_new_product_and_the_future():
    t = pd.Timestamp
    events = pd.DataFrame(
        [
            ("A", "p1", t("2025-01-01"), "purchase", 1),
            ("A", "p2", t("2025-02-01"), "purchase", 1),
            ("A", "p3", t("2025-02-20"), "view", 1),  # before the held-out order: kept
            ("A", "p3", t("2025-03-01"), "purchase", 1),  # held out
            ("A", "p1", t("2025-04-01"), "purchase", 1),  # a repeat, after: removed
            ("A", "p4", t("2025-03-05"), "view", 1),  # after: removed
            ("B", "p1", t("2025-01-01"), "purchase", 1),  # one product only: not evaluated
            ("B", "p1", t("2025-05-01"), "purchase", 1),
        ],
        columns=["customer_id", "product_id", "at", "kind", "qty"],
    )
    train, held = split_last_out(events)
    assert held[["customer_id", "product_id"]].values.tolist() == [["A", "p3"]]
    kept = set(map(tuple, train[["customer_id", "product_id", "kind"]].values.tolist()))
    assert kept == {
        ("A", "p1", "purchase"),
        ("A", "p2", "purchase"),
        ("A", "p3", "view"),
        ("B", "p1", "purchase"),
    }
    assert len(train) == 5  # B's two purchases and A's three earlier rows


def test_recent_behaviour_weighs_more_than_old():
    t = pd.Timestamp
    events = pd.DataFrame(
        [
            ("A", "old", t("2024-01-01"), "view", 1),
            ("A", "new", t("2025-01-01"), "view", 1),
        ],
        columns=["customer_id", "product_id", "at", "kind", "qty"],
    )
    reviews = pd.DataFrame(columns=["customer_id", "product_id", "rating", "at"])
    data = build_interactions(events, reviews, np.array(["old", "new"], dtype=object))
    w = data.weights.toarray()[0]
    age = (t("2025-01-01") - t("2024-01-01")).days
    assert w[1] == pytest.approx(math.log1p(KIND_WEIGHTS["view"]), rel=1e-5)
    assert w[0] == pytest.approx(
        math.log1p(KIND_WEIGHTS["view"] * max(0.5 ** (age / HALF_LIFE_DAYS), 0.25)), rel=1e-5
    )
    assert w[0] < w[1]


def _purchases_only_shop(conn):
    """Three taste groups, purchases only: no events, no reviews."""
    rng = np.random.default_rng(3)
    conn.execute(
        "INSERT INTO products (product_id, title, category, price) "
        "SELECT 'X' || i, 'item ' || i, 'cat' || (i % 3), 10 FROM range(30) t(i)"
    )
    conn.execute("INSERT INTO customers (customer_id) SELECT 'u' || i FROM range(120) t(i)")
    rows, items = [], []
    for u in range(120):
        group = u % 3
        for n, p in enumerate(rng.choice(10, 4, replace=False)):
            oid = f"o{u}-{n}"
            rows.append(
                (
                    oid,
                    f"u{u}",
                    pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(n * 30 + u)),
                    "completed",
                    10.0,
                )
            )
            items.append((oid, f"X{p * 3 + group}", 1, 10.0))
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", items)


def test_works_on_a_shop_with_purchases_but_no_reviews_or_events(empty_ws, tmp_path):
    _purchases_only_shop(empty_ws.conn)
    summary = train_models(empty_ws.conn, None, tmp_path / "models")
    assert summary["reviews"] == 0 and "als" in summary["scorers"] and "knn" in summary["scorers"]
    ctx = ToolContext(empty_ws.cursor, models_dir=tmp_path / "models")
    res = recommend_for_customer(ctx, "u0", k=5)
    bought = {
        r[0]
        for r in empty_ws.conn.execute(
            "SELECT product_id FROM orders JOIN order_items USING (order_id) WHERE customer_id = 'u0'"
        ).fetchall()
    }
    ids = [r["product_id"] for r in res["recommendations"]]
    assert len(ids) == 5 and not set(ids) & bought
    # u0 is in taste group 0: items X0, X3, ... (category cat0) are what its peers buy.
    assert sum(int(p[1:]) % 3 == 0 for p in ids) >= 4
    assert all(r["reason"] for r in res["recommendations"])


def test_cli_recommend_single_batch_and_evaluate(demo_dir, tmp_path, manifest):
    runner = CliRunner()
    cid = manifest["browsers"][0]["customer_id"]
    single = runner.invoke(
        app, ["recommend", "--customer", cid, "--k", "5", "--json", "--data-dir", str(demo_dir)]
    )
    assert single.exit_code == 0, single.output
    expected = [r["product_id"] for r in json.loads(single.output)["recommendations"]]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(f"{cid}\nNOT-A-CUSTOMER\n{manifest['browsers'][1]['customer_id']}\n")
    batch = runner.invoke(
        app,
        [
            "recommend",
            "--customers",
            str(ids_file),
            "--k",
            "5",
            "--json",
            "--data-dir",
            str(demo_dir),
        ],
    )
    assert batch.exit_code == 0, batch.output
    lines = [json.loads(line) for line in batch.output.strip().splitlines()]
    assert [line["customer_id"] for line in lines] == [
        cid,
        "NOT-A-CUSTOMER",
        manifest["browsers"][1]["customer_id"],
    ]
    assert lines[0]["product_ids"] == expected
    assert "error" in lines[1]
    out = runner.invoke(app, ["evaluate-recommender", "--k", "10", "--data-dir", str(demo_dir)])
    assert out.exit_code == 0, out.output
    for name in ("blend", "als", "knn", "popularity", "Recall@10", "NDCG@10"):
        assert name in out.output


def test_tools_return_errors_as_data(ctx, manifest):
    from tools.toolbox import Toolbox

    toolbox = Toolbox(ctx)
    cid = manifest["browsers"][0]["customer_id"]
    ok = toolbox.call("recommend_for_customer", customer_id=cid, k=3).result
    assert len(ok["recommendations"]) == 3
    missing = toolbox.call("bought_together", product_id="nope", k=3).result
    assert missing["error"] == "NotFoundError" and missing["suggestions"] is not None
