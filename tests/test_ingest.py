"""Validation, quarantine, idempotence and the `insight ingest` command."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.data.ingest import ingest_paths
from assistant.data.quarantine import read_quarantine
from assistant.errors import UserError
from assistant.workspace import Workspace

PRODUCTS_CSV = """product_id,title,brand,category,price,currency
P1,Aurora Headphones,Aurora,Headphones,99.5,EUR
P2,Cable,Acme,Accessories,-5,EUR
P3,Case,Acme,Accessories,abc,EUR
P4,Too,many,columns,1,EUR,extra
P1,Aurora Headphones,Aurora,Headphones,99.5,EUR
P5,Stand,Acme,Accessories,3,EUR
P5,Stand,Acme,Accessories,4,EUR
,No id,Acme,Accessories,1,EUR
P6,"Charger, fast",Acme,Accessories,12,EUR
"""

CUSTOMERS_JSONL = (
    "\n".join(
        [
            '{"customer_id": "C1", "name": "Ann", "signup_at": "2024-01-02T10:00:00"}',
            '{"customer_id": "C2", "name": "Bob"',
            "",
            '{"customer_id": "C3", "name": "Cy", "signup_at": "yesterday"}',
            "[1, 2, 3]",
            '{"customer_id": "C4", "country": "DE", "unknown_field": 1}',
        ]
    )
    + "\n"
)

ORDERS_CSV = """order_id,customer_id,ordered_at,status,total
O1,C1,2024-03-01 12:00:00,completed,99.5
O2,C9,2024-03-02,completed,10
O3,C4,2024-03-03,Returned,12
O4,C4,2024-03-04,lost,10
O5,C4,not a date,completed,10
"""

ITEMS_CSV = """order_id,product_id,quantity,unit_price
O1,P1,1,99.5
O3,P6,1,12
O3,P2,1,5
O2,P1,1,10
O1,P6,0,12
"""

REVIEWS_JSONL = (
    "\n".join(
        [
            '{"review_id": "R1", "product_id": "P1", "customer_id": "C1", "rating": 2, '
            '"text": "Battery died", "created_at": "2026-03-02"}',
            '{"review_id": "R2", "product_id": "P1", "rating": 6, "text": "x", "created_at": "2026-03-02"}',
            '{"review_id": "R3", "product_id": "P1", "rating": 4.5, "text": "x", "created_at": "2026-03-02"}',
            '{"review_id": "R4", "product_id": "P404", "rating": 4, "created_at": "2026-03-02"}',
            '{"review_id": "R5", "product_id": "P6", "customer_id": "C404", "rating": 4, '
            '"created_at": "2026-03-02"}',
            '{"review_id": "R6", "product_id": "P6", "rating": 5, "text": "Fast", '
            '"created_at": "2026-03-03 08:00:00", "verified": true, "helpful_votes": 3}',
        ]
    )
    + "\n"
)

EVENTS_CSV = """customer_id,product_id,event_type,at,query
C1,P1,view,2024-01-05 10:00:00,
C1,,search,2024-01-05 10:01:00,headphones
C1,P1,VIEW,2024-01-05 10:00:00,
C4,P6,teleport,2024-01-05,
"""


def _shop(folder):
    folder.mkdir()
    (folder / "products.csv").write_text(PRODUCTS_CSV)
    (folder / "customers.jsonl").write_text(CUSTOMERS_JSONL)
    (folder / "orders.csv").write_text(ORDERS_CSV)
    (folder / "order_items.csv").write_text(ITEMS_CSV)
    (folder / "reviews.jsonl").write_text(REVIEWS_JSONL)
    (folder / "events.csv").write_text(EVENTS_CSV)
    return folder


def _ids(ws, table, key):
    sql = f"SELECT {key} FROM {table}"  # noqa: S608 -- the test's own table and column names
    return sorted(r[0] for r in ws.conn.execute(sql).fetchall())


EXPECTED_BAD = {
    # file -> {line: reason fragment}, worked out by hand from the fixtures above
    "products.csv": {
        3: "price must be >= 0 (got -5)",
        4: "price is not a valid number: abc",
        5: "malformed CSV line",
        7: "conflicting duplicate of key P5 (lines 7, 8)",
        8: "conflicting duplicate of key P5 (lines 7, 8)",
        9: "missing product_id",
    },
    "customers.jsonl": {
        2: "malformed JSON",
        4: "signup_at is not a valid date/time: yesterday",
        5: "not a JSON object",
    },
    "orders.csv": {
        3: "unknown customer_id C9 (not in customers)",
        5: "status must be one of completed/returned/cancelled (got lost)",
        6: "ordered_at is not a valid date/time: not a date",
    },
    "order_items.csv": {
        4: "unknown product_id P2 (not in products)",
        5: "unknown order_id O2 (not in orders)",
        6: "quantity must be > 0 (got 0)",
    },
    "reviews.jsonl": {
        2: "rating must be 1-5 (got 6)",
        3: "rating is not a valid whole number: 4.5",
        4: "unknown product_id P404 (not in products)",
        5: "unknown customer_id C404 (not in customers)",
    },
    "events.csv": {5: "event_type must be one of view/cart/wishlist/search (got teleport)"},
}


def test_mixed_good_and_bad_rows_exact_counts_and_quarantine(empty_ws, tmp_path):
    shop = _shop(tmp_path / "shop")
    report = ingest_paths(empty_ws, [shop], progress=False)

    assert _ids(empty_ws, "products", "product_id") == ["P1", "P6"]
    assert (
        empty_ws.conn.execute("SELECT title FROM products WHERE product_id = 'P6'").fetchone()[0]
        == "Charger, fast"
    )
    assert _ids(empty_ws, "customers", "customer_id") == ["C1", "C4"]
    assert _ids(empty_ws, "orders", "order_id") == ["O1", "O3"]
    assert (
        empty_ws.conn.execute("SELECT status FROM orders WHERE order_id = 'O3'").fetchone()[0]
        == "returned"
    )
    assert empty_ws.conn.execute(
        "SELECT order_id, product_id FROM order_items ORDER BY 1, 2"
    ).fetchall() == [("O1", "P1"), ("O3", "P6")]
    assert _ids(empty_ws, "reviews", "review_id") == ["R1", "R6"]
    assert empty_ws.conn.execute(
        "SELECT customer_id, rating, created_at, verified, helpful_votes FROM reviews "
        "WHERE review_id = 'R6'"
    ).fetchone() == (None, 5, datetime(2026, 3, 3, 8), True, 3)
    # "VIEW" at the same time is the same event as "view": collapsed, not doubled.
    assert empty_ws.conn.execute(
        'SELECT event_type, product_id, query FROM events ORDER BY "at"'
    ).fetchall() == [("view", "P1", None), ("search", None, "headphones")]

    assert report.tables["products"].inserted == 2
    assert report.tables["products"].duplicates_collapsed == 1
    assert report.tables["products"].conflicting_duplicates == 2
    assert report.tables["events"].duplicates_collapsed == 1
    assert report.quarantined == sum(len(v) for v in EXPECTED_BAD.values()) == 20
    assert report.files[1].notes == {"ignored_columns": ["unknown_field"]}

    entries = read_quarantine(report.quarantine_path)
    assert report.quarantine_path.parent == empty_ws.settings.quarantine_dir
    assert report.quarantine_path.name.startswith("shop-")
    got: dict[str, dict[int, str]] = {}
    for e in entries:
        got.setdefault(e["source"].rsplit("/", 1)[1], {})[e["line"]] = e["reason"]
    assert set(got) == set(EXPECTED_BAD)
    for name, expected in EXPECTED_BAD.items():
        assert set(got[name]) == set(expected), name
        for line, fragment in expected.items():
            assert fragment in got[name][line], (name, line, got[name][line])
    raw_by_line = {e["line"]: e["raw"] for e in entries if e["source"].endswith("customers.jsonl")}
    assert raw_by_line[2] == '{"customer_id": "C2", "name": "Bob"'
    bad_csv = next(e for e in entries if e["source"].endswith("products.csv") and e["line"] == 5)
    assert bad_csv["raw"] == "P4,Too,many,columns,1,EUR,extra"


def test_reingest_changes_nothing_and_edits_are_updates(empty_ws, tmp_path):
    shop = _shop(tmp_path / "shop")
    ingest_paths(empty_ws, [shop], progress=False)
    before = {
        t: empty_ws.conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 -- names from the store's own table list
        for t in empty_ws.table_counts()
    }

    again = ingest_paths(empty_ws, [shop], progress=False)
    after = {
        t: empty_ws.conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 -- names from the store's own table list
        for t in empty_ws.table_counts()
    }
    assert after == before
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())
    assert again.tables["products"].unchanged == 2

    # A changed price is an update; columns the file lacks keep their stored values.
    edits = tmp_path / "edits"
    edits.mkdir()
    (edits / "products.csv").write_text("product_id,price\nP1,89.0\nP7,1.0\n")
    report = ingest_paths(empty_ws, [edits], progress=False)
    assert (report.tables["products"].inserted, report.tables["products"].updated) == (1, 1)
    assert empty_ws.conn.execute(
        "SELECT title, price, currency FROM products WHERE product_id = 'P1'"
    ).fetchone() == ("Aurora Headphones", 89.0, "EUR")


def test_children_may_reference_parents_already_in_the_store(empty_ws, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "customers.csv").write_text("customer_id,name\nC1,Ann\n")
    (second / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,status\nO1,C1,2024-01-01,completed\n"
    )
    ingest_paths(empty_ws, [first], progress=False)
    report = ingest_paths(empty_ws, [second], progress=False)
    assert report.quarantined == 0 and report.tables["orders"].inserted == 1


def test_events_without_ids_get_deterministic_ones(empty_ws, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV)
    ingest_paths(empty_ws, [path], progress=False)  # no customers: every event is orphaned
    assert empty_ws.table_counts()["events"] == 0
    (tmp_path / "customers.csv").write_text("customer_id\nC1\nC4\n")
    (tmp_path / "products.csv").write_text("product_id\nP1\nP6\n")
    ingest_paths(empty_ws, [tmp_path / "customers.csv", tmp_path / "products.csv"], progress=False)
    ingest_paths(empty_ws, [path], progress=False)
    first = _ids(empty_ws, "events", "event_id")
    ingest_paths(empty_ws, [path], progress=False)
    assert _ids(empty_ws, "events", "event_id") == first and len(first) == 2


def test_missing_required_column_is_a_clear_error(empty_ws, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,ordered_at\nO1,2024-01-01\n")
    with pytest.raises(UserError, match="orders.csv.*no column.*customer_id"):
        ingest_paths(empty_ws, [path], progress=False)


def test_cli_ingest_creates_workspace_and_reports(tmp_path):
    shop = _shop(tmp_path / "shop")
    ws_dir = tmp_path / "ws"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(shop), "--data-dir", str(ws_dir)])
    assert result.exit_code == 0, result.output
    assert "detected format: canonical (6 file(s))" in result.output
    assert "products             2 rows (new 2" in result.output
    assert "quarantined 20 row(s)" in result.output

    result = runner.invoke(app, ["ingest", str(shop), "--data-dir", str(ws_dir), "--json"])
    data = json.loads(result.output)
    assert data["tables"]["reviews"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 2,
        "quarantined": 4,
        "duplicates_collapsed": 0,
        "conflicting_duplicates": 0,
        "changed_fields": {},
        "loaded": 2,
    }
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert ws.table_counts()["reviews"] == 2

    odd = tmp_path / "notes.jsonl"
    odd.write_text('{"x": 1}\n')
    result = runner.invoke(app, ["ingest", str(odd), "--data-dir", str(ws_dir)])
    assert result.exit_code == 2
    assert "cannot tell the format of" in result.output and "notes.jsonl" in result.output
    assert "Traceback" not in result.output


def test_empty_and_all_malformed_files_load_nothing_and_quarantine_the_bad(empty_ws, tmp_path):
    (tmp_path / "customers.csv").write_text("")
    (tmp_path / "products.csv").write_text("product_id,title\n")
    (tmp_path / "events.jsonl").write_text("\n\n")
    (tmp_path / "tickets.jsonl").write_text('\n{"ticket_id": \n')
    report = ingest_paths(empty_ws, [tmp_path], progress=False)
    assert report.files_processed == 4
    assert sum(empty_ws.table_counts().values()) == 0
    entries = read_quarantine(report.quarantine_path)
    assert [(e["source"].rsplit("/", 1)[1], e["line"], e["reason"]) for e in entries] == [
        ("tickets.jsonl", 2, "malformed JSON")
    ]


def test_times_with_offsets_become_utc_and_odd_values_are_quarantined(empty_ws, tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"customer_id": cid, "signup_at": at})
            for cid, at in [
                ("C1", "2024-03-01T12:00:00+02:00"),
                ("C2", "2024-03-01T23:30:00-0130"),
                ("C3", "2024-03-01T12:00:00Z"),
                ("C4", "2024-03-01"),
                ("C5", "03/01/2024"),
            ]
        )
        + "\n"
    )
    report = ingest_paths(empty_ws, [path], progress=False)
    assert empty_ws.conn.execute(
        "SELECT customer_id, signup_at FROM customers ORDER BY 1"
    ).fetchall() == [
        ("C1", datetime(2024, 3, 1, 10)),
        ("C2", datetime(2024, 3, 2, 1)),
        ("C3", datetime(2024, 3, 1, 12)),
        ("C4", datetime(2024, 3, 1)),
    ]
    assert [e["line"] for e in read_quarantine(report.quarantine_path)] == [5]

    reviews = tmp_path / "reviews.csv"
    reviews.write_text(
        "review_id,product_id,rating,created_at,helpful_votes\nR1,P1,3,2024-01-01,1e20\n"
    )
    bad = read_quarantine(ingest_paths(empty_ws, [reviews], progress=False).quarantine_path)
    assert bad[0]["reason"] == (
        "helpful_votes is not a valid whole number: 1e20; unknown product_id P1 (not in products)"
    )


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "progress", "shown"), [(True, True, True), (True, False, False), (False, True, False)]
)
def test_progress_bar_only_on_a_terminal_and_when_asked(
    empty_ws, tmp_path, monkeypatch, tty, progress, shown
):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id\nC1\n")
    err = _FakeTerminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    ingest_paths(empty_ws, [path], progress=progress)
    assert ("customers.csv" in err.getvalue()) is shown
