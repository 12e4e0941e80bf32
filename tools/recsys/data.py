"""Interactions for the recommender, read from the store and weighted.

Purchases weigh most, then carts, wishlists and views; a review moves the weight
with its stars. Every interaction decays with age (half-life in days) counted from
the latest interaction in the data, so recent behaviour weighs more than old and a
historical export is not treated as entirely stale.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from tools.lazy_module import lazy_module

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")
sp = lazy_module("scipy.sparse")

# How much one interaction says about interest in the item.
KIND_WEIGHTS = {
    "purchase": 4.0,
    "returned": 1.0,  # bought, then sent back: interest, but not a success
    "cancelled": 1.0,
    "cart": 2.0,
    "wishlist": 1.5,
    "view": 0.5,
}
HALF_LIFE_DAYS = 365.0
MIN_DECAY = 0.25
BOUGHT_KINDS = ("purchase", "returned")

INTERACTIONS_SQL = """
SELECT o.customer_id, i.product_id, o.ordered_at AS at,
       CASE o.status WHEN 'returned' THEN 'returned'
                     WHEN 'cancelled' THEN 'cancelled' ELSE 'purchase' END AS kind,
       greatest(coalesce(i.quantity, 1), 1) AS qty
FROM orders o JOIN order_items i ON i.order_id = o.order_id
UNION ALL
SELECT customer_id, product_id, "at", event_type, 1
FROM events
WHERE product_id IS NOT NULL AND event_type IN ('view', 'cart', 'wishlist')
"""

REVIEWS_SQL = """
SELECT customer_id, product_id, rating, created_at AS at
FROM reviews WHERE customer_id IS NOT NULL
"""

PRODUCTS_SQL = """
SELECT product_id, coalesce(title, '') AS title, coalesce(brand, '') AS brand,
       coalesce(category, '') AS category, coalesce(description, '') AS description
FROM products ORDER BY product_id
"""


def load_interactions(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per interaction: customer_id, product_id, at, kind, qty."""
    df = conn.execute(INTERACTIONS_SQL).df()
    df["at"] = pd.to_datetime(df["at"])
    return df


def load_reviews(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    df = conn.execute(REVIEWS_SQL).df()
    df["at"] = pd.to_datetime(df["at"])
    return df


def load_products(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute(PRODUCTS_SQL).df()


@dataclass
class Interactions:
    """The weighted matrices every model is fitted on."""

    user_ids: np.ndarray  # row -> customer id
    item_ids: np.ndarray  # column -> product id
    weights: sp.csr_matrix  # recency-decayed, log-compressed interest
    bought: sp.csr_matrix  # 1 where the customer bought the item (excluded from results)
    purchases: sp.csr_matrix  # purchase-only weights (for "bought together" and popularity)
    rated: sp.csr_matrix  # star rating a customer gave an item (0 = none)
    as_of: pd.Timestamp | None

    @property
    def user_index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.user_ids)}


def build_interactions(
    events: pd.DataFrame,
    reviews: pd.DataFrame,
    item_ids: np.ndarray,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
) -> Interactions:
    """Weighted user x item matrices from raw interactions over the given catalogue."""
    item_pos = pd.Index(item_ids)
    events = events[events["product_id"].isin(item_pos)]
    reviews = reviews[reviews["product_id"].isin(item_pos)]
    user_ids = np.array(
        sorted(set(events["customer_id"]) | set(reviews["customer_id"])), dtype=object
    )
    user_pos = pd.Index(user_ids)
    shape = (len(user_ids), len(item_ids))
    stamps = pd.concat([events["at"], reviews["at"]])
    as_of = stamps.max() if len(stamps) else None

    def decay(at: pd.Series) -> np.ndarray:
        age = (as_of - at).dt.total_seconds().to_numpy() / 86400.0
        return np.maximum(0.5 ** (age / half_life_days), MIN_DECAY)

    def matrix(rows, cols, vals) -> sp.csr_matrix:
        m = sp.coo_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32).tocsr()
        m.sum_duplicates()
        return m

    rows = user_pos.get_indexer(events["customer_id"])
    cols = item_pos.get_indexer(events["product_id"])
    base = events["kind"].map(KIND_WEIGHTS).fillna(0.5).to_numpy()
    # Quantity counts, but with diminishing returns (ten socks are not ten purchases).
    qty = np.sqrt(events["qty"].to_numpy(dtype=float))
    d = decay(events["at"]) if len(events) else np.zeros(0)
    raw = matrix(rows, cols, base * qty * d)

    rrows = user_pos.get_indexer(reviews["customer_id"])
    rcols = item_pos.get_indexer(reviews["product_id"])
    stars = reviews["rating"].to_numpy(dtype=float)
    # A review is explicit feedback: 5 stars adds, 1 star takes away (never below a trace).
    delta = matrix(rrows, rcols, (stars - 3.0) * (decay(reviews["at"]) if len(reviews) else 1))
    combined = raw + delta
    combined.data = np.log1p(np.maximum(combined.data, 0.05)).astype(np.float32)
    combined.eliminate_zeros()

    bought_mask = events["kind"].isin(BOUGHT_KINDS).to_numpy()
    bought = matrix(rows[bought_mask], cols[bought_mask], np.ones(bought_mask.sum()))
    bought.data[:] = 1.0
    purchase_mask = (events["kind"] == "purchase").to_numpy()
    purchases = matrix(
        rows[purchase_mask], cols[purchase_mask], (qty * d)[purchase_mask] if len(d) else []
    )
    # A customer who reviewed the same item twice: keep the latest star rating, not the sum.
    latest = reviews.sort_values("at").drop_duplicates(["customer_id", "product_id"], keep="last")
    rated = matrix(
        user_pos.get_indexer(latest["customer_id"]),
        item_pos.get_indexer(latest["product_id"]),
        latest["rating"].to_numpy(dtype=float),
    )
    return Interactions(
        user_ids, np.asarray(item_ids, dtype=object), combined, bought, purchases, rated, as_of
    )
