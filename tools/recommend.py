"""Recommendations: for a customer, similar products, and products bought together.

Models are trained by :func:`train_models` (tools.recsys.training; run at `insight
demo` / `insight index` / `insight train`) into ``<models_dir>/recommender`` and
loaded once per tool context.
Every recommended item carries a reason naming what in the customer's own history
led to it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NotRequired

import numpy as np
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from assistant.errors import BackendError, UserError
from tools import resolve
from tools.context import ToolContext
from tools.recsys.health import held_back
from tools.recsys.models import RecModel
from tools.recsys.training import MODEL_DIR, evaluate_recommender, train_models
from tools.spec import ToolSpec, strict

MAX_K = 100
# Ratings at or below this are a complaint, not taste to build on.
LOW_STARS = 2
# How far (in the blended score's z units) an item exactly like a disliked one drops;
# items less similar drop in proportion to their similarity.
DISLIKE_PENALTY = 1.5

DISLIKED_SQL = """
SELECT i.product_id, 'returned' AS why
FROM orders o JOIN order_items i ON i.order_id = o.order_id
WHERE o.customer_id = ? AND o.status = 'returned' AND i.product_id IS NOT NULL
UNION
SELECT product_id, 'rated ' || rating || ' stars'
FROM (SELECT product_id, rating, row_number() OVER (
          PARTITION BY product_id ORDER BY created_at DESC, review_id DESC) AS n
      FROM reviews WHERE customer_id = ?)
