"""The demo shop: deterministic from its seed, realistic by measurement, plants what it claims."""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.data.schema import TABLES
from assistant.demo.build import MANIFEST, SOURCE_DIR, generate_demo_files
from assistant.demo.catalog import CATEGORY_BY_NAME
from assistant.pipeline import build_demo
from assistant.workspace import Workspace

SCALE = 0.2


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo_small") / "ws"
    summary = build_demo(path, seed=7, scale=SCALE)
    ws = Workspace.open(path, read_only=True)
    yield path, summary, ws
    ws.close()


def q(ws, sql, params=None):
    return ws.cursor().execute(sql, params or []).fetchall()


def table_digest(ws, name: str) -> str:
    key = ", ".join(f'"{k}"' for k in TABLES[name].key)
    rows = q(ws, f"SELECT * FROM {name} ORDER BY {key}")  # noqa: S608 -- table and key names from the schema constants
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def source_bytes(path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((path / SOURCE_DIR).iterdir())}


# -- determinism -----------------------------------------------------------------


def test_same_seed_same_bytes_and_tables(small, tmp_path):
    path, summary, ws = small
    again = tmp_path / "again"
    build_demo(again, seed=7, scale=SCALE)
    assert source_bytes(again) == source_bytes(path)
    assert (again / MANIFEST).read_bytes() == (path / MANIFEST).read_bytes()
    with Workspace.open(again, read_only=True) as ws2:
        for name in TABLES:
            assert table_digest(ws2, name) == table_digest(ws, name), name


def test_other_seed_other_data(small, tmp_path):
    path, _, _ = small
    generate_demo_files(tmp_path / SOURCE_DIR, seed=8, scale=SCALE)
    other = source_bytes(tmp_path)
    mine = source_bytes(path)
    assert other.keys() == mine.keys()
    for name in mine:
        assert other[name] != mine[name], name


def test_bad_scale_is_a_clear_error(tmp_path):
    from assistant.errors import UserError

    with pytest.raises(UserError, match="scale"):
        generate_demo_files(tmp_path, seed=1, scale=0)


# -- shape of the shop -------------------------------------------------------------


def test_row_counts_and_nothing_quarantined(small):
    _, summary, ws = small
    assert summary["ingest"]["quarantined"] == 0
    counts = ws.table_counts()
    assert counts == summary["row_counts"]
    for name, n in summary["manifest"]["row_counts"].items():
        assert counts[name] == n, name
    assert len(summary["manifest"]["categories"]) == 10
    cats = {r[0] for r in q(ws, "SELECT DISTINCT category FROM products")}
    assert {"Headphones", "Running Shoes", "Kitchen"} <= cats
    assert q(ws, "SELECT count(*) FROM products WHERE brand = 'Aurora' AND category = 'Headphones' "
             "AND title LIKE 'Aurora %Wireless Headphones%'")[0][0] == 1  # fmt: skip
    # Ids are zero-padded and consistent with their tables.
    firsts = [q(ws, f"SELECT min({c}) FROM {t}")[0][0] for c, t in  # noqa: S608 -- the test's own column and table names
              [("order_id", "orders"), ("customer_id", "customers"), ("review_id", "reviews"),
               ("product_id", "products"), ("ticket_id", "tickets"), ("event_id", "events")]]  # fmt: skip
    assert firsts == ["O000001", "C00001", "R000001", "P0001", "T00001", "E0000001"]


def test_referential_integrity(small):
    _, _, ws = small
    orphans = {
        "orders": "SELECT count(*) FROM orders o ANTI JOIN customers c USING (customer_id)",
        "items": "SELECT count(*) FROM order_items i ANTI JOIN orders o USING (order_id)",
        "item products": "SELECT count(*) FROM order_items i ANTI JOIN products p USING (product_id)",
        "reviews": "SELECT count(*) FROM reviews r ANTI JOIN products p USING (product_id)",
        "events": "SELECT count(*) FROM events e ANTI JOIN customers c USING (customer_id)",
        "tickets": "SELECT count(*) FROM tickets t ANTI JOIN orders o USING (order_id)",
    }
    for name, sql in orphans.items():
        assert q(ws, sql)[0][0] == 0, name
    # Every reviewer bought the product before reviewing it.
    late = q(ws, """
        SELECT count(*) FROM reviews r WHERE NOT EXISTS (
          SELECT 1 FROM orders o JOIN order_items i USING (order_id)
          WHERE o.customer_id = r.customer_id AND i.product_id = r.product_id
            AND o.ordered_at < r.created_at)""")  # fmt: skip
    assert late[0][0] == 0
    # Totals add up, and nobody orders before signing up.
    assert q(ws, """
        SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(quantity * unit_price) s
          FROM order_items GROUP BY 1) t USING (order_id) WHERE abs(o.total - t.s) > 0.011""")[0][0] == 0  # fmt: skip
    assert q(ws, "SELECT count(*) FROM orders JOIN customers USING (customer_id) WHERE ordered_at < signup_at")[0][0] == 0  # fmt: skip
    span = q(ws, "SELECT min(ordered_at), max(ordered_at) FROM orders")[0]
    assert str(span[0]) >= "2024-01-01" and str(span[1]) < "2026-11-01"


