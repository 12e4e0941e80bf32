"""`insight ask` on a grouped metric question: the terminal shows the table, `--json`
carries its rows, and the rows agree with the store queried independently."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.result_table import table_of
from assistant.webapp import charts

QUESTION = "What is the revenue by month since January 2026?"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def monthly_revenue(demo_ws) -> dict[str, float]:
    """Revenue of completed orders per month since 2026-01-01, straight from the store."""
    rows = (
        demo_ws.cursor()
        .execute(
            "SELECT strftime(o.ordered_at, '%Y-%m') AS month, "
            "sum(coalesce(i.quantity, 1) * i.unit_price) "
            "FROM orders o JOIN order_items i USING (order_id) "
            "WHERE o.status = 'completed' AND o.ordered_at >= DATE '2026-01-01' "
            "GROUP BY month ORDER BY month"
        )
        .fetchall()
    )
    return {month: float(value) for month, value in rows}


def test_real_analyze_results_become_tables_with_the_tool_rows(demo_ws):
    from tools.analyze import analyze

    ctx = demo_ws.tool_context("marketer")
    ranked = analyze(ctx, metric="return_rate", by=["category"], limit=5, min_n=10)
    table = table_of("analyze", ranked)
    assert table.kind == "ranking" and table.unit == "rate"
    assert [r["category"] for r in table.rows] == [r["keys"]["category"] for r in ranked["rows"]]
    assert [r["value"] for r in table.rows] == [r["value"] for r in ranked["rows"]]
    assert [(r["ci_low"], r["ci_high"]) for r in table.rows] == [
        tuple(r["ci"]) for r in ranked["rows"]
    ]
    products = table_of("analyze", analyze(ctx, metric="revenue", by=["product"], limit=3))
    assert products.columns == ("product", "label", "value", "n")
    assert all(r["label"].endswith(f"({r['product']})") for r in products.rows)

    monthly = analyze(ctx, metric="orders", by=["month"], since="2026-01-01", limit=50)
    table = table_of("analyze", monthly)
    assert table.kind == "time" and table.columns == ("month", "value", "n")
    fig = charts.result_figure(table)
    assert list(fig.data[0].x) == sorted(r["keys"]["month"] for r in monthly["rows"])


def test_ask_json_has_the_table_rows_of_a_grouped_result(demo_dir, monthly_revenue):
    data = json.loads(_cli("ask", QUESTION, "--role", "marketer", "--json",
                           "--data-dir", str(demo_dir)))  # fmt: skip
    (table,) = data["tables"]
    assert table["metric"] == "revenue" and table["unit"] == "currency"
    assert table["by"] == ["month"] and table["kind"] == "time"
    assert table["columns"][0] == "month" and "value" in table["columns"]
    got = {row["month"]: row["value"] for row in table["rows"]}
    assert set(got) == set(monthly_revenue)
    for month, value in monthly_revenue.items():
        assert got[month] == pytest.approx(value, abs=0.01), month
    assert all(isinstance(row["n"], int) and row["n"] > 0 for row in table["rows"])


def test_ask_prints_the_table_under_the_answer(demo_dir, monthly_revenue):
    out = _cli("ask", QUESTION, "--role", "marketer", "--data-dir", str(demo_dir))
    # The table's header row is the first line naming the metric's unit.
    table_part = out[out.index("Revenue (shop currency)") :]
    assert "┃" in table_part.splitlines()[0]
    above = out[: out.index("Revenue (shop currency)")].splitlines()[-4:]
    assert any(line.strip() == "Revenue by month" for line in above), above
    for month, value in monthly_revenue.items():
        line = next(line for line in table_part.splitlines() if month in line)
        assert f"{value:,.2f}" in line, line


def test_an_ungrouped_answer_prints_no_table_and_json_has_none(demo_dir):
    question = "What was the total revenue since January 2026?"
    data = json.loads(_cli("ask", question, "--role", "marketer", "--json",
                           "--data-dir", str(demo_dir)))  # fmt: skip
    assert data["tables"] == []
    out = _cli("ask", question, "--role", "marketer", "--data-dir", str(demo_dir))
    assert "Revenue by" not in out and "┃" not in out  # rich's table header border