WHERE n = 1 AND rating <= ?
"""
__all__ = ["train_models", "evaluate_recommender"]


def load_model(ctx: ToolContext) -> RecModel:
    """The trained model, loaded once per context and again after a retrain."""
    if ctx.models_dir is None:
        raise BackendError("no models directory is configured for this tool context")
    path = Path(ctx.models_dir) / MODEL_DIR
    meta = path / "meta.json"
    if not meta.exists():
        raise BackendError(
            "the recommender has not been trained for this workspace",
            hint="run `insight train` (or `insight index`)",
        )
    return ctx.cached(f"recommender:model:{meta.stat().st_mtime_ns}", lambda: RecModel.load(path))


def _catalog(ctx: ToolContext) -> dict[str, dict]:
    def load():
        rows = (
            ctx.cursor()
            .execute("SELECT product_id, title, brand, category, price FROM products")
            .fetchall()
        )
        return {r[0]: {"title": r[1], "brand": r[2], "category": r[3], "price": r[4]} for r in rows}

    return ctx.cached("recommender:catalog", load)


def _check_k(k: int) -> int:
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise UserError(f"k must be between 1 and {MAX_K}, got {k!r}")
    return k


def _resolve_category(ctx: ToolContext, category: str | None) -> str | None:
    if category is None or not str(category).strip():
        return None
    return resolve.category(ctx, category)


def _resolve_product(ctx: ToolContext, product_id: str) -> str:
    return resolve.product(ctx, product_id)["product_id"]


# -- serving -------------------------------------------------------------------
def _scores_for(model: RecModel, row: int | None, n: int = 1):
    """Blended scores and per-scorer shares for one known customer row (or cold start)."""
    if row is None:
        pop = (model.popularity - model.popularity.mean()) / max(model.popularity.std(), 1e-9)
        return pop[None, :], {"popularity": pop[None, :]}
    rows = np.array([row])
    comps = model.component_scores(rows)
    total, shares = model.blend(comps, rows)
    return model.exclude_bought(total, rows), shares


def _healthy_mask(model: RecModel, unhealthy: dict[str, str]) -> np.ndarray:
    return np.array([p not in unhealthy for p in model.item_ids])


def _top(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    s = scores.copy()
    if allowed is not None:
        s[~allowed] = -np.inf
    k = min(k, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.zeros(0, dtype=int)
    idx = np.argpartition(-s, k - 1)[:k]
    return idx[np.argsort(-s[idx], kind="stable")]


def disliked_products(ctx: ToolContext, cid: str) -> dict[str, str]:
    """Products the customer returned or (last) rated 1-2 stars, with why: negative signals."""
    out: dict[str, str] = {}
    for pid, why in ctx.cursor().execute(DISLIKED_SQL, [cid, cid, LOW_STARS]).fetchall():
        out[pid] = f"{out[pid]}, {why}" if pid in out else why
    return out


def _similarity_to(model: RecModel, items: np.ndarray) -> np.ndarray:
    """For every catalogue item, its highest similarity (0..1) to any of ``items``."""
    n = len(model.item_ids)
    if len(items) == 0:
        return np.zeros(n)
    if model.item_emb is not None:
        emb = model.item_emb
        norms = np.maximum(np.linalg.norm(emb, axis=1), 1e-9)
        sims = (emb[items] / norms[items, None]) @ (emb / norms[:, None]).T
    elif model.similarity is not None:
        sims = np.asarray(model.similarity[items].todense())
    else:
        return np.zeros(n)
    return np.clip(sims.max(axis=0), 0.0, 1.0)


def _anchor(
    model: RecModel, row: int, item: int, how: str, excluded: frozenset[int] = frozenset()
) -> int | None:
    """The item of the customer's history that most explains ``item`` under a scorer,
    never one in ``excluded`` (returned or poorly rated: nothing to say they liked)."""
    w = model.weights[row]
    if w.nnz == 0:
        return None
    hist, vals = w.indices, w.data
    if how == "knn" and model.similarity is not None:
        sims = np.asarray(model.similarity[hist, item].todense()).ravel()
    elif model.item_emb is not None:
        sims = model.item_emb[hist] @ model.item_emb[item]
    else:
        return None
    contrib = (vals * sims).astype(float)
    if excluded:
        contrib[np.isin(hist, list(excluded))] = -np.inf
    best = int(np.argmax(contrib))
    return int(hist[best]) if contrib[best] > 0 else None


def _reason(
    model: RecModel,
    cat: dict,
    row: int | None,
    item: int,
    shares: dict,
    disliked: frozenset[int] = frozenset(),
) -> dict:
    """Why an item is recommended: ``text`` in English, and ``kind`` with what it names
    (``about``: a category, or the product in the customer's history and what they did
    with it), so an answer in another language can say the same."""
    pid = model.item_ids[item]
    category = (cat.get(pid) or {}).get("category")
    where = {"category": category} if category else {}
    if row is None:
        return {
            "scorer": "popularity",
            "text": f"a best seller in {category or 'the shop'}",
            "kind": "best_seller",
            "about": where,
        }
    best = max(shares, key=lambda n: shares[n][0, item])
    if best == "popularity":
        return {
            "scorer": best,
            "text": f"popular in {category or 'the shop'} right now",
            "kind": "popular",
            "about": where,
        }
    anchor = _anchor(model, row, item, "knn" if best in ("knn", "als") else "content", disliked)
    if anchor is None:
        return {
            "scorer": best,
            "text": "customers with tastes like yours bought it",
            "kind": "similar_tastes",
            "about": {},
        }
    aid = model.item_ids[anchor]
    title = (cat.get(aid) or {}).get("title") or aid
    stars = model.rated[row, anchor]
    bought = model.bought[row, anchor] > 0
    about = {"title": title}
    if best == "content":
        if stars:
            what, kind = f"you rated {int(stars)}", "similar_rated"
            about["stars"] = str(int(stars))
        else:
            what, kind = (
                ("you bought", "similar_bought") if bought else ("you looked at", "similar_viewed")
            )
        text = f"similar to {title} {what}"
    elif best == "knn":
        kind = "bought_with" if bought else "interested_with"
        text = (
            f"bought by people who bought {title}"
            if bought
            else f"chosen by people who were also interested in {title}"
        )
    else:
        kind = "similar_tastes_liked"
        text = f"customers with tastes like yours (who also liked {title}) bought it"
    return {"scorer": best, "text": text, "kind": kind, "about": about, "because_of": aid}


def recommend_for_customer(
    ctx: ToolContext, customer_id: str, k: int = 10, category: str | None = None
) -> dict:
    """Top-k products for a customer, never ones they already bought, each with a reason."""
    k = _check_k(k)
    cid = resolve.customer_id(ctx, customer_id)
    model, cat = load_model(ctx), _catalog(ctx)
    cat_name = _resolve_category(ctx, category)
    row = model.user_index.get(cid)
    scores, shares = _scores_for(model, row)
    negative = disliked_products(ctx, cid)
    pos = {p: i for i, p in enumerate(model.item_ids)}
    disliked = frozenset(pos[p] for p in negative if p in pos)
    if disliked:
        # Items like one they sent back or panned rank lower, in proportion to likeness.
        penalty = DISLIKE_PENALTY * _similarity_to(model, np.array(sorted(disliked)))
        scores = scores - penalty[None, :]
    unhealthy = held_back(ctx)
    allowed = _healthy_mask(model, unhealthy)
    if cat_name:
        allowed &= np.array(
            [(cat.get(p) or {}).get("category") == cat_name for p in model.item_ids]
        )
    top = _top(scores[0], k, allowed)
    # Say which products would have ranked but were held back, so nothing is hidden silently.
    skipped = [
        {"product_id": model.item_ids[i], "reason": unhealthy[model.item_ids[i]]}
        for i in _top(scores[0], k, None)
        if model.item_ids[i] in unhealthy
    ]
    items, anchors = [], set()
    for rank, i in enumerate(top, start=1):
        pid = model.item_ids[i]
        info = cat.get(pid) or {}
        reason = _reason(model, cat, row, int(i), shares, disliked)
        if reason.get("because_of"):
            anchors.add(reason["because_of"])
        items.append(
            {
                "rank": rank,
                "product_id": pid,
                "title": info.get("title"),
                "category": info.get("category"),
                "price": info.get("price"),
                "score": round(float(scores[0, i]), 4),
                "reason": reason["text"],
                "reason_kind": reason["kind"],
                "reason_about": reason["about"],
                "scorer": reason["scorer"],
            }
        )
    history = 0 if row is None else int(model.weights[row].nnz)
    return {
        "customer_id": cid,
        "category": cat_name,
        "k": k,
        "cold_start": row is None or history == 0,
        "history_items": history,
        "recommendations": items,
        "held_back": skipped,
        "negative_signals": [{"product_id": p, "reason": w} for p, w in sorted(negative.items())],
        "method": "blend of ALS, item-item kNN, content similarity and popularity"
        if row is not None and history
        else "popularity (no purchase or browsing history for this customer)",
        "n": len(items),
        "evidence": {
            "customers": [cid],
            "products": [it["product_id"] for it in items] + sorted(anchors),
        },
    }


def recommend_batch(ctx: ToolContext, customer_ids: Iterable[str], k: int = 10) -> Iterator[dict]:
    """Ranked product ids for many customers, scored in blocks (no reasons, no reloads)."""
    k = _check_k(k)
    model = load_model(ctx)
    allowed = _healthy_mask(model, held_back(ctx))
    pending: list[tuple[str, int | None]] = []

    def flush():
        known = [(c, r) for c, r in pending if r is not None]
        ranked = {}
        if known:
            rows = np.array([r for _, r in known])
            total, _ = model.blend(model.component_scores(rows), rows)
            total = model.exclude_bought(total, rows)
            for (c, _), s in zip(known, total, strict=True):
                ranked[c] = _top(s, k, allowed)
        cold = None
        for c, r in pending:
            if r is None:
                cold = (
                    cold if cold is not None else _top(_scores_for(model, None)[0][0], k, allowed)
                )
            idx = ranked.get(c, cold)
            yield {"customer_id": c, "product_ids": [model.item_ids[i] for i in idx]}
        pending.clear()

    known_ids = None
    for raw in customer_ids:
        cid = str(raw).strip()
        if not cid:
            continue
        if cid not in model.user_index:
            if known_ids is None:
                known_ids = {
                    r[0]
                    for r in ctx.cursor().execute("SELECT customer_id FROM customers").fetchall()
                }
            if cid not in known_ids:
                yield from flush()
                yield {"customer_id": cid, "error": "no such customer"}
                continue
        pending.append((cid, model.user_index.get(cid)))
        if len(pending) >= 256:
            yield from flush()
    yield from flush()


def similar_products(ctx: ToolContext, product_id: str, k: int = 10) -> dict:
    """Products like this one: bought/viewed by the same customers, or described alike."""
    k = _check_k(k)
    pid = _resolve_product(ctx, product_id)
    model, cat = load_model(ctx), _catalog(ctx)
    i = model.item_index.get(pid)
    if i is None:
        raise BackendError(
            f"product {pid} is newer than the recommender model", hint="run `insight train`"
        )
    parts = {}
    if model.similarity is not None:
        parts["co-interest"] = np.asarray(model.similarity[i].todense()).ravel()
    if model.item_emb is not None:
        parts["content"] = model.item_emb @ model.item_emb[i]
    if not parts:
        raise BackendError("the recommender has neither interactions nor product embeddings")
    # Co-interest is sparse (top neighbours only); content fills in the rest.
    total = sum(v / max(np.abs(v).max(), 1e-9) for v in parts.values())
    total[i] = -np.inf
    top = _top(total, k, None)
    items = []
    for j in top:
        q = model.item_ids[j]
        why = max(parts, key=lambda n: parts[n][j] / max(np.abs(parts[n]).max(), 1e-9))
        items.append(
            {
                "product_id": q,
                "title": (cat.get(q) or {}).get("title"),
                "category": (cat.get(q) or {}).get("category"),
                "score": round(float(total[j]), 4),
                "reason": "often chosen by the same customers"
                if why == "co-interest"
                else "similar title and description",
                "reason_kind": "co_interest" if why == "co-interest" else "described_alike",
            }
        )
    return {
        "product_id": pid,
        "title": (cat.get(pid) or {}).get("title"),
        "similar": items,
        "n": len(items),
        "evidence": {"products": [pid] + [it["product_id"] for it in items]},
    }


BOUGHT_TOGETHER_SQL = """
WITH base AS (
    SELECT DISTINCT i.order_id FROM order_items i JOIN orders o ON o.order_id = i.order_id
    WHERE i.product_id = ? AND o.status <> 'cancelled'
), pairs AS (
    SELECT i.product_id, count(DISTINCT i.order_id) AS together,
           min(i.order_id) AS example_order
    FROM order_items i JOIN base b ON b.order_id = i.order_id
    WHERE i.product_id <> ? GROUP BY i.product_id
), support AS (
    SELECT i.product_id, count(DISTINCT i.order_id) AS orders
    FROM order_items i JOIN orders o ON o.order_id = i.order_id
    WHERE o.status <> 'cancelled' GROUP BY i.product_id
)
SELECT p.product_id, p.together, s.orders, p.example_order,
       (SELECT count(*) FROM base) AS base_orders,
       (SELECT count(*) FROM orders WHERE status <> 'cancelled') AS all_orders