def test_popularity_is_skewed(small):
    _, _, ws = small
    share = q(ws, """
        WITH p AS (SELECT product_id, count(*) n FROM order_items GROUP BY 1),
             r AS (SELECT n, row_number() OVER (ORDER BY n DESC) rk, count(*) OVER () tot FROM p)
        SELECT sum(n) FILTER (WHERE rk <= tot * 0.1) / sum(n) FROM r""")[0][0]  # fmt: skip
    assert share > 0.4  # uniform would be ~0.1


def test_repeat_and_one_time_buyers(small):
    _, _, ws = small
    three, one, buyers, top = q(ws, """
        WITH o AS (SELECT customer_id, count(*) n FROM orders GROUP BY 1)
        SELECT count(*) FILTER (WHERE n >= 3), count(*) FILTER (WHERE n = 1), count(*), max(n) FROM o""")[0]  # fmt: skip
    assert three / buyers > 0.2
    assert one / buyers > 0.3
    assert top >= 14  # a loyal core


def test_november_december_peak(small):
    _, _, ws = small
    for year in (2024, 2025):
        mean, peak = q(ws, """
            WITH m AS (SELECT month(ordered_at) mo, count(*) n FROM orders
                       WHERE year(ordered_at) = ? GROUP BY 1)
            SELECT avg(n), avg(n) FILTER (WHERE mo IN (11, 12)) FROM m""", [year])[0]  # fmt: skip
        assert peak > 1.2 * mean, year


def test_statuses_events_tickets(small):
    _, _, ws = small
    statuses = dict(q(ws, "SELECT status, count(*) FROM orders GROUP BY 1"))
    assert set(statuses) == {"completed", "returned", "cancelled"}
    assert statuses["completed"] > 0.8 * sum(statuses.values())
    types = dict(q(ws, "SELECT event_type, count(*) FROM events GROUP BY 1"))
    assert set(types) == {"view", "cart", "wishlist", "search"}
    assert q(ws, "SELECT count(*) FROM events WHERE event_type = 'search' AND (query IS NULL OR product_id IS NOT NULL)")[0][0] == 0  # fmt: skip
    assert q(ws, "SELECT count(*) FROM tickets WHERE status = 'open'")[0][0] > 0
    # Returned orders draw far more tickets than completed ones.
    rate = dict(q(ws, """
        SELECT o.status, count(t.ticket_id) / count(DISTINCT o.order_id)
        FROM orders o LEFT JOIN tickets t USING (order_id) GROUP BY 1"""))  # fmt: skip
    assert rate["returned"] > 3 * rate["completed"]


# -- review text -----------------------------------------------------------------


def test_text_agrees_with_stars(small):
    _, _, ws = small
    neg = "broke|waste of money|disappointed|stopped working|not worth|poor|useless"
    (overall,) = q(ws, "SELECT avg(rating) FROM reviews")[0]
    complaining, n = q(ws, f"SELECT avg(rating), count(*) FROM reviews WHERE regexp_matches(lower(text), '{neg}')")[0]  # fmt: skip  # noqa: S608 -- the pattern is the test's own constant
    assert n > 20 and complaining < overall - 1.0
    praising, = q(ws, "SELECT avg(rating) FROM reviews WHERE regexp_matches(lower(text), 'highly recommended|worth every cent|love it')")[0]  # fmt: skip
    assert praising > overall + 0.5
    assert overall > 3.6  # shops' ratings are J-shaped, mostly happy


def test_texts_are_varied_and_aspects_fit_the_category(small):
    _, _, ws = small
    n, distinct = q(ws, "SELECT count(*), count(DISTINCT text) FROM reviews")[0]
    assert distinct > 0.9 * n
    assert q(ws, """SELECT count(*) FROM reviews JOIN products USING (product_id)
                    WHERE category = 'Books' AND lower(text) LIKE '%battery%'""")[0][0] == 0  # fmt: skip
    mixed = q(ws, "SELECT count(*) FROM reviews WHERE rating BETWEEN 2 AND 4 AND regexp_matches(text, ', but |; however |, although ')")[0][0]  # fmt: skip
    assert mixed > 10


