"""Leave-last-out evaluation with full ranking.

For every customer with at least two distinct purchased products, the last new
product they bought is held out, and everything that customer did from that
moment on is removed from training (no peeking at the future). Models are fitted
on the rest and every catalogue item the customer had not bought is ranked.
"""

from __future__ import annotations

import numpy as np

from tools.lazy_module import lazy_module
from tools.recsys.data import BOUGHT_KINDS, build_interactions
from tools.recsys.models import Params, fit

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

BATCH = 512


def split_last_out(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training interactions, held-out rows: customer_id, product_id, at)."""
    bought = events[events["kind"].isin(BOUGHT_KINDS)].sort_values(
        ["customer_id", "at", "product_id"]
    )
    # The first time each product was bought by each customer; repeats are not "new".
    first = bought.drop_duplicates(["customer_id", "product_id"], keep="first")
    counts = first.groupby("customer_id")["product_id"].transform("size")
    held = first[counts >= 2].drop_duplicates("customer_id", keep="last")
    held = held[["customer_id", "product_id", "at"]].rename(columns={"at": "cutoff"})
    merged = events.merge(held[["customer_id", "cutoff"]], on="customer_id", how="left")
    keep = merged["cutoff"].isna() | (merged["at"] < merged["cutoff"])
    train = merged.loc[keep, events.columns]
    return train, held.rename(columns={"cutoff": "at"})


def _rank_metrics(scores: np.ndarray, targets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    target_scores = scores[np.arange(len(targets)), targets]
    # Rank = items scored strictly higher (ties count against the model half the time).
    higher = (scores > target_scores[:, None]).sum(axis=1)
    ties = (scores == target_scores[:, None]).sum(axis=1) - 1
    rank = higher + ties / 2.0
    hit = rank < k
    ndcg = np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0)
    ok = np.isfinite(target_scores)
    return np.where(ok, hit, False), np.where(ok, ndcg, 0.0)


def evaluate(
    events: pd.DataFrame,
    reviews: pd.DataFrame,
    item_ids: np.ndarray,
    item_emb: np.ndarray | None,
    *,
    k: int = 10,
    params: Params | None = None,
    max_users: int | None = None,
    seed: int = 0,
) -> dict:
    """Recall@k and NDCG@k of the blend and each scorer alone."""
    train, held = split_last_out(events)
    train_reviews = reviews.merge(held[["customer_id", "at"]], on="customer_id", how="left")
    train_reviews = train_reviews[
        train_reviews["at_y"].isna() | (train_reviews["at_x"] < train_reviews["at_y"])
    ]
    train_reviews = train_reviews.rename(columns={"at_x": "at"})[reviews.columns]
    data = build_interactions(train, train_reviews, item_ids)
    model = fit(data, item_emb, params)
    held = held[held["customer_id"].isin(model.user_index)]
    if max_users and len(held) > max_users:
        held = held.sample(max_users, random_state=seed)
    rows = np.array([model.user_index[c] for c in held["customer_id"]], dtype=int)
    targets = np.array([model.item_index[p] for p in held["product_id"]], dtype=int)
    variants = ["blend", "als", "knn", "content", "popularity"]
    hits = {v: [] for v in variants}
    ndcgs = {v: [] for v in variants}
    for start in range(0, len(rows), BATCH):
        r, t = rows[start : start + BATCH], targets[start : start + BATCH]
        comps = model.component_scores(r)
        for v in variants:
            if v != "blend" and v not in comps:
                continue
            scores, _ = model.blend(comps, r, only=None if v == "blend" else v)
            h, n = _rank_metrics(model.exclude_bought(scores, r), t, k)
            hits[v].append(h)
            ndcgs[v].append(n)
    results = {}
    for v in variants:
        if hits[v]:
            results[v] = {
                f"recall@{k}": float(np.concatenate(hits[v]).mean()),
                f"ndcg@{k}": float(np.concatenate(ndcgs[v]).mean()),
            }
    return {"k": k, "users": int(len(rows)), "items": int(len(item_ids)), "results": results}
