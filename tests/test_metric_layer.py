"""The metric layer's compiler and the analyze engine on a tiny in-memory shop whose
figures are counted by hand: hostile values stay data, bad requests and a bad yaml are
errors naming what was wrong."""

from __future__ import annotations

import math

import duckdb
import pytest

from assistant.data.schema import migrate
from assistant.errors import NotFoundError, UserError
from tools import metric_layer as ml
from tools.analyze import analyze
from tools.context import ToolContext
from tools.sentiment import ASPECTS_TABLE


def _shop() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    migrate(conn)
    conn.execute(ASPECTS_TABLE)
    conn.execute(
        "INSERT INTO products VALUES ('A', 'Alpha', 'Acme', 'Toys', 5, 'EUR', NULL, NULL),"
        " ('B', 'Beta', 'Bolt', 'Garden', 20, 'EUR', NULL, NULL)"
    )
    conn.execute(
        "INSERT INTO customers (customer_id, country, city, channel) VALUES"
        " ('c1', 'DE', 'Berlin', 'email'), ('c2', 'FR', 'Paris', 'social')"
    )
    conn.execute(
        """INSERT INTO orders VALUES
           ('o1', 'c1', '2026-03-01 10:00', 'completed', 30),
           ('o2', 'c1', '2026-03-31 23:59', 'returned', 20),
           ('o3', 'c2', '2026-04-01 00:00', 'completed', 5),
           ('o4', 'c2', '2026-03-15 12:00', 'cancelled', 20),
           ('o5', 'c1', '2026-02-10 09:00', 'completed', 40)"""
    )
    conn.execute(
        """INSERT INTO order_items VALUES ('o1', 'A', 2, 5), ('o1', 'B', 1, 20),
           ('o2', 'B', 1, 20), ('o3', 'A', 1, 5), ('o4', 'B', 1, 20), ('o5', 'B', 2, 20)"""
    )
    conn.execute(
        """INSERT INTO reviews (review_id, product_id, customer_id, rating, created_at, verified)
           VALUES ('r1', 'A', 'c1', 5, '2026-03-02', true), ('r2', 'A', 'c2', 2, '2026-04-02', false),
                  ('r3', 'B', 'c1', 4, '2026-03-03', true), ('r4', 'B', 'c2', 1, '2026-03-20', NULL)"""
    )
    conn.execute(
        """INSERT INTO review_sentiment VALUES ('r1', 'positive', 0.9, 'h', 'm'),
           ('r2', 'negative', -0.5, 'h', 'm'), ('r3', 'positive', 0.4, 'h', 'm'),
           ('r4', 'negative', -0.8, 'h', 'm')"""
    )
    conn.execute(
        """INSERT INTO review_aspects (review_id, aspect, polarity, score) VALUES
           ('r2', 'delivery', 'negative', -0.6), ('r2', 'delivery', 'negative', -0.2),
           ('r2', 'price', 'positive', 0.3), ('r3', 'delivery', 'positive', 0.5),
           ('r4', 'quality', 'negative', -0.9)"""
    )
    conn.execute(
        """INSERT INTO tickets (ticket_id, customer_id, opened_at, status) VALUES
           ('t1', 'c1', '2026-03-05', 'open'), ('t2', 'c2', '2026-03-06', 'closed'),
           ('t3', 'c2', '2026-04-06', NULL)"""
    )
    conn.execute(
        """INSERT INTO events (event_id, customer_id, product_id, event_type, "at") VALUES
           ('e1', 'c1', 'A', 'view', '2026-02-28'), ('e2', 'c1', 'A', 'view', '2026-02-28 10:00'),
           ('e3', 'c2', 'B', 'view', '2026-03-01'), ('e4', 'c2', 'A', 'view', '2026-04-02'),
           ('e5', 'c2', 'A', 'cart', '2026-03-02')"""
    )
    return conn


