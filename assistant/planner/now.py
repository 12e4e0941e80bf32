"""One notion of "now" for every relative period.

The rule: relative periods ("last month", "this year", "recently", "since March")
count from the end of the last day of data when the data ends before today, and
from today otherwise: with data to 2026-10-31 and today 2026-11-29, "last month" is
October 2026, as it would have been for someone reading the data the day it ended. Recency and churn already count from the shop's last order
(tools/rfm.shop_as_of), so the period parser is given the same day and revenue,
reviews and recency agree. Every answer that used a relative period says which
dates it stood for and where the data ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from assistant.planner.periods import Period, parse_period
from tools.rfm import last_order_at

# Far enough back that any period counted from "today" moves when re-read from it.
_PROBE_SHIFT = timedelta(days=400)


@dataclass(frozen=True)
class Now:
    day: date  # the day relative periods count from
    today: date
    data_end: date | None  # the last day with an order (or a review, for review-only shops)

    @property
    def from_data(self) -> bool:
        return self.data_end is not None and self.data_end < self.today


def _day(value) -> date | None:
    """The day of a DuckDB timestamp (or an ISO string), without importing pandas."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.date()


def data_end(cur) -> date | None:
    last = _day(last_order_at(cur))
    if last is not None:
        return last
    return _day(cur.execute("SELECT max(created_at) FROM reviews").fetchone()[0])


def reference(cur, today: date | None = None) -> Now:
    """The day relative periods count from, by the rule above."""
    today = today or date.today()
    end = data_end(cur)
    # The day after the data ends: that day's questions see all of the data as past.
    day = min(today, end + timedelta(days=1)) if end else today
    return Now(day=day, today=today, data_end=end)


def is_relative(period: Period, day: date) -> bool:
    """True when the period's dates depend on the day it is counted from."""
    if not period.text or not (period.since or period.until):
        return False
    return parse_period(period.text, day - _PROBE_SHIFT).as_args() != period.as_args()


def period_line(period: Period | None, now: Now, lang: str = "en") -> str:
    """The answer's line for a relative period, e.g. ``Period: 'last month' = October
    2026; data runs to 2026-10-31, so periods count from that day.``; empty for
    absolute or no periods. Its words are answer templates (prompts/answers*.yaml)."""
    from assistant.planner.render import period_line as line

    return line(period, now, lang)
