"""Product text embeddings for content similarity, cached by text hash.

A product is embedded from title, brand, category and description; a retrain
re-encodes only products whose text changed, since encoding is the slow part.
The cache is an ``.npz`` read without pickle; a damaged one is rebuilt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from tools.lazy_module import lazy_module
from tools.model_files import ModelFileError, load_npz, save_npz_atomic

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

CACHE_FILE = "content_cache.npz"


def product_text(row) -> str:
    parts = [row.title, f"Brand: {row.brand}" if row.brand else "", f"Category: {row.category}"]
    text = ". ".join(p for p in parts if p)
    if row.description:
        text += ". " + row.description[:500]
    return text


def embed_products(
    products: pd.DataFrame, embedder, cache_dir: Path | None
) -> tuple[np.ndarray | None, int]:
    """(embeddings aligned with products rows, how many were freshly encoded).

    ``embedder`` may be None (cache only: None is returned when any product is missing)
    or a zero-argument callable that loads one, so a fully cached run never loads it.
    """
    texts = [product_text(r) for r in products.itertuples(index=False)]
    hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    cached: dict[str, np.ndarray] = {}
    cache_path = cache_dir / CACHE_FILE if cache_dir else None
    if cache_path and cache_path.exists():
        try:
            npz = load_npz(cache_path)
            cached = dict(zip(npz["hashes"].tolist(), npz["emb"], strict=True))
        except (ModelFileError, KeyError, ValueError):
            # Only a cache: a damaged one is rebuilt, never trusted.
            cached = {}
    todo = [i for i, h in enumerate(hashes) if h not in cached]
    if todo:
        if embedder is None:
            return None, 0
        if callable(embedder) and not hasattr(embedder, "encode"):
            embedder = embedder()
        fresh = np.asarray(embedder.encode([texts[i] for i in todo]), dtype=np.float32)
        for i, vec in zip(todo, fresh, strict=True):
            cached[hashes[i]] = vec
    emb = np.stack([cached[h] for h in hashes]) if hashes else np.zeros((0, 1), np.float32)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    emb = (emb / np.maximum(norms, 1e-9)).astype(np.float32)
    if cache_path:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        save_npz_atomic(cache_path, {"hashes": np.array(hashes, dtype=str), "emb": emb})
    return emb, len(todo)