def test_aurora_battery_complaints_after_march(small):
    _, summary, ws = small
    defect = summary["manifest"]["defects"][0]
    assert defect["aspect"] == "battery" and defect["since"] == "2026-03-01"
    assert "Aurora" in defect["title"]
    words = "battery|charge|died|dead|drain|flat|power|playback|die "
    rows = dict(q(ws, f"""
        SELECT created_at >= DATE '2026-03-01',
               avg(CASE WHEN regexp_matches(lower(text), '{words}') AND rating <= 2 THEN 1 ELSE 0 END)
        FROM reviews WHERE product_id = ? GROUP BY 1""", [defect["product_id"]]))  # fmt: skip  # noqa: S608 -- the pattern is the test's own constant
    assert rows[True] > 0.5 and rows[True] > 4 * rows[False]
    # Some complaints never say "battery".
    texts = [r[0].lower() for r in q(ws, "SELECT text FROM reviews WHERE review_id IN (SELECT unnest(?))", [defect["review_ids"]])]  # fmt: skip
    assert any("battery" not in t for t in texts) and any("battery" in t for t in texts)


# -- planted items -----------------------------------------------------------------


def test_manifest_ids_exist_and_hold_what_they_claim(small):
    path, summary, ws = small
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest == summary["manifest"]
    assert manifest["seed"] == 7 and manifest["scale"] == SCALE
    review_ids = {r[0] for r in q(ws, "SELECT review_id FROM reviews")}
    for d in manifest["defects"]:
        assert len(d["review_ids"]) >= 5
        assert set(d["review_ids"]) <= review_ids
        bad = q(ws, """SELECT count(*) FROM reviews WHERE review_id IN (SELECT unnest(?))
                       AND (product_id <> ? OR created_at < CAST(? AS DATE) OR rating > 3)""",
                [d["review_ids"], d["product_id"], d["since"]])[0][0]  # fmt: skip
        assert bad == 0, d["title"]
    # PII: the reviewer's own email or phone is in the text.
    pii = q(ws, """SELECT r.review_id, r.customer_id FROM reviews r JOIN customers c USING (customer_id)
                   WHERE contains(r.text, c.email) OR contains(r.text, c.phone)""")  # fmt: skip
    assert sorted(r[0] for r in pii) == manifest["pii_review_ids"]
    assert sorted({r[1] for r in pii}) == manifest["pii_customers"]
    ticket_pii = q(ws, """SELECT t.ticket_id FROM tickets t JOIN customers c USING (customer_id)
                          WHERE contains(t.text, c.phone) ORDER BY 1""")  # fmt: skip
    assert [r[0] for r in ticket_pii] == manifest["pii_ticket_ids"] and ticket_pii
    hostile = manifest["hostile_review_ids"]
    assert 5 <= len(hostile) <= 10 and set(hostile) <= review_ids
    flagged = q(ws, """SELECT count(*) FROM reviews WHERE review_id IN (SELECT unnest(?))
                       AND regexp_matches(lower(text), 'ignore|disregard|system|instruction|tool|decode|forget|admin')""",
                [hostile])[0][0]  # fmt: skip
    assert flagged == len(hostile)
    token = manifest["rare_token"]
    hits = q(ws, "SELECT review_id FROM reviews WHERE contains(text, ?) OR contains(title, ?)",
             [token["token"], token["token"]])  # fmt: skip
    assert hits == [(token["review_id"],)]
    category = q(ws, "SELECT category FROM reviews JOIN products USING (product_id) WHERE review_id = ?", [token["review_id"]])  # fmt: skip
    assert category[0][0] in ("Headphones", "Electronics")
    assert q(ws, "SELECT count(*) FROM products WHERE contains(title, ?) OR contains(description, ?)",
             [token["token"], token["token"]])[0][0] == 0  # fmt: skip


