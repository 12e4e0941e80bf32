"""`insight doctor`: a healthy demo workspace passes; every disagreement between the
store and the review index is counted, against counts computed here with SQL."""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.doctor import run_doctor


def doctor_cli(path, *extra):
    result = CliRunner().invoke(app, ["doctor", "--data-dir", str(path), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def store_count(path, sql):
    con = duckdb.connect(str(path / "store.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_demo_workspace_is_healthy_and_counts_match_the_store(demo_dir):
    result = doctor_cli(demo_dir, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    checks = {c["name"]: c for c in report["checks"]}
    assert {c["status"] for c in checks.values()} == {"ok"}, checks
    reviews = store_count(demo_dir, "SELECT count(*) FROM reviews")
    assert checks["store"]["counts"]["reviews"] == reviews
    assert checks["store"]["counts"]["orders"] == store_count(
        demo_dir, "SELECT count(*) FROM orders"
    )
    assert checks["index"]["counts"] == {
        "store_reviews": reviews,
        "indexed": reviews,
        "missing": 0,
        "changed_text": 0,
        "stale_metadata": 0,
        "orphaned": 0,
    }
    assert checks["sentiment"]["counts"]["unlabelled"] == 0


def test_table_output_names_each_check(demo_dir):
    result = doctor_cli(demo_dir)
    assert result.exit_code == 0
    for name in ("store", "sentiment", "index", "recommender", "writer", "all good"):
        assert name in result.output


def test_store_changes_behind_the_index_are_counted_then_fixed_by_index(workspace_copy):
    con = duckdb.connect(str(workspace_copy / "store.duckdb"))
    ids = [
        r[0]
        for r in con.execute("SELECT review_id FROM reviews ORDER BY review_id LIMIT 6").fetchall()
    ]
    deleted, edited = ids[:3], ids[3:5]
    con.execute("DELETE FROM review_sentiment WHERE list_contains(?, review_id)", [deleted])
    con.execute("DELETE FROM reviews WHERE list_contains(?, review_id)", [deleted])
    con.execute(
        "UPDATE reviews SET text = text || ' Edited later: still fine.' "
        "WHERE list_contains(?, review_id)",
        [edited],
    )
    con.execute(
        "INSERT INTO reviews SELECT * REPLACE ('R999999' AS review_id) FROM reviews "
        "WHERE review_id = ?",
        [ids[5]],
    )
    reviews = con.execute("SELECT count(*) FROM reviews").fetchone()[0]
    con.close()

    result = doctor_cli(workspace_copy, "--json")
    assert result.exit_code == 1
    index = {c["name"]: c for c in json.loads(result.output)["checks"]}["index"]
    assert index["status"] == "error"
    assert index["counts"] == {
        "store_reviews": reviews,
        "indexed": reviews - 1 + 3,
        "missing": 1,
        "changed_text": 2,
        "stale_metadata": 0,
        "orphaned": 3,
    }
    assert "1 reviews not indexed" in index["message"]
    assert "insight index" in index["hint"]

    fixed = CliRunner().invoke(app, ["index", "--data-dir", str(workspace_copy)])
    assert fixed.exit_code == 0, fixed.output
    after = run_doctor(load_settings(data_dir=workspace_copy))
    assert after.ok, after.to_dict()
    assert after.check("index").counts["indexed"] == reviews
    assert after.check("index").counts["missing"] == 0


def test_changed_sentiment_label_is_stale_metadata_a_warning(workspace_copy):
    con = duckdb.connect(str(workspace_copy / "store.duckdb"))
    rid, label = con.execute(
        "SELECT review_id, label FROM review_sentiment ORDER BY review_id LIMIT 1"
    ).fetchone()
    other = "positive" if label != "positive" else "negative"
    con.execute("UPDATE review_sentiment SET label = ? WHERE review_id = ?", [other, rid])
    con.close()
    report = run_doctor(load_settings(data_dir=workspace_copy))
    assert report.ok  # searchable, only a filter value is out of date
    index = report.check("index")
    assert index.status == "warn"
    assert index.counts["stale_metadata"] == 1


def test_missing_store_is_an_error(tmp_path):
    result = doctor_cli(tmp_path / "nothing", "--json")
    assert result.exit_code == 1
    checks = json.loads(result.output)["checks"]
    assert checks[0]["name"] == "store" and checks[0]["status"] == "error"
    assert "insight demo" in checks[0]["hint"]


def test_a_running_writer_is_reported(workspace_copy):
    from assistant.workspace import Workspace

    with Workspace.open(workspace_copy, read_only=True) as ws, ws.writer_lock():
        report = run_doctor(load_settings(data_dir=workspace_copy))
    assert report.check("writer").status == "warn"
    assert "another process" in report.check("writer").message


@pytest.mark.parametrize("missing", ["recommender"])
def test_untrained_recommender_is_a_warning(workspace_copy, missing):
    import shutil

    shutil.rmtree(workspace_copy / "models" / missing)
    report = run_doctor(load_settings(data_dir=workspace_copy))
    assert report.ok
    assert report.check("recommender").status == "warn"


def test_a_truncated_store_is_reported_not_a_traceback(workspace_copy):
    store = workspace_copy / "store.duckdb"
    size = store.stat().st_size
    with open(store, "r+b") as fh:
        fh.truncate(size // 2)
    result = doctor_cli(workspace_copy, "--json")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    assert report["ok"] is False
    bad = [c for c in report["checks"] if c["status"] == "error"]
    assert bad and bad[0]["name"] in {"store", "store_integrity"}, bad
    assert bad[0]["hint"]


def test_a_corrupt_threads_file_is_an_error_with_a_way_out(workspace_copy):
    threads = workspace_copy / "threads.sqlite"
    threads.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    report = run_doctor(load_settings(data_dir=workspace_copy))
    check = report.check("threads")
    assert check.status == "error"
    assert "threads.sqlite" in check.hint
    assert report.ok is False


def test_a_corrupt_threads_file_makes_ask_a_clear_error(workspace_copy):
    (workspace_copy / "threads.sqlite").write_bytes(b"not a database at all" * 200)
    result = CliRunner().invoke(
        app, ["ask", "what are the top categories?", "--data-dir", str(workspace_copy)]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "threads.sqlite" in result.output
