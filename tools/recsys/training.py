"""Training the recommender on a whole store, and evaluating it on the store's own data."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import shutil
import time
from pathlib import Path

from assistant.errors import BackendError, UserError
from tools.recsys.content import embed_products
from tools.recsys.data import build_interactions, load_interactions, load_products, load_reviews
from tools.recsys.models import RecModel, fit

MODEL_DIR = "recommender"


def train_models(conn, embedder, models_dir: Path) -> dict:
    """Fit the recommender on the whole store and save it to ``models_dir/recommender``."""
    t0 = time.perf_counter()
    models_dir = Path(models_dir)
    products = load_products(conn)
    if products.empty:
        raise BackendError("the workspace has no products to recommend", hint="ingest data first")
    events = load_interactions(conn)
    reviews = load_reviews(conn)
    item_ids = products["product_id"].to_numpy(dtype=object)
    target = models_dir / MODEL_DIR
    emb, encoded = (None, 0)
    if embedder is not None:
        emb, encoded = embed_products(products, embedder, models_dir)
    t_data = time.perf_counter()
    data = build_interactions(events, reviews, item_ids)
    model = fit(data, emb)
    model.meta.update(
        interactions=int(len(events)),
        purchases=int((events["kind"] == "purchase").sum()),
        reviews=int(len(reviews)),
        trained_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    # save() switches models by replacing meta.json: a reader sees the old model or the
    # new one, and a crash mid-save leaves the old one. (Older versions staged a copy here.)
    shutil.rmtree(models_dir / (MODEL_DIR + ".tmp"), ignore_errors=True)
    model.save(target)
    scorers = [n for n in ("als", "knn", "content") if _has(model, n)] + ["popularity"]
    return {
        "customers": int(len(model.user_ids)),
        "products": int(len(item_ids)),
        "interactions": int(len(events)),
        "reviews": int(len(reviews)),
        "scorers": scorers,
        "products_embedded": int(encoded),
        "fit_s": round(time.perf_counter() - t_data, 2),
        "total_s": round(time.perf_counter() - t0, 2),
    }


def _has(model: RecModel, scorer: str) -> bool:
    return {
        "als": model.user_factors is not None,
        "knn": model.similarity is not None,
        "content": model.item_emb is not None,
    }.get(scorer, True)


def evaluate_recommender(
    conn, models_dir: Path | None, embedder=None, k: int = 10, max_users: int | None = None
) -> dict:
    """Leave-last-out Recall@k / NDCG@k of the blend and each scorer on the store's own data.

    ``embedder`` (or a callable loading one) is only used for products whose text
    embedding is not cached from training.
    """
    from tools.recsys.evaluate import evaluate

    if not isinstance(k, int) or not 1 <= k <= 100:
        raise UserError(f"k must be between 1 and 100, got {k!r}")
    t0 = time.perf_counter()
    products = load_products(conn)
    if products.empty:
        raise BackendError("the workspace has no products", hint="ingest data first")
    emb, _ = embed_products(products, embedder, Path(models_dir) if models_dir else None)
    result = evaluate(
        load_interactions(conn),
        load_reviews(conn),
        products["product_id"].to_numpy(dtype=object),
        emb,
        k=k,
        max_users=max_users,
    )
    if not result["users"]:
        raise UserError(
            "no customer has bought two different products: nothing to hold out",
            hint="leave-last-out needs repeat buyers",
        )
    result["seconds"] = round(time.perf_counter() - t0, 2)
    return result
