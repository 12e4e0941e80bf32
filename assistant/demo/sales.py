"""The demo shop's behaviour: who signs up, who buys what and when, what is returned.

All of it is vectorised numpy over a fixed calendar (2024-01-01 .. 2026-10-31), so a
scale of 30 (about a million order lines) still takes seconds. Times are integer
seconds since 2024-01-01; the writer turns them into timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

START_DAY = np.datetime64("2024-01-01", "D")
END_DAY = np.datetime64("2026-10-31", "D")
N_DAYS = int((END_DAY - START_DAY).astype(int)) + 1
DAY = 86_400

# Seasonality: retail-like months (Nov/Dec peak), weekdays, Black Friday weekends.
MONTH_FACTOR = np.array([0.85, 0.78, 0.9, 0.92, 0.95, 0.9, 0.88, 0.92, 0.98, 1.05, 1.6, 1.9])
WEEKDAY_FACTOR = np.array([1.0, 0.97, 0.98, 1.0, 1.06, 0.93, 1.08])  # Monday first
BLACK_FRIDAYS = ("2024-11-29", "2025-11-28")
HOUR_WEIGHTS = np.array(
    [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 9, 10, 11, 10, 7, 4], dtype=float
)
# Customer kinds: never bought, one-time, occasional, regular, loyal core.
KIND_P = np.array([0.10, 0.40, 0.33, 0.12, 0.05])
KIND_ORDERS = ((0, 0), (1, 1), (2, 4), (5, 12), (14, 45))


def day_index(iso: str) -> int:
    return int((np.datetime64(iso, "D") - START_DAY).astype(int))


def demand_curve() -> np.ndarray:
    """Relative order volume per day of the calendar."""
    days = np.arange(N_DAYS)
    dates = START_DAY + days
    month = dates.astype("datetime64[M]").astype(int) % 12
    weekday = days % 7  # 2024-01-01 was a Monday
    w = MONTH_FACTOR[month] * WEEKDAY_FACTOR[weekday] * (1.0 + 0.4 * days / N_DAYS)
    for bf in BLACK_FRIDAYS:
        d = day_index(bf)
        w[d - 1 : d + 4] *= 2.2  # through Cyber Monday
    return w


def draw_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, w: np.ndarray):
    """One day per row, distributed like ``w`` but restricted to [lo, hi] (inclusive)."""
    cdf = np.cumsum(w) / w.sum()
    before = np.concatenate(([0.0], cdf[:-1]))
    u = before[lo] + rng.random(len(lo)) * (cdf[hi] - before[lo])
    return np.minimum(np.searchsorted(cdf, u, side="right"), hi)


def draw_seconds(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    hours = rng.choice(24, size=len(days), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return days.astype(np.int64) * DAY + hours * 3600 + rng.integers(0, 3600, len(days))


@dataclass
class Shop:
    """Everything simulated, as parallel arrays (indices, not ids)."""

    # customers
    signup: np.ndarray  # seconds
    primary_cat: np.ndarray
    secondary_cat: np.ndarray
    active_lo: np.ndarray  # days
    active_hi: np.ndarray
    # orders (sorted by time)
    order_cust: np.ndarray
    order_at: np.ndarray
    order_status: np.ndarray  # 0 completed, 1 returned, 2 cancelled
    order_total: np.ndarray
    # order lines (grouped by order)
    line_order: np.ndarray
    line_product: np.ndarray
    line_qty: np.ndarray
    line_price: np.ndarray


def product_popularity(rng: np.random.Generator, n: int, top: list[int]) -> np.ndarray:
    """Zipf-like weights; the ``top`` products get high ranks so they have enough history."""
    ranks = rng.permutation(n)
    for want, idx in enumerate(top):
        # swap the planted product into a top rank
        rank = want * 4 + 2
        other = int(np.flatnonzero(ranks == rank)[0])
        ranks[other], ranks[idx] = ranks[idx], rank
    return 1.0 / (ranks + 1.0) ** 1.1


def simulate_shop(
    rng: np.random.Generator,
    n_customers: int,
    product_cat: np.ndarray,
    product_price: np.ndarray,
    popularity: np.ndarray,
    return_p: np.ndarray,
    defect_since: np.ndarray,  # per product: first defect day, or N_DAYS if none
    n_categories: int,
) -> Shop:
    w = demand_curve()
    kind = rng.choice(len(KIND_P), size=n_customers, p=KIND_P)
    lo = np.array([k[0] for k in KIND_ORDERS])[kind]
    hi = np.array([k[1] for k in KIND_ORDERS])[kind]
    n_orders = lo + (rng.random(n_customers) * (hi - lo + 1)).astype(int)

    # Long-standing customers (regular, loyal) signed up earlier.
    u = rng.random(n_customers)
    signup_day = np.where(kind >= 3, -240 + u**1.5 * 700, -120 + u * (N_DAYS + 100)).astype(int)
    signup_day = np.minimum(signup_day, N_DAYS - 10)
    active_lo = np.maximum(signup_day, 0)
    churned = rng.random(n_customers) < 0.3  # some go quiet before the end
    quiet_day = active_lo + ((N_DAYS - 1 - active_lo) * rng.uniform(0.35, 0.9, n_customers))
    active_hi = np.where(churned, quiet_day.astype(int), N_DAYS - 1)
    active_hi = np.maximum(active_hi, active_lo)

    cat_w = np.bincount(product_cat, weights=popularity, minlength=n_categories)
    primary = rng.choice(n_categories, size=n_customers, p=cat_w / cat_w.sum())
    secondary = rng.integers(0, n_categories, n_customers)

    order_cust = np.repeat(np.arange(n_customers), n_orders)
    order_day = draw_days(rng, active_lo[order_cust], active_hi[order_cust], w)
    order_at = draw_seconds(rng, order_day)
    order = np.lexsort((order_cust, order_at))
    order_cust, order_at, order_day = order_cust[order], order_at[order], order_day[order]
    n_ord = len(order_cust)

    # Sign-up happens before the first order, whatever the draw said.
    signup = signup_day.astype(np.int64) * DAY + rng.integers(0, DAY, n_customers)
    first = np.full(n_customers, np.iinfo(np.int64).max)
    np.minimum.at(first, order_cust, order_at)
    signup = np.minimum(signup, first - rng.integers(600, 5 * DAY, n_customers))

    # Lines: mostly the customer's favourite categories, otherwise the global hit list.
    n_lines = 1 + np.minimum(rng.poisson(1.4, n_ord), 7)
    line_order = np.repeat(np.arange(n_ord), n_lines)
    cust = order_cust[line_order]
    r = rng.random(len(line_order))
    cat = np.where(r < 0.55, primary[cust], np.where(r < 0.70, secondary[cust], -1))
    line_product = np.empty(len(line_order), dtype=np.int64)
    glob = cat < 0
    cdf = np.cumsum(popularity) / popularity.sum()
    line_product[glob] = np.searchsorted(cdf, rng.random(glob.sum()), side="right")
    for k in range(n_categories):
        members = np.flatnonzero(product_cat == k)
        mask = cat == k
        kcdf = np.cumsum(popularity[members]) / popularity[members].sum()
        line_product[mask] = members[np.searchsorted(kcdf, rng.random(mask.sum()), side="right")]
    line_product = np.minimum(line_product, len(popularity) - 1)

    # One line per (order, product): merge repeats into the quantity.
    qty = rng.choice([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3], size=len(line_order))
    key = line_order * len(popularity) + line_product
    uniq, inv = np.unique(key, return_inverse=True)
    line_qty = np.bincount(inv, weights=qty).astype(np.int64)
    line_order = uniq // len(popularity)
    line_product = uniq % len(popularity)

    # Prices: list price, Black Friday deals, occasional promotions.
    line_day = order_day[line_order]
    bf = np.zeros(N_DAYS, dtype=bool)
    for d in BLACK_FRIDAYS:
        bf[day_index(d) - 1 : day_index(d) + 4] = True
    r = rng.random(len(line_order))
    factor = np.where(bf[line_day] & (r < 0.6), 0.8, 1.0)
    factor = np.where(~bf[line_day] & (r < 0.08), rng.uniform(0.75, 0.95, len(r)), factor)
    line_price = np.round(product_price[line_product] * factor, 2)

    # Returns: per-category base rate, much higher for defective units sold after the defect.
    p = return_p[line_product] + np.where(line_day >= defect_since[line_product], 0.38, 0.0)
    starts = np.flatnonzero(np.r_[True, line_order[1:] != line_order[:-1]])
    order_p = np.maximum.reduceat(p, starts)
    r = rng.random(n_ord)
    status = np.where(r < 0.03, 2, np.where(rng.random(n_ord) < order_p, 1, 0))
    total = np.round(np.add.reduceat(line_price * line_qty, starts), 2)

    return Shop(
        signup, primary, secondary, active_lo, active_hi,
        order_cust, order_at, status, total,
        line_order, line_product, line_qty, line_price,
    )  # fmt: skip