@pytest.fixture
def ctx():
    conn = _shop()
    yield ToolContext(conn.cursor)
    conn.close()


def total(ctx, metric, **kw):
    return analyze(ctx, metric, **kw)["total"]["value"]


def test_hand_counted_figures(ctx):
    march = {"since": "2026-03-01", "until": "2026-03-31"}
    assert total(ctx, "revenue", **march) == 30.0  # o1 only: 2*5 + 20
    assert total(ctx, "orders", **march) == 2  # o1, o2 (o4 cancelled; 23:59 counts)
    assert total(ctx, "units", **march) == 3
    assert total(ctx, "average_order_value") == pytest.approx((30 + 5 + 40) / 3, abs=0.01)
    assert total(ctx, "customers", **march) == 1
    assert total(ctx, "return_rate", **march) == 0.5
    assert total(ctx, "cancel_rate", **march) == pytest.approx(1 / 3, abs=1e-4)
    assert total(ctx, "average_rating", filters={"verified": True}) == 4.5
    assert total(ctx, "review_count", filters={"rating": [1, 2]}) == 2
    assert total(ctx, "negative_share") == 0.5
    assert total(ctx, "aspect_complaint_share", filters={"aspect": "delivery"}) == 0.25
    assert total(ctx, "aspect_praise_share", filters={"aspect": "delivery"}) == 0.25
    # Reviews naming delivery (r2, r3) for a metric that is not about one aspect.
    assert total(ctx, "review_count", filters={"aspect": "delivery"}) == 2
    assert total(ctx, "views") == 4 and total(ctx, "carts") == 1
    # View pairs (c1, A), (c2, B), (c2, A); c1 bought A on 03-01 after viewing it on
    # 02-28, c2 never bought B after viewing it and bought A before viewing it.
    assert total(ctx, "conversion_rate") == pytest.approx(1 / 3, abs=1e-4)
    assert total(ctx, "tickets", **march) == 2 and total(ctx, "open_tickets") == 2


def test_groups_rows_labels_and_evidence(ctx):
    res = analyze(ctx, "revenue", by=["product"])
    assert [(r["keys"], r["label"], r["value"], r["n"]) for r in res["rows"]] == [
        ({"product": "B"}, "Beta (B)", 60.0, 2),
        ({"product": "A"}, "Alpha (A)", 15.0, 2),
    ]
    assert res["rows"][0]["evidence"] == ["o1", "o5"]  # latest first, completed only
    assert res["total"]["value"] == 75.0 and res["total"]["keys"] == {}
    months = analyze(ctx, "orders", by=["month"])
    assert [(r["keys"]["month"], r["value"]) for r in months["rows"]] == [
        ("2026-02", 1),
        ("2026-03", 2),
        ("2026-04", 1),
    ]
    assert "orders by month" in months["interpretation"]
    q = analyze(ctx, "review_count", by=["quarter"], filters={"month": "2026-03"})
    assert [(r["label"], r["value"]) for r in q["rows"]] == [("2026-Q1", 3)]
    two = analyze(ctx, "units", by=["country", "month"], sort="value", limit=2)
    assert [(r["label"], r["value"]) for r in two["rows"]] == [
        ("DE, 2026-03", 3),
        ("DE, 2026-02", 2),
    ]
    assert two["notes"] == ["2 of 3 countries × months shown"]
    aspects = analyze(ctx, "aspect_complaint_share", by=["aspect"])
    # The denominator is every review in scope (4), not the reviews naming the aspect.
    assert [(r["label"], r["value"], r["n"]) for r in aspects["rows"]] == [
        ("delivery", 0.25, 4),
        ("quality", 0.25, 4),
        ("price", 0.0, 4),  # mentioned, praised only
    ]
    assert aspects["rows"][0]["evidence"] == ["r2"]


