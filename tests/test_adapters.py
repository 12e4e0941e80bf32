"""Each format adapter on small fixtures written here, plus the real 2018 sample."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import duckdb
import pytest

from assistant.data.adapters.detect import detect
from assistant.data.ingest import ingest_paths
from assistant.errors import UserError
from tests.conftest import shared_data


def _jsonl(path, records, *, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _rows(ws, sql):
    return ws.conn.execute(sql).fetchall()


# -- Amazon 2023 -----------------------------------------------------------------

META_2023 = [
    {
        "main_category": "All Electronics",
        "title": "Aurora Wireless Headphones",
        "features": ["Bluetooth 5.3"],
        "description": ["Over-ear.", "40h battery."],
        "price": "$1,299.50",
        "store": "Aurora",
        "categories": ["Electronics", "Audio", "Headphones"],
        "details": {"Brand": "Ignored"},
        "parent_asin": "B0AUR",
    },
    {
        "main_category": "All Beauty",
        "title": "Hair Spray",
        "features": ["Strong hold"],
        "description": [],
        "price": None,
        "store": None,
        "categories": [],
        "details": {"Brand": "Glossy"},
        "parent_asin": "B0HAIR",
    },
]

REVIEWS_2023 = [
    {
        "rating": 2.0,
        "title": "Battery died",
        "text": "Battery lasts an hour.",
        "images": [],
        "asin": "B0AUR-BLK",
        "parent_asin": "B0AUR",
        "user_id": "U1",
        "timestamp": 1709280000000,
        "helpful_vote": 3,
        "verified_purchase": True,
    },
    {
        "rating": 5.0,
        "title": "Nice",
        "text": "Smells good",
        "images": [],
        "asin": "B0HAIR",
        "parent_asin": "B0HAIR",
        "user_id": "U2",
        "timestamp": 1709290000500,
        "helpful_vote": 0,
        "verified_purchase": False,
    },
    {
        "rating": 4.0,
        "title": "No meta",
        "text": "ok",
        "images": [],
        "asin": "B0NOMETA",
        "parent_asin": "B0NOMETA",
        "user_id": "U1",
        "timestamp": 1709300000000,
        "helpful_vote": 1,
        "verified_purchase": True,
    },
]


def test_amazon2023_reviews_and_meta(empty_ws, tmp_path):
    reviews = _jsonl(tmp_path / "Electronics.jsonl", REVIEWS_2023)
    meta = _jsonl(tmp_path / "meta_Electronics.jsonl", META_2023)
    report = ingest_paths(empty_ws, [reviews, meta], fmt="amazon2023", progress=False)

    assert report.detected_format == "amazon2023"
    assert [f.kind for f in report.files] == ["meta", "reviews"]  # products before reviews
    assert report.quarantined == 0
    products = {
        r[0]: r[1:]
        for r in _rows(
            empty_ws, "SELECT product_id, title, brand, category, price, description FROM products"
        )
    }
    assert products == {
        "B0AUR": (
            "Aurora Wireless Headphones",
            "Aurora",
            "Headphones",
            1299.5,
            "Over-ear. 40h battery.",
        ),
        "B0HAIR": ("Hair Spray", "Glossy", "All Beauty", None, "Strong hold"),
        "B0NOMETA": ("B0NOMETA", None, None, None, None),  # id-only product
    }
    assert _rows(empty_ws, "SELECT customer_id, name, email FROM customers ORDER BY 1") == [
        ("U1", None, None),
        ("U2", None, None),
    ]

    expected_id = "R" + hashlib.md5(b"U1|B0AUR-BLK|1709280000000").hexdigest()[:16]
    review = _rows(
        empty_ws,
        "SELECT review_id, product_id, customer_id, rating, title, text, "
        "created_at, verified, helpful_votes FROM reviews WHERE customer_id = 'U1' "
        "AND product_id = 'B0AUR'",
    )
    assert review == [
        (
            expected_id,
            "B0AUR",
            "U1",
            2,
            "Battery died",
            "Battery lasts an hour.",
            datetime(2024, 3, 1, 8, 0),
            True,
            3,
        )
    ]
    # The two verified reviews imply completed one-item orders, priced when meta knows it.
    orders = _rows(
        empty_ws,
        "SELECT o.customer_id, o.status, o.total, i.product_id, "
        "i.quantity, i.unit_price, o.ordered_at FROM orders o "
        "JOIN order_items i USING (order_id) ORDER BY i.product_id",
    )
    assert orders == [
        ("U1", "completed", 1299.5, "B0AUR", 1, 1299.5, datetime(2024, 3, 1, 8, 0)),
        ("U1", "completed", None, "B0NOMETA", 1, None, datetime(2024, 3, 1, 13, 33, 20)),
    ]
    assert report.loaded("reviews") == 3 and report.tables["reviews"].inserted == 3


def test_amazon2023_reviews_alone_then_meta_fills_products(empty_ws, tmp_path):
    reviews = _jsonl(tmp_path / "r.jsonl", REVIEWS_2023)
    first = ingest_paths(empty_ws, [reviews], progress=False)  # auto-detected
    assert first.detected_format == "amazon2023"
    assert _rows(empty_ws, "SELECT title FROM products WHERE product_id = 'B0AUR'") == [("B0AUR",)]
    ingest_paths(empty_ws, [_jsonl(tmp_path / "m.jsonl", META_2023)], progress=False)
    assert _rows(empty_ws, "SELECT title FROM products WHERE product_id = 'B0AUR'") == [
        ("Aurora Wireless Headphones",)
    ]
    # Re-ingesting the reviews must not put the id-only title back.
    again = ingest_paths(empty_ws, [reviews], progress=False)
    assert _rows(empty_ws, "SELECT title FROM products WHERE product_id = 'B0AUR'") == [
        ("Aurora Wireless Headphones",)
    ]
    assert again.tables["reviews"].unchanged == 3 and again.tables["reviews"].inserted == 0


def test_amazon2023_partial_meta_and_reviews_keep_what_is_stored(empty_ws, tmp_path):
    ingest_paths(empty_ws, [_jsonl(tmp_path / "m.jsonl", META_2023)], progress=False)
    ingest_paths(empty_ws, [_jsonl(tmp_path / "r.jsonl", REVIEWS_2023)], progress=False)
    texts = _rows(empty_ws, "SELECT review_id, title, text FROM reviews ORDER BY 1")
    # A later meta line without title or price, and the same reviews without text.
    partial = {k: v for k, v in META_2023[0].items() if k not in ("title", "price")}
    report = ingest_paths(empty_ws, [_jsonl(tmp_path / "m2.jsonl", [partial])], progress=False)
    assert _rows(empty_ws, "SELECT title, price FROM products WHERE product_id = 'B0AUR'") == [
        ("Aurora Wireless Headphones", 1299.5)
    ]
    assert report.tables["products"].changed_fields == {}
    bare = [{k: v for k, v in r.items() if k not in ("text", "title")} for r in REVIEWS_2023]
    ingest_paths(empty_ws, [_jsonl(tmp_path / "r2.jsonl", bare)], progress=False)
    assert _rows(empty_ws, "SELECT review_id, title, text FROM reviews ORDER BY 1") == texts


# -- Amazon 2018 -----------------------------------------------------------------

REVIEWS_2018 = [
    {
        "overall": 5.0,
        "verified": True,
        "reviewTime": "09 4, 2015",
        "reviewerID": "A1",
        "asin": "B000K",
        "style": {"Size:": " Big"},
        "reviewerName": "Tonya B.",
        "reviewText": "Great product!",
        "summary": "Five Stars",
        "unixReviewTime": 1441324800,
    },
    {
        "overall": 1.0,
        "verified": False,
        "reviewerID": "A2",
        "asin": "B000K",
        "reviewerName": "Sam",
        "reviewText": "Fell apart",
        "summary": "Bad",
        "unixReviewTime": 1441411200,
        "vote": "1,234",
    },
    {
        "overall": 4.0,
        "verified": True,
        "reviewerID": "A2",
        "asin": "B000Z",
        "reviewerName": "Sam",
        "summary": "Four Stars",
        "unixReviewTime": 1441497600,
    },
]


@pytest.mark.parametrize("gz", [False, True])
def test_amazon2018_plain_and_gzip(empty_ws, tmp_path, gz):
    name = "Fashion.json.gz" if gz else "Fashion.json"
    path = _jsonl(tmp_path / name, REVIEWS_2018, gz=gz)
    report = ingest_paths(empty_ws, [path], progress=False)

    assert report.detected_format == "amazon2018"
    assert report.quarantined == 0
    assert _rows(empty_ws, "SELECT product_id, title FROM products ORDER BY 1") == [
        ("B000K", "B000K"),
        ("B000Z", "B000Z"),
    ]
    assert _rows(empty_ws, "SELECT customer_id, name FROM customers ORDER BY 1") == [
        ("A1", "Tonya B."),
        ("A2", "Sam"),
    ]
    got = _rows(
        empty_ws,
        "SELECT customer_id, product_id, rating, title, text, created_at, "
        "verified, helpful_votes FROM reviews ORDER BY created_at",
    )
    assert got == [
        ("A1", "B000K", 5, "Five Stars", "Great product!", datetime(2015, 9, 4), True, 0),
        ("A2", "B000K", 1, "Bad", "Fell apart", datetime(2015, 9, 5), False, 1234),
        ("A2", "B000Z", 4, "Four Stars", "", datetime(2015, 9, 6), True, 0),  # kept, no text
    ]
    assert report.files[0].notes["reviews_without_text"] == 1
    assert _rows(
        empty_ws,
        "SELECT o.customer_id, i.product_id FROM orders o JOIN order_items i "
        "USING (order_id) ORDER BY 1",
    ) == [("A1", "B000K"), ("A2", "B000Z")]


def test_real_amazon2018_sample_loads_and_reingest_adds_nothing(empty_ws):
    path = shared_data("amazon2018-fashion", "AMAZON_FASHION_5.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    records = [json.loads(line) for line in lines]
    # Independent expectations: a review is its reviewer, product, time, rating and words.
    content = {
        (
            r["reviewerID"],
            r["asin"],
            r["unixReviewTime"],
            r["overall"],
            r.get("summary", ""),
            r.get("reviewText", ""),
        )
        for r in records
    }
    verified = {
        (
            r["reviewerID"],
            r["asin"],
            r["unixReviewTime"],
            r["overall"],
            r.get("summary", ""),
            r.get("reviewText", ""),
        )
        for r in records
        if r["verified"]
    }
    assert len(lines) - len(set(lines)) == 68  # the documented exact duplicates

    report = ingest_paths(empty_ws, [path], progress=False)
    counts = empty_ws.table_counts()
    assert report.detected_format == "amazon2018"
    assert report.quarantined == 0
    assert counts["reviews"] == len(content) == report.tables["reviews"].inserted
    assert report.tables["reviews"].duplicates_collapsed == len(records) - len(content)
    assert counts["customers"] == len({r["reviewerID"] for r in records})
    assert counts["products"] == len({r["asin"] for r in records})
    assert counts["orders"] == counts["order_items"] == len(verified)
    no_text = {k for k in content if k[5] == ""}
    assert len(no_text) > 0
    assert _rows(empty_ws, "SELECT count(*) FROM reviews WHERE text = ''")[0][0] == len(no_text)
    assert report.files[0].notes["reviews_without_text"] == sum(
        "reviewText" not in r for r in records
    )

    again = ingest_paths(empty_ws, [path], progress=False)
    assert empty_ws.table_counts() == counts
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())
    assert again.tables["reviews"].unchanged == len(content)


# -- canonical -------------------------------------------------------------------


def _write_canonical(folder, kind):
    folder.mkdir()
    products = [
        ("P1", "Aurora Headphones", "Aurora", "Headphones", 99.5),
        ("P2", "Cable", "Acme", "Accessories", 5.0),
    ]
    customers = [
        ("C1", "Ann", "ann@example.com", "2024-01-02 10:00:00"),
        ("C2", "Bob", None, "2024-02-03 00:00:00"),
    ]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE products (product_id VARCHAR, title VARCHAR, brand VARCHAR, "
        "category VARCHAR, price DOUBLE)"
    )
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", products)
    con.execute(
        "CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, email VARCHAR, "
        "signup_at TIMESTAMP)"
    )
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", customers)
    con.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES ('O1', 'C1', "
        "TIMESTAMP '2024-03-01 12:00:00', 'completed', 104.5)) "
        "t(order_id, customer_id, ordered_at, status, total)"
    )
    con.execute(
        "CREATE TABLE order_items AS SELECT * FROM (VALUES ('O1', 'P1', 1, 99.5), "
        "('O1', 'P2', 1, 5.0)) t(order_id, product_id, quantity, unit_price)"
    )
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[kind]
    fmt = {"csv": "(FORMAT CSV, HEADER)", "jsonl": "(FORMAT JSON)", "parquet": "(FORMAT PARQUET)"}
    for table in ("products", "customers", "orders", "order_items"):
        con.execute(f"COPY {table} TO '{folder / (table + '.' + ext)}' {fmt[kind]}")
    con.close()
    (folder / "README.md").write_text("not data")
    return products, customers


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_canonical_folder_each_file_type(empty_ws, tmp_path, kind):
    products, customers = _write_canonical(tmp_path / "shop", kind)
    report = ingest_paths(empty_ws, [tmp_path / "shop"], progress=False)

    assert report.detected_format == "canonical"
    assert [f.kind for f in report.files] == ["products", "customers", "orders", "order_items"]
    assert report.skipped == [str(tmp_path / "shop" / "README.md")]
    assert report.quarantined == 0 and report.quarantine_path is None
    assert (
        _rows(empty_ws, "SELECT product_id, title, brand, category, price FROM products ORDER BY 1")
        == products
    )
    assert (
        _rows(
            empty_ws,
            "SELECT customer_id, name, email, strftime(signup_at, "
            "'%Y-%m-%d %H:%M:%S') FROM customers ORDER BY 1",
        )
        == customers
    )
    assert _rows(
        empty_ws, "SELECT order_id, customer_id, ordered_at, status, total FROM orders"
    ) == [("O1", "C1", datetime(2024, 3, 1, 12), "completed", 104.5)]
    assert _rows(empty_ws, "SELECT * FROM order_items ORDER BY product_id") == [
        ("O1", "P1", 1, 99.5),
        ("O1", "P2", 1, 5.0),
    ]
    assert {t: c.inserted for t, c in report.tables.items()} == {
        "products": 2,
        "customers": 2,
        "orders": 1,
        "order_items": 2,
    }


def test_detection_names_the_undetectable_file(tmp_path):
    odd = tmp_path / "stuff.jsonl"
    odd.write_text('{"foo": 1}\n')
    with pytest.raises(UserError, match="cannot tell the format of .*stuff.jsonl"):
        detect(odd)
    with pytest.raises(UserError, match="not Amazon Reviews 2018"):
        detect(_jsonl(tmp_path / "r.jsonl", REVIEWS_2023), "amazon2018")
    # Content wins over the name: Amazon 2023 reviews named like a canonical table.
    assert detect(_jsonl(tmp_path / "reviews.jsonl", REVIEWS_2023)).format == "amazon2023"
    assert detect(_jsonl(tmp_path / "meta.jsonl", META_2023)).kind == "meta"
