"""One notion of "now" (issue 16, item 3): relative periods count from the end of the
data when it ends before today, the same day recency counts from, and every answer
that used one says which dates it stood for and where the data ends."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from assistant.planner.now import is_relative, period_line, reference
from assistant.planner.periods import parse_period
from tools.rfm import shop_as_of

TODAY = date(2026, 11, 29)


@pytest.fixture
def cur():
    con = duckdb.connect()
    con.execute("CREATE TABLE orders (order_id TEXT, ordered_at TIMESTAMP)")
    con.execute("CREATE TABLE reviews (review_id TEXT, created_at TIMESTAMP)")
    con.execute("INSERT INTO orders VALUES ('O1', '2026-03-02 10:00'), ('O2', '2026-10-31 18:30')")
    con.execute("INSERT INTO reviews VALUES ('R1', '2026-10-30 09:00')")
    yield con
    con.close()


def test_data_ending_before_today_anchors_every_relative_period(cur):
    now = reference(cur, TODAY)
    assert now.from_data and now.data_end == date(2026, 10, 31)
    # The same last day recency and churn count from.
    assert shop_as_of(cur).date() == now.data_end
    last_month = parse_period("revenue last month", now.day)
    assert (last_month.since, last_month.until) == ("2026-10-01", "2026-10-31")
    # Counted from today, the last 30 days would hold one day of data.
    assert parse_period("orders in the last 30 days", now.day).since == "2026-10-02"
    assert period_line(last_month, now) == (
        "Period: 'last month' = October 2026; data runs to 2026-10-31, "
        "so periods count from that day."
    )
    this_year = parse_period("how did revenue move this year", now.day)
    assert "'this year' = since 2026-01-01" in period_line(this_year, now)


def test_data_running_to_today_counts_from_today(cur):
    now = reference(cur, date(2026, 10, 31))
    assert not now.from_data and now.day == date(2026, 10, 31)
    line = period_line(parse_period("last month", now.day), now)
    assert line == "Period: 'last month' = September 2026; counted from today, 2026-10-31."


def test_an_empty_store_counts_from_today():
    con = duckdb.connect()
    con.execute("CREATE TABLE orders (order_id TEXT, ordered_at TIMESTAMP)")
    con.execute("CREATE TABLE reviews (review_id TEXT, created_at TIMESTAMP)")
    now = reference(con, TODAY)
    assert now.day == TODAY and now.data_end is None and not now.from_data


@pytest.mark.parametrize(
    "text, relative",
    [
        ("since March", True),
        ("last quarter", True),
        ("in the last 3 months", True),
        ("since 2026-03-01", False),
        ("in March 2025", False),
        ("from 2026-01-01 to 2026-02-01", False),
        ("no period at all", False),
    ],
)
def test_only_relative_periods_get_the_line(cur, text, relative):
    now = reference(cur, TODAY)
    period = parse_period(text, now.day)
    assert is_relative(period, now.day) is relative
    assert bool(period_line(period, now)) is relative


def test_revenue_and_recency_answers_count_from_the_end_of_the_demo_data(demo_dir):
    from datetime import timedelta

    from assistant.agent import Assistant
    from assistant.config import Settings

    settings = Settings(data_dir=demo_dir, today=TODAY)
    with Assistant.open(demo_dir, settings=settings) as assistant:
        end = shop_as_of(assistant.tool_context("marketer").cursor()).date()
        assert end < TODAY  # the demo's data ends before this pinned today
        answer = assistant.ask("What was our revenue in the last 30 days?", role="marketer")
    metrics = [c for c in answer.tool_calls if c.name == "sales_metrics"]
    assert metrics, answer.text
    assert metrics[0].args["since"] == (end + timedelta(days=1) - timedelta(days=30)).isoformat()
    assert f"data runs to {end.isoformat()}" in answer.text.splitlines()[0]
    assert "last 30 days' = since " in answer.text
