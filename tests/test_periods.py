"""Periods named in questions, relative to a pinned today (2026-11-01), checked against
calendar arithmetic done by hand."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.planner.periods import parse_period

TODAY = date(2026, 11, 1)


@pytest.mark.parametrize(
    "text, since, until",
    [
        ("complaints since March", "2026-03-01", None),
        ("since December", "2025-12-01", None),  # December 2026 has not started yet
        ("since march 2025", "2025-03-01", None),
        ("sales last quarter", "2026-07-01", "2026-09-30"),
        ("this quarter so far", "2026-10-01", "2026-11-01"),
        ("reviews in 2023", "2023-01-01", "2023-12-31"),
        ("in Q2 2025", "2025-04-01", "2025-06-30"),
        ("in q3", "2026-07-01", "2026-09-30"),
        ("in Q4", "2026-10-01", "2026-12-31"),
        ("last month", "2026-10-01", "2026-10-31"),
        ("last year", "2025-01-01", "2025-12-31"),
        ("this year", "2026-01-01", None),
        ("in the last 30 days", "2026-10-02", None),
        ("past three months", "2026-08-01", None),
        ("over the last 2 weeks", "2026-10-18", None),
        ("from 2025-01-01 to 2025-06-30", "2025-01-01", "2025-06-30"),
        ("between January and March 2025", "2025-01-01", "2025-03-31"),
        ("between nov and feb", "2025-11-01", "2026-02-28"),
        ("in February 2024", "2024-02-01", "2024-02-29"),  # leap year
        ("before June", None, "2026-05-31"),
        ("until 2025-03-31", None, "2025-03-31"),
        ("since 2025", "2025-01-01", None),
        ("yesterday", "2026-10-31", "2026-10-31"),
    ],
)
def test_periods(text, since, until):
    period = parse_period(text, TODAY)
    assert (period.since, period.until) == (since, until)
    assert period.text


@pytest.mark.parametrize("text", ["may I ask about the Aurora?", "top 5 products", "C00042"])
def test_no_period(text):
    assert parse_period(text, TODAY).as_args() == {}


def test_defaults_to_the_real_date():
    assert parse_period("this year").since == f"{date.today().year}-01-01"