# Each order metric as one aggregate over every order line, distinct orders counted
# with DISTINCT: what the layer's per-order and per-line formulations must equal.
_WIDE = {
    "revenue": "sum(i.quantity * i.unit_price) FILTER (WHERE o.status = 'completed')",
    "units": "sum(i.quantity) FILTER (WHERE o.status = 'completed')",
    "orders": "count(DISTINCT o.order_id) FILTER (WHERE o.status <> 'cancelled')",
    "customers": "count(DISTINCT o.customer_id) FILTER (WHERE o.status <> 'cancelled')",
    "average_order_value": "sum(i.quantity * i.unit_price) FILTER (WHERE o.status = 'completed')"
    " / count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed')",
    "return_rate": "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'returned')::DOUBLE"
    " / count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))",
    "cancel_rate": "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'cancelled')::DOUBLE"
    " / count(DISTINCT o.order_id)",
}
_COMPLETED = "count(DISTINCT o.order_id) FILTER (WHERE o.status = 'completed')"
_WIDE_N = {
    "revenue": _COMPLETED,
    "units": _COMPLETED,
    "average_order_value": _COMPLETED,
    "orders": _WIDE["orders"],
    "customers": _WIDE["orders"],
    "return_rate": "count(DISTINCT o.order_id) FILTER (WHERE o.status IN ('completed', 'returned'))",
    "cancel_rate": "count(DISTINCT o.order_id)",
}
_WIDE_KEY = {
    "product": "p.product_id",
    "category": "p.category",
    "brand": "p.brand",
    "month": "strftime(o.ordered_at, '%Y-%m')",
    "channel": "c.channel",
}


@pytest.mark.parametrize("metric", sorted(_WIDE))
@pytest.mark.parametrize("by", [None, *_WIDE_KEY])
def test_order_metrics_equal_the_wide_join_with_distinct_counts(ctx, metric, by):
    # o6 has two lines in one category (Toys) and brand (Acme), o1 two lines across
    # categories: per-order sums and per-line plain counts must count each order once
    # per group and once in the total.
    cur = ctx.cursor()
    cur.execute("INSERT INTO products VALUES ('C', 'Gamma', 'Acme', 'Toys', 7, 'EUR', NULL, NULL)")
    cur.execute("INSERT INTO orders VALUES ('o6', 'c2', '2026-03-20 08:00', 'returned', 12)")
    cur.execute(
        "INSERT INTO order_items VALUES ('o6', 'A', 1, 5), ('o6', 'C', 1, 7), ('o3', 'C', 3, 7)"
    )
    wide = (
        "FROM orders o LEFT JOIN order_items i ON i.order_id = o.order_id "
        "LEFT JOIN products p ON p.product_id = i.product_id "
        "LEFT JOIN customers c ON c.customer_id = o.customer_id"
    )
    n_sql = _WIDE_N[metric]
    total_value, total_n = cur.execute(f"SELECT {_WIDE[metric]}, {n_sql} {wide}").fetchone()
    res = analyze(ctx, metric, by=[by] if by else [], limit=50, min_n=1)
    assert res["total"]["value"] == pytest.approx(total_value, abs=1e-4)
    assert res["total"]["n"] == total_n
    if by:
        key = _WIDE_KEY[by]
        expected = {
            str(k): (v, n)
            for k, v, n in cur.execute(
                f"SELECT {key}, {_WIDE[metric]}, {n_sql} {wide} WHERE {key} IS NOT NULL GROUP BY 1"
            ).fetchall()
        }
        got = {
            str(r["label"] if by == "month" else r["keys"][by]): (r["value"], r["n"])
            for r in res["rows"]
        }
        assert set(got) == set(expected)
        for k, (v, n) in got.items():
            assert n == expected[k][1], (k, n, expected[k])
            if v is not None and expected[k][0] is not None:
                assert v == pytest.approx(expected[k][0], abs=1e-4), k


