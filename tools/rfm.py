"""RFM scores, segments, churn risk and CLV for every customer, from the orders table.

- Frequency and monetary value count completed orders only (a returned order was
  refunded, a cancelled one never paid). Recency counts completed and returned
  orders: a customer who ordered and sent it back yesterday was in touch yesterday,
  and calling them "gone quiet" would be wrong. Cancelled orders count for nothing.
  Recency is measured from the shop's latest order, so a historical export does not
  make everybody "lost".
- Each of R, F, M is scored 1-5 by rank among buyers; ties share a score (most
  customers have one order: they all get the same F).
- Segments follow the usual R x F map (Champions, Loyal, At risk, Hibernating, ...).
- Churn risk compares days since the last contact (completed or returned order)
  with the customer's own average gap between completed orders (the shop's median
  gap for one-time buyers).
- CLV = average order value x orders per year x horizon x probability still active.
"""

from __future__ import annotations

import math
import re

import numpy as np

from tools.lazy_module import lazy_module

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

HORIZON_YEARS = 2.0
DEFAULT_GAP_DAYS = 90.0
PROSPECT = "Prospect"

# (R pattern, F pattern) -> segment; first match wins.
SEGMENT_MAP = [
    (r"[1-2][1-2]", "Hibernating"),
    (r"[1-2][3-4]", "At risk"),
    (r"[1-2]5", "Can't lose them"),
    (r"3[1-2]", "About to sleep"),
    (r"33", "Need attention"),
    (r"[3-4][4-5]", "Loyal"),
    (r"41", "Promising"),
    (r"51", "New"),
    (r"[4-5][2-3]", "Potential loyalist"),
    (r"5[4-5]", "Champions"),
]
SEGMENTS = [name for _, name in SEGMENT_MAP] + [PROSPECT]

CUSTOMER_STATS_SQL = """
WITH item_sums AS (
    SELECT order_id, sum(coalesce(quantity, 1) * unit_price) AS value
    FROM order_items GROUP BY order_id
), order_value AS (
    -- The order total as recorded; the sum of its items when the export has no total.
    SELECT o.order_id, o.customer_id, o.ordered_at, o.status,
           coalesce(o.total, s.value, 0) AS value
    FROM orders o LEFT JOIN item_sums s ON s.order_id = o.order_id
)
SELECT c.customer_id, c.country,
       count(v.order_id) FILTER (WHERE v.status = 'completed') AS orders,
       coalesce(sum(v.value) FILTER (WHERE v.status = 'completed'), 0) AS spend,
       max(v.ordered_at) FILTER (WHERE v.status = 'completed') AS last_order,
       min(v.ordered_at) FILTER (WHERE v.status = 'completed') AS first_order,
       count(v.order_id) FILTER (WHERE v.status = 'returned') AS returned_orders,
       max(v.ordered_at) FILTER (WHERE v.status = 'returned') AS last_returned,
       max(v.ordered_at) FILTER (WHERE v.status IN ('completed', 'returned')) AS last_contact
FROM customers c LEFT JOIN order_value v ON v.customer_id = c.customer_id
GROUP BY c.customer_id, c.country
"""


def last_order_at(cur):
    """When the shop's last order was placed (DuckDB's datetime), None without orders.
    Without pandas: every question reads it (assistant/planner/now.py)."""
    return cur.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]


def shop_as_of(cur) -> pd.Timestamp | None:
    value = last_order_at(cur)
    return pd.Timestamp(value) if value is not None else None


def score_1_to_5(values: pd.Series) -> pd.Series:
    """1-5 by rank (higher value, higher score); equal values share a score."""
    n = len(values)
    if n == 0:
        return values.astype(int)
    rank = values.rank(method="min")
    return (1 + np.minimum(4, ((rank - 1) * 5 // n))).astype(int)


def segment_name(r: int, f: int) -> str:
    key = f"{r}{f}"
    for pattern, name in SEGMENT_MAP:
        if re.fullmatch(pattern, key):
            return name
    return "Need attention"


def churn_label(ratio: float | None) -> str | None:
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return None
    if ratio < 1.5:
        return "low"
    if ratio < 3.0:
        return "medium"
    return "high"


def customer_table(cur) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """One row per customer: orders, spend, recency, R/F/M, segment, churn, CLV."""
    df = cur.execute(CUSTOMER_STATS_SQL).df()
    as_of = shop_as_of(cur)
    df["last_order"] = pd.to_datetime(df["last_order"])
    df["first_order"] = pd.to_datetime(df["first_order"])
    df["last_returned"] = pd.to_datetime(df["last_returned"])
    df["last_contact"] = pd.to_datetime(df["last_contact"])
    buyers = df["orders"] > 0
    df["recency_days"] = (as_of - df["last_contact"]).dt.days if as_of is not None else np.nan
    df["aov"] = np.where(buyers, df["spend"] / df["orders"].clip(lower=1), np.nan)
    for col in ("r", "f", "m"):
        df[col] = 0
    b = df[buyers]
    df.loc[buyers, "r"] = score_1_to_5(-b["recency_days"])
    df.loc[buyers, "f"] = score_1_to_5(b["orders"])
    df.loc[buyers, "m"] = score_1_to_5(b["spend"])
    df["segment"] = [
        segment_name(r, f) if n > 0 else PROSPECT
        for r, f, n in zip(df["r"], df["f"], df["orders"], strict=True)
    ]
    span = (df["last_order"] - df["first_order"]).dt.total_seconds() / 86400.0
    own_gap = np.where(df["orders"] >= 2, span / (df["orders"] - 1).clip(lower=1), np.nan)
    repeat_gaps = own_gap[~np.isnan(own_gap)]
    shop_gap = float(np.median(repeat_gaps)) if len(repeat_gaps) else DEFAULT_GAP_DAYS
    df["gap_days"] = np.where(np.isnan(own_gap), shop_gap, np.maximum(own_gap, 1.0))
    df["gap_source"] = np.where(np.isnan(own_gap), "shop median", "own rhythm")
    df["churn_ratio"] = np.where(buyers, df["recency_days"] / df["gap_days"], np.nan)
    df["churn_risk"] = [churn_label(x) for x in df["churn_ratio"]]
    df["p_active"] = np.exp(-df["churn_ratio"] / 3.0)
    tenure_years = (
        (as_of - df["first_order"]).dt.total_seconds() / (365.25 * 86400)
        if as_of is not None
        else 1
    )
    df["orders_per_year"] = df["orders"] / np.maximum(tenure_years, 1.0)
    df["clv"] = np.where(
        buyers, df["aov"] * df["orders_per_year"] * HORIZON_YEARS * df["p_active"], 0.0
    )
    df.attrs["shop_gap_days"] = shop_gap
    return df, as_of


# What each figure counts, stated beside the figure in profiles.
COUNTS = {
    "recency": "completed and returned orders (a return is still contact); not cancelled",
    "frequency": "completed orders only",
    "monetary": "completed orders only (returned ones were refunded)",
    "churn_gap": "average gap between completed orders",
}

CLV_METHOD = (
    "average order value x completed orders per year (over at least one year of tenure) "
    f"x {HORIZON_YEARS:g}-year horizon x probability still active (exp(-recency/usual gap/3))"
)