FROM pairs p JOIN support s ON s.product_id = p.product_id
ORDER BY p.together DESC, p.together / s.orders DESC, p.product_id
"""


def bought_together(ctx: ToolContext, product_id: str, k: int = 10) -> dict:
    """Products that appear in the same orders as this one, with counts and lift."""
    k = _check_k(k)
    pid = _resolve_product(ctx, product_id)
    cat = _catalog(ctx)
    rows = ctx.cursor().execute(BOUGHT_TOGETHER_SQL, [pid, pid]).fetchall()
    base_orders = rows[0][4] if rows else _count_orders_with(ctx, pid)
    items = []
    for q, together, support, example, base, total in rows[:k]:
        lift = (together / base) / (support / total) if base and support and total else None
        items.append(
            {
                "product_id": q,
                "title": (cat.get(q) or {}).get("title"),
                "category": (cat.get(q) or {}).get("category"),
                "orders_together": int(together),
                "share_of_orders": round(together / base, 4) if base else None,
                "lift": round(lift, 2) if lift is not None else None,
                "example_order": example,
            }
        )
    return {
        "product_id": pid,
        "title": (cat.get(pid) or {}).get("title"),
        "orders_with_product": int(base_orders),
        "bought_together": items,
        "n": int(base_orders),
        "note": None if items else "no order contains this product together with another one",
        "evidence": {
            "products": [pid] + [it["product_id"] for it in items],
            "orders": [it["example_order"] for it in items],
        },
    }


def _count_orders_with(ctx: ToolContext, pid: str) -> int:
    return (
        ctx.cursor()
        .execute(
            "SELECT count(DISTINCT i.order_id) FROM order_items i JOIN orders o "
            "ON o.order_id = i.order_id WHERE i.product_id = ? AND o.status <> 'cancelled'",
            [pid],
        )
        .fetchone()[0]
    )


# -- declarations --------------------------------------------------------------
class _RecommendArgs(BaseModel):
    customer_id: str = Field(description="The customer's id as stored in the shop data.")
    k: int = Field(10, ge=1, le=MAX_K, description="How many products to return.")
    category: str | None = Field(None, description="Only recommend from this category.")


class _ProductArgs(BaseModel):
    product_id: str = Field(description="The product's id as stored in the shop data.")
    k: int = Field(10, ge=1, le=MAX_K, description="How many products to return.")


class Recommendation(TypedDict):
    rank: int
    product_id: str
    title: str | None
    category: str | None
    price: float | None
    score: float
    reason: str
    reason_kind: NotRequired[str]  # what ``reason`` says, for answers in other languages
    reason_about: NotRequired[dict[str, str]]  # what it names: a category, a title, stars
    scorer: str


class HeldBack(TypedDict):
    product_id: str
    reason: str


@strict
class RecommendResult(TypedDict):
    customer_id: str
    category: str | None
    k: int
    cold_start: bool
    history_items: int
    recommendations: list[Recommendation]
    held_back: list[HeldBack]
    negative_signals: list[HeldBack]
    method: str
    n: int
    evidence: dict[str, list[str]]


class SimilarItem(TypedDict):
    product_id: str
    title: str | None
    category: str | None
    score: float
    reason: str
    reason_kind: NotRequired[str]


@strict
class SimilarResult(TypedDict):
    product_id: str
    title: str | None
    similar: list[SimilarItem]
    n: int
    evidence: dict[str, list[str]]


class TogetherItem(TypedDict):
    product_id: str
    title: str | None
    category: str | None
    orders_together: int
    share_of_orders: float
    lift: float
    example_order: str


@strict
class BoughtTogetherResult(TypedDict):
    product_id: str
    title: str | None
    orders_with_product: int
    bought_together: list[TogetherItem]
    n: int
    note: str | None
    evidence: dict[str, list[str]]


SPECS = (
    ToolSpec(
        name="recommend_for_customer",
        engine=recommend_for_customer,
        args=_RecommendArgs,
        result=RecommendResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="customer",
        label="Recommendations",
        purpose="recommend products for a customer",
        description="Personalised product recommendations for one customer (never items they "
        "already bought), each with the reason from their own purchases, ratings and browsing. "
        "Optionally limited to one category.",
    ),
    ToolSpec(
        name="similar_products",
        engine=similar_products,
        args=_ProductArgs,
        result=SimilarResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="product",
        label="Similar products",
        purpose="find similar products",
        description="Products similar to a given product: chosen by the same customers or "
        "with a similar description.",
    ),
    ToolSpec(
        name="bought_together",
        engine=bought_together,
        args=_ProductArgs,
        result=BoughtTogetherResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="product",
        label="Bought together",
        purpose="find products bought together",
        description="Products bought in the same orders as a given product, with how many "
        "orders and the lift over chance.",
    ),
)