def test_product_groups_count_orders_plainly_but_the_total_once(ctx):
    # Grouped by product, an order and a product name at most one line (the store's
    # key): no distinct count is needed there, but the total runs apart, over orders.
    req = ml.request(ctx, "return_rate", ["product"])
    assert ml.total_apart(ml.layer(), req)
    out = ml.run(ctx, req)
    assert all("DISTINCT" not in q.sql for q in out.queries)
    assert out.total.n == 4 and out.total.hits == 1  # o1, o2, o3, o5; o2 returned
    by_category = ml.request(ctx, "return_rate", ["category"])
    assert not ml.total_apart(ml.layer(), by_category)
    assert "DISTINCT" in ml.compile_query(ml.layer(), by_category, by_category.by, True).sql


def test_conversion_counts_a_pair_once_across_groups(ctx):
    # c1 views A again on 03-05, after buying it on 03-01 (o1): that view does not
    # convert, and the pair (c1, A) is one pair in the total though it is in two months.
    ctx.cursor().execute(
        'INSERT INTO events (event_id, customer_id, product_id, event_type, "at") VALUES '
        "('e6', 'c1', 'A', 'view', '2026-03-05'), ('e7', 'c1', 'A', 'search', '2026-03-06')"
    )
    res = analyze(ctx, "conversion_rate", by=["month"])
    assert [(r["label"], r["value"], r["n"]) for r in res["rows"]] == [
        ("2026-02", 1.0, 1),
        ("2026-03", 0.0, 2),
        ("2026-04", 0.0, 1),
    ]
    assert res["total"]["n"] == 3 and res["total"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    # The pair's latest converting view (e2, not e6 which came after the purchase).
    assert res["total"]["evidence"] == ["e2"]
    chan = analyze(ctx, "conversion_rate", by=["channel"], min_n=1)
    assert [(r["label"], r["value"], r["n"]) for r in chan["rows"]] == [
        ("email", 1.0, 1),
        ("social", 0.0, 2),
    ]
    # A pair has one channel: groups and total in one statement; not so for months.
    assert not ml.total_apart(ml.layer(), ml.request(ctx, "conversion_rate", ["channel"]))
    assert ml.total_apart(ml.layer(), ml.request(ctx, "conversion_rate", ["month"]))
    later = analyze(ctx, "conversion_rate", since="2026-03-01")
    assert later["total"]["n"] == 3 and later["total"]["value"] == 0.0


def test_rate_interval_is_the_wilson_interval(ctx):
    row = analyze(ctx, "return_rate", since="2026-03-01", until="2026-03-31")["total"]
    k, n, z = 1, 2, 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert row["ci"] == pytest.approx([centre - half, centre + half], abs=1e-4)
    assert analyze(ctx, "revenue")["total"]["ci"] is None


def test_min_n_sort_and_bottom_n(ctx):
    res = analyze(ctx, "return_rate", by=["product"], order="asc")
    # Rates ranked by product need 10 orders by default: both products are left out.
    assert res["rows"] == [] and res["left_out"] == 2
    assert "fewer than 10" in res["notes"][0]
    res = analyze(ctx, "return_rate", by=["product"], order="asc", min_n=2)
    assert [(r["keys"]["product"], r["value"], r["n"]) for r in res["rows"]] == [
        ("A", 0.0, 2),
        ("B", pytest.approx(1 / 3, abs=1e-4), 3),
    ]
    assert res["interpretation"].startswith("bottom 2 products by return rate")
    assert "at least 2 completed or returned orders per row" in res["interpretation"]
    top = analyze(ctx, "review_count", by=["product"], limit=1)
    assert top["interpretation"].startswith("top 1 product by reviews")


def test_compare_previous_period_with_change(ctx):
    res = analyze(
        ctx, "revenue", by=["product"], since="2026-03-01", until="2026-03-31",
        compare="previous", sort="change", order="asc",
    )  # fmt: skip
    # Whole months: the previous period is the month before, not 31 days.
    assert (res["compare_since"], res["compare_until"]) == ("2026-02-01", "2026-02-28")
    by_id = {r["keys"]["product"]: r for r in res["rows"]}
    assert by_id["B"]["value"] == 20.0 and by_id["B"]["previous"] == 40.0
    assert by_id["B"]["change"] == -20.0 and by_id["B"]["relative_change"] == -0.5
    assert by_id["A"]["previous"] == 0.0 and by_id["A"]["relative_change"] is None
    assert res["rows"][0]["keys"] == {"product": "B"}  # the steepest fall first
    assert "compared with 2026-02-01 to 2026-02-28" in res["interpretation"]
    # A product that sold before and not now is listed as a drop to zero.
    april = analyze(
        ctx, "revenue", by=["product"], since="2026-04-01", until="2026-04-30",
        compare="previous", sort="change", order="asc",
    )  # fmt: skip
    first = april["rows"][0]
    assert first["keys"] == {"product": "B"} and first["value"] == 0.0
    assert first["previous"] == 20.0 and first["n"] == 0
    odd = analyze(ctx, "orders", since="2026-03-10", until="2026-03-19", compare="previous")
    assert (odd["compare_since"], odd["compare_until"]) == ("2026-02-28", "2026-03-09")
    year = analyze(ctx, "orders", since="2026-03-01", until="2026-03-31", compare="year_before")
    assert year["compare_since"] == "2025-03-01" and year["total"]["previous"] == 0


def test_segments_and_customer_dimensions(ctx):
    res = analyze(ctx, "orders", by=["segment"])
    assert sum(r["value"] for r in res["rows"]) == res["total"]["value"] == 4
    assert "RFM" in " ".join(res["notes"])
    chan = analyze(ctx, "tickets", by=["channel"], filters={"city": "PARIS"})
    assert [(r["label"], r["value"]) for r in chan["rows"]] == [("social", 2)]


def test_hostile_filter_values_stay_data(ctx):
    conn_tables = ctx.cursor().execute("SELECT count(*) FROM orders").fetchone()[0]
    for hostile in [
        "DE' OR '1'='1",
        "x'); DROP TABLE orders; --",
        "DE\\' OR 1=1 /*",
        "' UNION SELECT customer_id, email FROM customers --",
    ]:
        res = analyze(ctx, "orders", by=["country"], filters={"country": hostile})
        assert res["rows"] == [] and res["total"]["value"] == 0
        assert res["filters"] == {"country": hostile}
        req = ml.request(ctx, "orders", ["country"], {"country": hostile})
        q = ml.compile_query(ml.layer(), req, req.by)
        assert hostile not in q.sql and hostile in q.params
    assert ctx.cursor().execute("SELECT count(*) FROM orders").fetchone()[0] == conn_tables
    # Catalog names resolve through the store, so a hostile product name is a miss.
    with pytest.raises(NotFoundError):
        analyze(ctx, "revenue", filters={"product": "A' OR 1=1 --"})


def test_bad_requests_name_what_was_wrong(ctx):
    with pytest.raises(UserError, match="unknown metric 'profit'") as err:
        analyze(ctx, "profit")
    assert "revenue" in err.value.hint
    with pytest.raises(UserError, match="'colour'") as err:
        analyze(ctx, "revenue", by=["colour"])
    assert "category" in err.value.hint
    with pytest.raises(UserError, match="filter by 'size'"):
        analyze(ctx, "revenue", filters={"size": "L"})
    with pytest.raises(UserError, match="dimension 'rating' does not apply to metric 'revenue'"):
        analyze(ctx, "revenue", by=["rating"])
    with pytest.raises(UserError, match="'product' does not apply to metric 'tickets'"):
        analyze(ctx, "tickets", filters={"product": "A"})
    with pytest.raises(UserError, match="name it in filters"):
        analyze(ctx, "aspect_complaint_share")
    with pytest.raises(UserError, match="at most 2"):
        analyze(ctx, "revenue", by=["product", "month", "country"])
    with pytest.raises(UserError, match="filter rating: ratings are 1 to 5"):
        analyze(ctx, "review_count", filters={"rating": 9})
    with pytest.raises(UserError, match="filter verified"):
        analyze(ctx, "review_count", filters={"verified": "maybe"})
    with pytest.raises(UserError, match="filter month: 'March' is not a month"):
        analyze(ctx, "orders", filters={"month": "March"})
    with pytest.raises(UserError, match="needs a comparison period"):
        analyze(ctx, "orders", by=["product"], sort="change")
    with pytest.raises(UserError, match="since must be a date"):
        analyze(ctx, "orders", since="last spring")
    with pytest.raises(NotFoundError) as err:
        analyze(ctx, "revenue", filters={"category": "Gard"})
    assert "Garden" in err.value.suggestions


def test_aspect_metrics_without_labels_say_what_is_missing():
    conn = duckdb.connect()
    migrate(conn)
    with pytest.raises(UserError, match="no aspect labels"):
        analyze(ToolContext(conn.cursor), "review_count", by=["aspect"])


def _doc() -> dict:
    return {
        "facts": {
            "orders": {
                "from": "orders o",
                "aliases": ["o"],
                "time": "o.ordered_at",
                "evidence": "o.order_id",
                "joins": {"c": "LEFT JOIN customers c ON c.customer_id = o.customer_id"},
            }
        },
        "metrics": {
            "orders": {
                "fact": "orders",
                "label": "Orders",
                "unit": "count",
                "value": "count(*)",
                "n": "count(*)",
                "counts": "orders",
                "note": "all orders",
            }  # fmt: skip
        },
        "dimensions": {
            "country": {
                "label": "Country",
                "plural": "countries",
                "kind": "text",
                "expr": "c.country",
                "needs": ["c"],
            },  # fmt: skip
            "month": {"label": "Month", "plural": "months", "kind": "time", "grain": "month"},
        },
    }


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("metrics", "orders", "fact"), "order", r"metric 'orders': unknown fact 'order'"),
        (("metrics", "orders", "unit"), "euros", r"metric 'orders': unit must be one of"),
        (("metrics", "orders", "value"), "count(*); DROP TABLE x", r"metric 'orders': SQL"),
        (("metrics", "orders", "value"), "count(c.customer_id)", r"'orders': uses alias.*c"),
        (("metrics", "orders", "hits"), "count(*)", r"metric 'orders': declare 'value'"),
        (("dimensions", "country", "needs"), ["z"], r"dimension 'country': fact 'orders'"),
        (("dimensions", "month", "grain"), "hour", r"dimension 'month': a time dimension"),
        (("dimensions", "country", "kind"), "colour", r"dimension 'country': kind must be"),
        (("facts", "orders", "time"), "", r"fact 'orders': 'time' is required"),
        (("facts", "orders", "fans_out"), ["items"], r"fact 'orders': fans_out names unknown"),
    ],
)
def test_a_bad_layer_file_names_the_entry(path, value, message):
    doc = _doc()
    ml.parse(doc, "test.yaml")  # the unchanged document is fine
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ml.LayerError, match=message):
        ml.parse(doc, "test.yaml")


def test_the_shipped_layer_declares_the_contracted_names():
    lay = ml.layer()
    assert set(lay.metrics) == {
        "revenue", "orders", "units", "average_order_value", "customers", "return_rate",
        "cancel_rate", "average_rating", "review_count", "negative_share",
        "aspect_praise_share", "aspect_complaint_share", "views", "carts",
        "conversion_rate", "tickets", "open_tickets",
    }  # fmt: skip
    assert set(lay.dimensions) == {
        "product", "category", "brand", "day", "week", "month", "quarter", "year",
        "country", "city", "channel", "segment", "rating", "aspect", "verified",
    }  # fmt: skip
