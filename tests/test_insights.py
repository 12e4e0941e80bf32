"""product_insights on the demo shop, checked against independent SQL and by hand."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from assistant.errors import NotFoundError, UserError
from tools.context import ToolContext
from tools.insights import product_insights, wilson
from tools.toolbox import Toolbox


@pytest.fixture(scope="module")
def ctx(demo_ws):
    return ToolContext(
        demo_ws.cursor,
        role="marketer",
        models_dir=demo_ws.settings.models_dir,
        embedder_loader=lambda: demo_ws.embedder,
    )


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


def test_wilson_by_hand():
    # p = 0.5, n = 10, z = 1.96: centre 0.5, half-width 1.96*sqrt(0.025+0.00960)/1.38416
    assert wilson(5, 10) == [0.2366, 0.7634]
    assert wilson(0, 4) == [0.0, 0.4899]
    assert wilson(0, 0) is None


def test_planted_defect_is_the_top_complaint_after_its_date(ctx, manifest):
    defect = next(d for d in manifest["defects"] if d["aspect"] == "battery")
    since = date.fromisoformat(defect["since"])
    after = product_insights(ctx, product_id=defect["product_id"], since=defect["since"])
    top = after["top_complained"][0]
    assert top["aspect"] == "battery"
    assert top["share"] > 0.5 and top["n"] == after["review_count"]
    quoted = [q["review_id"] for q in top["quotes"]]
    assert 2 <= len(quoted) <= 3 and set(quoted) <= set(defect["review_ids"])
    rising = after["changes"]["rising_complaints"][0]
    assert rising["aspect"] == "battery" and rising["share_now"] > rising["share_before"]
    before = product_insights(
        ctx, product_id=defect["product_id"], until=(since - timedelta(days=1)).isoformat()
    )
    battery_before = next((a for a in before["top_complained"] if a["aspect"] == "battery"), None)
    assert battery_before is None or battery_before["share"] < 0.25


@pytest.mark.parametrize("defect_index", [0, 1, 2])
def test_every_planted_defect_shows_up(ctx, manifest, defect_index):
    if defect_index >= len(manifest["defects"]):
        pytest.skip("fewer planted defects")
    defect = manifest["defects"][defect_index]
    res = product_insights(ctx, product_id=defect["product_id"], since=defect["since"])
    assert defect["aspect"] in [a["aspect"] for a in res["top_complained"][:2]]


def test_figures_match_independent_sql(ctx, demo_ws, manifest):
    pid = manifest["defects"][0]["product_id"]
    since, until = "2025-06-01", "2026-05-31"
    res = product_insights(ctx, product_id=pid, since=since, until=until)
    cur = demo_ws.cursor()
    n, avg = cur.execute(
        "SELECT count(*), avg(rating) FROM reviews WHERE product_id = ? "
        "AND CAST(created_at AS DATE) BETWEEN ? AND ?",
        [pid, since, until],
    ).fetchone()
    assert res["review_count"] == n and res["average_rating"] == pytest.approx(avg, abs=1e-3)
    months = cur.execute(
        "SELECT strftime(created_at, '%Y-%m'), count(*) FROM reviews WHERE product_id = ? "
        "AND CAST(created_at AS DATE) BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        [pid, since, until],
    ).fetchall()
    assert [(m["month"], m["n"]) for m in res["rating_trend"]["months"]] == months
    neg = cur.execute(
        "SELECT count(*) FROM reviews r, review_sentiment s WHERE r.review_id = s.review_id "
        "AND r.product_id = ? AND s.label = 'negative' "
        "AND CAST(r.created_at AS DATE) BETWEEN ? AND ?",
        [pid, since, until],
    ).fetchone()[0]
    assert res["sentiment"]["negative"]["count"] == neg
    # Return rate: distinct non-cancelled orders with the product, by order date.
    orders = cur.execute(
        "SELECT DISTINCT o.order_id, o.status FROM orders o, order_items i "
        "WHERE o.order_id = i.order_id AND i.product_id = ? AND o.status <> 'cancelled' "
        "AND CAST(o.ordered_at AS DATE) BETWEEN ? AND ?",
        [pid, since, until],
    ).fetchall()
    returned = sum(1 for _, status in orders if status == "returned")
    assert (res["return_rate"]["count"], res["return_rate"]["n"]) == (returned, len(orders))
    # Complaint counts: reviews whose stored aspect mentions include a negative one.
    for item in res["top_complained"]:
        k = cur.execute(
            "SELECT count(DISTINCT a.review_id) FROM review_aspects a, reviews r "
            "WHERE a.review_id = r.review_id AND r.product_id = ? AND a.aspect = ? "
            "AND a.polarity = 'negative' AND CAST(r.created_at AS DATE) BETWEEN ? AND ?",
            [pid, item["aspect"], since, until],
        ).fetchone()[0]
        assert (item["count"], item["n"]) == (k, n)
        assert item["ci95"] == wilson(k, n)
    # Previous period: the same 365 days immediately before.
    prev = res["previous_period"]
    assert (prev["since"], prev["until"]) == ("2024-06-01", "2025-05-31")
    n_prev = cur.execute(
        "SELECT count(*) FROM reviews WHERE product_id = ? "
        "AND CAST(created_at AS DATE) BETWEEN '2024-06-01' AND '2025-05-31'",
        [pid],
    ).fetchone()[0]
    assert prev["review_count"] == n_prev
    assert res["changes"]["review_count"] == n - n_prev
    assert set(res["evidence"]["reviews"]) >= {
        q["review_id"] for a in res["top_complained"] for q in a["quotes"]
    }
    json.dumps(res)


def test_category_scope_in_any_spelling(ctx, demo_ws):
    cat = demo_ws.cursor().execute("SELECT category FROM products LIMIT 1").fetchone()[0]
    res = product_insights(ctx, category=cat.lower())
    n = (
        demo_ws.cursor()
        .execute(
            "SELECT count(*) FROM reviews WHERE product_id IN "
            "(SELECT product_id FROM products WHERE category = ?)",
            [cat],
        )
        .fetchone()[0]
    )
    assert res["subject"] == {"category": cat}
    assert res["review_count"] == n and res["previous_period"] is None


def test_quotes_are_redacted(ctx, demo_ws, manifest):
    from tools.safety import has_pii

    pids = {
        r[0]
        for r in demo_ws.cursor()
        .execute(
            "SELECT DISTINCT product_id FROM reviews WHERE review_id IN (SELECT unnest(?))",
            [manifest["pii_review_ids"]],
        )
        .fetchall()
    }
    for pid in sorted(pids)[:5]:
        res = product_insights(ctx, product_id=pid)
        for a in res["top_complained"] + res["top_praised"]:
            assert not any(has_pii(q["snippet"]) for q in a["quotes"])


def test_bad_arguments_are_clear_errors(ctx):
    with pytest.raises(UserError, match="exactly one"):
        product_insights(ctx)
    with pytest.raises(UserError, match="since must be a date"):
        product_insights(ctx, product_id="P0001", since="March")
    with pytest.raises(UserError, match="after until"):
        product_insights(ctx, product_id="P0001", since="2026-05-01", until="2026-04-01")
    with pytest.raises(NotFoundError) as err:
        product_insights(ctx, product_id="P001")
    assert "P0001" in err.value.suggestions


def test_tools_return_errors_as_data(ctx):
    toolbox = Toolbox(ctx)
    out = toolbox.call("product_insights", product_id="NOPE-1").result
    assert out["error"] == "NotFoundError"
    res = toolbox.call(
        "review_sentiment", texts=["great screen but the battery is awful"], aspects=["battery"]
    ).result
    assert res["n"] == 1
    assert res["results"][0]["aspects"][0]["polarity"] == "negative"


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_cli_sentiment_aspects_and_insights(demo_dir, demo_ws, manifest):
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    ws = ["--data-dir", str(demo_dir)]
    res = runner.invoke(
        app,
        ["sentiment", "-", *ws],
        input="I love it, works great\nBroke after a week, total waste of money.\n",
    )
    assert res.exit_code == 0, res.output
    assert [r["label"] for r in _json_lines(res.stdout)] == ["positive", "negative"]

    lines = [
        {"text": "great screen but the battery is awful", "aspects": ["battery"]},
        {"text": "The delivery was terribly slow. The sound is superb."},
    ]
    res = runner.invoke(app, ["aspects", *ws], input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert res.exit_code == 0, res.output
    first, second = _json_lines(res.stdout)
    assert [(a["aspect"], a["term"], a["polarity"]) for a in first["aspects"]] == [
        ("battery", "battery", "negative")
    ]
    assert {a["aspect"]: a["polarity"] for a in second["aspects"]} == {
        "delivery": "negative",
        "sound": "positive",
    }
    bad = runner.invoke(app, ["aspects", *ws], input='{"text": "ok"}\n{oops\n')
    assert bad.exit_code == 2 and "stdin:2" in bad.output

    pid = manifest["defects"][0]["product_id"]
    res = runner.invoke(app, ["insights", "--product", pid, "--since", "2026-03-01", "--json", *ws])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    n = (
        demo_ws.cursor()
        .execute(
            "SELECT count(*) FROM reviews WHERE product_id = ? AND created_at >= '2026-03-01'",
            [pid],
        )
        .fetchone()[0]
    )
    assert out["review_count"] == n
    text = runner.invoke(app, ["insights", "--product", pid, "--since", "2026-03-01", *ws])
    assert text.exit_code == 0 and "top complaints:" in text.output
    missing = runner.invoke(app, ["insights", "--product", "NOPE", *ws])
    assert missing.exit_code == 2 and "no product" in missing.output
