"""Re-ingesting never loses stored values by accident.

An update writes only the fields a row gives. A column missing from the file, a
key missing from a JSON record, an empty CSV cell or a Parquet null keeps what
is stored; only an explicit JSON null (or "") under a key the record has clears
a field. Every report says how many rows changed which fields.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.data.ingest import ingest_paths
from assistant.errors import DataError
from assistant.workspace import Workspace


def _ingest(ws, folder, name, text):
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / name).write_text(text, encoding="utf-8")
    return ingest_paths(ws, [folder], progress=False)


def _review(i: int, **extra) -> dict:
    return {
        "review_id": f"R{i}",
        "product_id": "P1",
        "rating": 4,
        "text": f"review {i} says the battery lasts",
        "created_at": "2026-03-02",
    } | extra


@pytest.fixture
def shop(empty_ws, tmp_path):
    """P1 with title, brand and price; 50 reviews with text."""
    _ingest(
        empty_ws,
        tmp_path / "seed",
        "products.csv",
        "product_id,title,brand,price\nP1,Aurora Headphones,Aurora,99.5\n",
    )
    lines = "\n".join(json.dumps(_review(i)) for i in range(50)) + "\n"
    _ingest(empty_ws, tmp_path / "seed", "reviews.jsonl", lines)
    return empty_ws


def _product(ws):
    return ws.conn.execute(
        "SELECT title, brand, price FROM products WHERE product_id = 'P1'"
    ).fetchone()


def _texts(ws):
    return ws.conn.execute("SELECT review_id, text FROM reviews ORDER BY review_id").fetchall()


def test_text_and_Text_in_one_file_is_an_error_and_loses_nothing(shop, tmp_path):
    before = _texts(shop)
    records = [_review(i) for i in range(50)]
    records[7] = _review(7, Text="shouting")  # one record with both spellings
    with pytest.raises(DataError, match="ambiguous columns: 'Text' and 'text' both mean"):
        _ingest(shop, tmp_path / "in", "reviews.jsonl", "\n".join(map(json.dumps, records)))
    assert _texts(shop) == before


def test_a_key_missing_from_a_record_keeps_the_stored_field(shop, tmp_path):
    report = _ingest(
        shop,
        tmp_path / "in",
        "products.jsonl",
        '{"product_id": "P1", "brand": "Aurora Audio"}\n'
        '{"product_id": "P2", "title": "Cable", "price": 5}\n',
    )
    assert _product(shop) == ("Aurora Headphones", "Aurora Audio", 99.5)
    counts = report.tables["products"]
    assert (counts.inserted, counts.updated) == (1, 1)
    assert counts.changed_fields == {"brand": 1}


def test_an_explicit_json_null_clears_the_field(shop, tmp_path):
    report = _ingest(
        shop, tmp_path / "in", "products.jsonl", '{"product_id": "P1", "price": null}\n'
    )
    assert _product(shop) == ("Aurora Headphones", "Aurora", None)
    assert report.tables["products"].changed_fields == {"price": 1}


def test_an_empty_csv_cell_keeps_the_stored_field(shop, tmp_path):
    report = _ingest(
        shop, tmp_path / "in", "products.csv", "product_id,title,brand,price\nP1,,,120\n"
    )
    assert _product(shop) == ("Aurora Headphones", "Aurora", 120.0)
    assert report.tables["products"].changed_fields == {"price": 1}


def test_an_empty_review_text_cell_keeps_the_stored_text(shop, tmp_path):
    report = _ingest(
        shop,
        tmp_path / "in",
        "reviews.csv",
        "review_id,product_id,rating,text,created_at\nR3,P1,1,,2026-03-02\nR4,P1,4,,2026-03-02\n",
    )
    assert shop.conn.execute(
        "SELECT rating, text FROM reviews WHERE review_id = 'R3'"
    ).fetchone() == (1, "review 3 says the battery lasts")
    counts = report.tables["reviews"]
    assert (counts.updated, counts.unchanged) == (1, 1)
    assert counts.changed_fields == {"rating": 1}


def test_a_parquet_null_keeps_the_stored_field(shop, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(
        pa.table({"product_id": ["P1"], "title": pa.array([None], pa.string()), "price": [80.0]}),
        folder / "products.parquet",
    )
    report = ingest_paths(shop, [folder], progress=False)
    assert _product(shop) == ("Aurora Headphones", "Aurora", 80.0)
    assert report.tables["products"].changed_fields == {"price": 1}


def test_changed_fields_are_shown_by_the_command(tmp_path):
    shop_dir = tmp_path / "shop"
    shop_dir.mkdir()
    (shop_dir / "products.csv").write_text("product_id,title,price\nP1,Hat,10\nP2,Cap,5\n")
    ws_dir = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(shop_dir), "--data-dir", str(ws_dir)]).exit_code == 0
    (shop_dir / "products.csv").write_text("product_id,title,price\nP1,Hat,12\nP2,Beret,6\n")

    result = runner.invoke(app, ["ingest", str(shop_dir), "--data-dir", str(ws_dir)])
    assert result.exit_code == 0, result.output
    assert "changed fields: price 2, title 1" in result.output

    (shop_dir / "products.csv").write_text("product_id,title,price\nP1,Hat,13\nP2,Beret,6\n")
    result = runner.invoke(app, ["ingest", str(shop_dir), "--data-dir", str(ws_dir), "--json"])
    assert json.loads(result.output)["tables"]["products"]["changed_fields"] == {"price": 1}
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert ws.conn.execute("SELECT price FROM products ORDER BY 1").fetchall() == [
            (6.0,),
            (13.0,),
        ]
