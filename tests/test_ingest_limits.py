"""Ingest limits and encodings: over-long reviews, bytes that are not UTF-8, lone
surrogates and Chinese files saved as GB18030 end in a clear report, never a
traceback or a silently mangled row."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.data.ingest import ingest_paths
from assistant.data.quarantine import read_quarantine
from assistant.errors import DataError
from assistant.workspace import Workspace

PRODUCTS = "product_id,title\nP1,Aurora Headphones\n"


def _review(rid: str, text: str) -> str:
    record = {"review_id": rid, "product_id": "P1", "rating": 3, "text": text}
    return json.dumps(record | {"created_at": "2026-03-02"}, ensure_ascii=False)


def _shop(tmp_path, reviews: bytes, name: str = "reviews.jsonl"):
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "products.csv").write_text(PRODUCTS)
    (folder / name).write_bytes(reviews)
    return folder


def _reviews(ws) -> dict[str, str]:
    return dict(ws.conn.execute("SELECT review_id, text FROM reviews").fetchall())


def test_review_text_over_the_limit_is_quarantined_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("INSIGHT_MAX_REVIEW_CHARS", "100")
    lines = [_review("R1", "x" * 100), _review("R2", "y" * 101), _review("R3", "ok")]
    folder = _shop(tmp_path, ("\n".join(lines) + "\n").encode())
    with Workspace.open(tmp_path / "ws", create=True) as ws:
        report = ingest_paths(ws, [folder], progress=False)
        assert sorted(_reviews(ws)) == ["R1", "R3"]
    (entry,) = read_quarantine(report.quarantine_path)
    assert entry["line"] == 2
    assert entry["reason"] == (
        "text is 101 characters, over the limit of 100 (INSIGHT_MAX_REVIEW_CHARS)"
    )


def test_a_huge_single_line_review_is_quarantined_and_cut_in_the_quarantine(empty_ws, tmp_path):
    assert empty_ws.settings.max_review_chars == 20_000
    huge = "battery " * 250_000  # 2 MB on one line
    lines = [_review("R1", "fine"), _review("R2", huge)]
    folder = _shop(tmp_path, ("\n".join(lines) + "\n").encode())
    report = ingest_paths(empty_ws, [folder], progress=False)
    assert sorted(_reviews(empty_ws)) == ["R1"]
    (entry,) = read_quarantine(report.quarantine_path)
    assert entry["reason"].startswith("text is 2000000 characters, over the limit of 20000")
    assert len(entry["raw"]) == 10_000 and entry["raw_chars"] == len(lines[1])


def test_lines_that_are_not_utf8_are_quarantined_and_the_rest_loads(empty_ws, tmp_path):
    good = [_review("R1", "fine").encode(), _review("R3", "好用").encode()]
    bad = _review("R2", "caf").encode()[:-30] + b"\xe9" + _review("R2", "x").encode()[-30:]
    surrogate_bytes = _review("R4", "a").encode().replace(b'"a"', b'"\xed\xa0\x80"')
    surrogate_escape = _review("R5", "a").replace('"a"', '"\\ud800"').encode()
    data = b"\n".join([good[0], bad, good[1], surrogate_bytes, surrogate_escape]) + b"\n"
    report = ingest_paths(empty_ws, [_shop(tmp_path, data)], progress=False)

    assert _reviews(empty_ws) == {"R1": "fine", "R3": "好用"}
    got = {e["line"]: e for e in read_quarantine(report.quarantine_path)}
    assert set(got) == {2, 4, 5}
    assert got[2]["reason"].startswith("not valid UTF-8 (byte 0xe9 at column")
    assert "\\xe9" in got[2]["raw"]
    assert got[4]["reason"].startswith("not valid UTF-8 (byte 0xed")
    assert got[5]["reason"] == "malformed JSON"
    assert report.files[1].notes["lines_not_utf8"] == 2


def test_a_csv_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    folder = tmp_path / "shop"
    folder.mkdir()
    # Latin-1 "Müller": it also decodes as GB18030, into nonsense, which must not be taken
    (folder / "customers.csv").write_bytes(
        "customer_id,name\nC1,Ann\nC2,Müller\n".encode("latin-1")
    )
    result = CliRunner().invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert "line 3 is not valid UTF-8 (byte 0xfc at column 5)" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(DataError, match="save the file as UTF-8"):
        with Workspace.open(tmp_path / "ws") as ws:
            ingest_paths(ws, [folder], progress=False)


@pytest.mark.parametrize("name", ["reviews.csv", "reviews.jsonl"])
def test_a_gb18030_chinese_file_is_converted_and_says_so(empty_ws, tmp_path, name):
    texts = {"R1": "音质很好，但是电池不耐用。", "R2": "屏幕清晰，物流很快！", "R3": "Great sound"}
    if name.endswith(".csv"):
        body = "review_id,product_id,rating,text,created_at\n" + "".join(
            f"{rid},P1,4,{text},2026-03-02\n" for rid, text in texts.items()
        )
    else:
        body = "\n".join(_review(rid, text) for rid, text in texts.items()) + "\n"
    folder = _shop(tmp_path, body.encode("gb18030"), name)
    report = ingest_paths(empty_ws, [folder], progress=False)
    assert _reviews(empty_ws) == texts
    assert report.quarantined == 0
    assert report.files[1].notes["converted_from_encoding"] == "GB18030"


def test_a_utf8_chinese_file_with_one_damaged_line_is_not_reread_as_gb18030(empty_ws, tmp_path):
    texts = {f"R{i}": f"第{i}条评论：电池续航很好" for i in range(1, 6)}
    lines = [_review(rid, text).encode() for rid, text in texts.items()]
    lines[2] = lines[2][:-20] + b"\xff" + lines[2][-19:]
    report = ingest_paths(empty_ws, [_shop(tmp_path, b"\n".join(lines))], progress=False)
    del texts["R3"]
    assert _reviews(empty_ws) == texts
    assert "converted_from_encoding" not in report.files[1].notes
    (entry,) = read_quarantine(report.quarantine_path)
    assert entry["line"] == 3