def test_browsers_browse_but_never_buy_the_category(small):
    _, summary, ws = small
    browsers = summary["manifest"]["browsers"]
    assert len(browsers) >= 3
    for b in browsers:
        looked = q(ws, """SELECT count(*) FROM events e JOIN products p USING (product_id)
                          WHERE e.customer_id = ? AND p.category = ? AND e.event_type IN ('view', 'cart', 'wishlist')""",
                   [b["customer_id"], b["category"]])[0][0]  # fmt: skip
        bought = q(ws, """SELECT count(*) FROM orders o JOIN order_items i USING (order_id)
                          JOIN products p USING (product_id) WHERE o.customer_id = ? AND p.category = ?""",
                   [b["customer_id"], b["category"]])[0][0]  # fmt: skip
        orders = q(ws, "SELECT count(*) FROM orders WHERE customer_id = ?", [b["customer_id"]])[0][
            0
        ]
        assert looked >= 10 and bought == 0 and orders >= 2, b
        queries = list(CATEGORY_BY_NAME[b["category"]].queries)
        searched = q(ws, """SELECT count(*) FROM events WHERE customer_id = ? AND event_type = 'search'
                            AND query IN (SELECT unnest(?))""", [b["customer_id"], queries])[0][0]  # fmt: skip
        assert searched >= 2, b
        cats = q(ws, "SELECT DISTINCT category FROM products WHERE product_id IN (SELECT unnest(?))", [b["product_ids"]])  # fmt: skip
        assert cats == [(b["category"],)]


def test_rebuild_replaces_an_earlier_demo(tmp_path):
    build_demo(tmp_path, seed=5, scale=0.05)
    summary = build_demo(tmp_path, seed=6, scale=0.05)
    assert summary["replaced_previous_demo"] is True
    json.dumps(summary)  # the summary is plain data
    with Workspace.open(tmp_path, read_only=True) as ws:
        assert ws.table_counts() == summary["manifest"]["row_counts"]
        # No row of the first demo survives: the texts are those of the second one's files.
        texts = {r[0] for r in q(ws, "SELECT text FROM reviews")}
    lines = (tmp_path / SOURCE_DIR / "reviews.jsonl").read_text().splitlines()
    assert texts == {json.loads(line)["text"] for line in lines}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tiny_shops_are_consistent_for_any_seed(tmp_path, seed):
    import duckdb

    manifest = generate_demo_files(tmp_path, seed=seed, scale=0.03)
    con = duckdb.connect()
    for name in ("products", "customers", "orders", "order_items", "events", "tickets"):
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_csv('{tmp_path / name}.csv', header=true)"  # noqa: S608 -- the test's own temp path and table names
        )
    con.execute(f"CREATE VIEW reviews AS SELECT * FROM read_json('{tmp_path}/reviews.jsonl')")  # noqa: S608 -- the test's own temp path
    for name, n in manifest["row_counts"].items():
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == n, name  # noqa: S608 -- table names from the demo manifest this test wrote
    orphans = con.execute("""
        SELECT (SELECT count(*) FROM order_items ANTI JOIN orders USING (order_id))
             + (SELECT count(*) FROM order_items ANTI JOIN products USING (product_id))
             + (SELECT count(*) FROM reviews ANTI JOIN customers USING (customer_id))
             + (SELECT count(*) FROM tickets ANTI JOIN orders USING (order_id))""").fetchone()[0]  # fmt: skip
    assert orphans == 0
    ids = {r[0] for r in con.execute("SELECT review_id FROM reviews").fetchall()}
    assert set(manifest["hostile_review_ids"]) | {manifest["rare_token"]["review_id"]} <= ids
    assert all(d["product_id"] for d in manifest["defects"])


def test_ids_widen_at_scale(tmp_path):
    from assistant.demo.build import _ids

    assert _ids("P", 3, 4)[-1] == "P0003"
    assert _ids("P", 12345, 4)[-1] == "P12345"


# -- command -----------------------------------------------------------------------


def test_demo_command_no_derive(tmp_path):
    from typer.testing import CliRunner

    from assistant.cli import app

    target = tmp_path / "cli"
    result = CliRunner().invoke(
        app, ["demo", "--seed", "3", "--scale", "0.05", "--data-dir", str(target), "--no-derive"]
    )
    assert result.exit_code == 0, result.output
    assert "reviews" in result.output and "battery since 2026-03-01" in result.output
    manifest = json.loads((target / MANIFEST).read_text())
    with Workspace.open(target, read_only=True) as ws:
        n_reviews = q(ws, "SELECT count(*) FROM reviews")[0][0]
    assert manifest["seed"] == 3 and manifest["row_counts"]["reviews"] == n_reviews
    assert f"{n_reviews:,}" in result.output
    # A workspace with non-demo data is refused with a clear message.
    (target / MANIFEST).unlink()
    again = CliRunner().invoke(app, ["demo", "--data-dir", str(target), "--no-derive"])
    assert again.exit_code == 2 and "not a demo" in again.output
