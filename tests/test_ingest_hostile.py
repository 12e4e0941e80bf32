"""Column names and keys in a file are data: hostile ones must neither run SQL nor
change anything beyond the rows the file holds.

Each payload below is written against the SQL ingest used to build by pasting
names (`to_json(struct_pack("{c}" := "{c}"))`, `json_extract_string(_raw,
'$."{src}"')`): on that code the first two wrote the sentinel file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assistant.data.ingest import ingest_paths
from assistant.errors import DataError


def _payloads(sentinel: Path) -> dict[str, str]:
    copy = f"COPY (SELECT 42 AS a) TO '{sentinel}'"
    return {
        # broke out of the CSV staging statement (struct_pack pasted the name twice)
        "csv_breakout": 'x" := 1)) AS VARCHAR) AS _raw, 1 AS _line FROM r; '
        + copy
        + "; CREATE TEMP TABLE r AS SELECT 1 AS _n, 1 AS _k; SELECT 1 AS y, --",
        # the same against the Parquet staging statement
        "parquet_breakout": 'x" := 1)) AS VARCHAR) AS _raw FROM _stg_read; '
        + copy
        + "; SELECT 1 AS y --",
        # a JSON path literal
        "json_path": f"title\"') AS x FROM _stg_json; {copy}; --",
        "quotes": 'a"b""c\'d',
        "walrus": "x := 1",
        "statements": "x; DROP TABLE products; --",
        "block_comment": "/* x */ y",
        "newline": "two\nlines",
        "long": '"' * 5000 + ";" * 5000,
        "fullwidth_quote": "ｘ＂ := ＂ｙ",
        "fullwidth_title": "ｔｉｔｌｅ",  # looks like "title": must not be taken for it
    }


PAYLOAD_IDS = list(_payloads(Path("/x")))


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _write(folder: Path, kind: str, hostile: str) -> Path:
    """products with the canonical columns plus one hostile column; two new rows."""
    folder.mkdir()
    rows = [("P2", "Scarf", "5", "evil 1"), ("P3", "Gloves", "7.5", "evil 2")]
    if kind == "csv":
        lines = ["product_id,title,price," + _csv_cell(hostile)]
        lines += [",".join(r) for r in rows]
        (folder / "products.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "jsonl":
        records = [
            {"product_id": p, "title": t, "price": float(pr), hostile: h} for p, t, pr, h in rows
        ]
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
        (folder / "products.jsonl").write_text(text, encoding="utf-8")
    else:
        columns = list(zip(*rows, strict=True))
        table = pa.table(
            {
                "product_id": list(columns[0]),
                "title": list(columns[1]),
                "price": [float(v) for v in columns[2]],
                hostile: list(columns[3]),
            }
        )
        pq.write_table(table, folder / "products.parquet")
    return folder


def _store(ws) -> dict[str, list]:
    return {
        t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()  # noqa: S608 -- table names from the store
        for t in ws.table_counts()
    }


def _files(root: Path, skip: Path) -> set[Path]:
    return {p for p in root.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture
def seeded_ws(empty_ws, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "products.csv").write_text("product_id,title,price\nP1,Hat,10\n")
    ingest_paths(empty_ws, [seed], progress=False)
    return empty_ws


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("payload", PAYLOAD_IDS)
def test_hostile_column_names_are_data(seeded_ws, tmp_path, kind, payload):
    sentinel = tmp_path / "pwned.csv"
    hostile = _payloads(sentinel)[payload]
    folder = _write(tmp_path / "in", kind, hostile)
    before = _store(seeded_ws)
    files_before = _files(tmp_path, seeded_ws.path)

    report = ingest_paths(seeded_ws, [folder], progress=False)

    assert not sentinel.exists()
    assert _files(tmp_path, seeded_ws.path) == files_before
    after = _store(seeded_ws)
    assert {t: rows for t, rows in after.items() if t != "products"} == {
        t: rows for t, rows in before.items() if t != "products"
    }
    new = [r for r in after["products"] if r not in before["products"]]
    assert sorted((r[0], r[1], r[4]) for r in new) == [("P2", "Scarf", 5.0), ("P3", "Gloves", 7.5)]
    assert len(after["products"]) == len(before["products"]) + 2
    assert report.quarantined == 0
    (ignored,) = report.files[0].notes["ignored_columns"]
    assert len(ignored) <= 80  # shown escaped and cut, not 10,000 characters of it
    assert "\n" not in ignored


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_hostile_names_reach_the_quarantine_as_data(seeded_ws, tmp_path, kind):
    sentinel = tmp_path / "pwned.csv"
    hostile = _payloads(sentinel)["csv_breakout" if kind == "csv" else "parquet_breakout"]
    folder = tmp_path / "in"
    folder.mkdir()
    if kind == "csv":
        (folder / "products.csv").write_text(
            f"product_id,price,{_csv_cell(hostile)}\nP9,-1,boom\n", encoding="utf-8"
        )
    else:
        pq.write_table(
            pa.table({"product_id": ["P9"], "price": [-1.0], hostile: ["boom"]}),
            folder / "products.parquet",
        )
    report = ingest_paths(seeded_ws, [folder], progress=False)
    assert not sentinel.exists()
    (entry,) = [json.loads(line) for line in report.quarantine_path.read_text().splitlines()]
    assert "price must be >= 0" in entry["reason"]
    assert json.loads(entry["raw"])[hostile] == "boom"  # the row keeps its own column names


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_names_differing_by_case_are_ambiguous(seeded_ws, tmp_path, kind):
    folder = tmp_path / "in"
    folder.mkdir()
    if kind == "csv":
        (folder / "products.csv").write_text("product_id,title,Title\nP2,Scarf,Shawl\n")
    elif kind == "jsonl":
        (folder / "products.jsonl").write_text(
            '{"product_id": "P2", "title": "Scarf"}\n{"product_id": "P3", "Title": "Shawl"}\n'
        )
    else:
        pq.write_table(
            pa.table({"product_id": ["P2"], "title": ["Scarf"], "Title": ["Shawl"]}),
            folder / "products.parquet",
        )
    before = _store(seeded_ws)
    with pytest.raises(
        DataError, match=r"ambiguous columns: '[tT]itle' and '[tT]itle' both mean products.title"
    ):
        ingest_paths(seeded_ws, [folder], progress=False)
    assert _store(seeded_ws) == before


def test_a_key_twice_in_one_json_record_quarantines_that_record(seeded_ws, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "products.jsonl").write_text(
        '{"product_id": "P2", "title": "Scarf", "title": "Shawl"}\n'
        '{"product_id": "P3", "title": "Gloves"}\n'
    )
    report = ingest_paths(seeded_ws, [folder], progress=False)
    assert report.tables["products"].inserted == 1
    (entry,) = [json.loads(line) for line in report.quarantine_path.read_text().splitlines()]
    assert (entry["line"], entry["reason"]) == (1, "a key appears twice in this record")


def test_the_ingest_command_shows_hostile_names_escaped(tmp_path):
    from typer.testing import CliRunner

    from assistant.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    # an ANSI escape in a column name must not reach the terminal as one
    name = "\x1b[2J\x1b[31mred"
    (folder / "products.jsonl").write_text(json.dumps({"product_id": "P1", name: 1}) + "\n")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\\x1b[2J" in result.output


def test_a_header_cell_with_a_line_break_keeps_line_numbers_true(seeded_ws, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "products.csv").write_text(
        'product_id,"ti\ntle",price\nP1,a,1\nP2,b,-1\nP3,c,x,y\nP4,d,2\n'
    )
    report = ingest_paths(seeded_ws, [folder], progress=False)
    got = {e["line"]: e["reason"] for e in map(json.loads, report.quarantine_path.open())}
    assert sorted(got) == [4, 5]  # P2 on line 4, P3 on line 5: the header spans lines 1-2
    assert got[4].startswith("price must be >= 0")
    assert got[5].startswith("malformed CSV line")
    assert report.tables["products"].loaded == 2  # P1 (updated) and P4


def test_hostile_folder_names_are_data(seeded_ws, tmp_path):
    sentinel = tmp_path / "pwned.csv"
    folder = tmp_path / f"o'brien\"; COPY (SELECT 1) TO '{sentinel}'; --"
    folder.mkdir(parents=True)  # the sentinel's slashes make it nested: still one path
    (folder / "customers.csv").write_text("customer_id,name\nC1,Ann\n")
    (folder / "reviews.jsonl").write_text(
        '{"review_id": "R1", "product_id": "P1", "rating": 5, "created_at": "2026-01-02"}\n'
    )
    pq.write_table(
        pa.table({"product_id": ["P2"], "title": ["Scarf"]}), folder / "products.parquet"
    )
    report = ingest_paths(seeded_ws, [folder], progress=False)
    assert not sentinel.exists()
    assert [report.loaded(t) for t in ("products", "customers", "reviews")] == [1, 1, 1]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_any_extra_column_name_is_ignored_and_the_rows_load(empty_ws, tmp_path, kind):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "products.csv").write_text("product_id,title\nP1,Hat\n")
    ingest_paths(empty_ws, [seed], progress=False)
    runs = iter(range(10_000))

    # Any name with quotes, SQL punctuation, line breaks and look-alikes (not a
    # canonical column, so nothing can make it ambiguous or required).
    text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
    names = st.tuples(text, st.sampled_from(['"', "'", "`", ";", ":=", "--", "/*", "\n"]), text)
    names = names.map("".join).filter(
        lambda n: n.strip().lower() not in ("product_id", "title", "price")
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=names)
    def check(name):
        folder = _write(tmp_path / f"in-{next(runs)}", kind, name)
        report = ingest_paths(empty_ws, [folder], progress=False)
        assert report.loaded("products") == 2 and report.quarantined == 0
        assert len(report.files[0].notes["ignored_columns"]) == 1
        empty_ws.conn.execute("DELETE FROM products WHERE product_id <> 'P1'")

    check()
