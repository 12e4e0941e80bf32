"""Fitting, storing and scoring the recommender's models.

Four scorers over the same catalogue: ALS (implicit's AlternatingLeastSquares),
item-item kNN (implicit's cosine item-item similarity), content similarity
(product text embeddings) and recency-weighted popularity. The blend z-normalises
each scorer per customer and sums them with fixed weights, so one scorer's scale
cannot drown the others; a customer without history gets popularity alone.

Serving needs only numpy/scipy: the fitted factors and similarities are stored as
arrays, so loading a model does not import implicit. Storage is ``.npz`` files read
without pickle plus ``meta.json``, which names each file by its content digest:
replacing ``meta.json`` switches models in one step, so a crash while saving leaves
the old model, and a damaged file is caught by its digest.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from tools.lazy_module import lazy_module
from tools.model_files import (
    ModelFileError,
    load_json,
    load_npz,
    npz_bytes,
    save_json_atomic,
    write_bytes_atomic,
)
from tools.recsys.data import Interactions

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
sp = lazy_module("scipy.sparse")

FORMAT_VERSION = 2
SPARSE_PARTS = ("weights", "bought", "rated", "similarity")
# Files a saved model may name: "<part>-<16 hex digits>.npz" (version 1: "<part>.npz").
_PART_FILE = re.compile(r"(arrays|weights|bought|rated|similarity)(-[0-9a-f]{16})?\.npz")
_RETRAIN = "run `insight train` (or `insight index`) to train it again"
SCORERS = ("als", "knn", "content", "popularity")
# Blend weights, chosen with `insight evaluate-recommender` on the demo shop.
DEFAULT_WEIGHTS = {"als": 1.0, "knn": 0.5, "content": 0.2, "popularity": 0.5}


@dataclass
class Params:
    factors: int = 128
    regularization: float = 0.05
    alpha: float = 40.0
    iterations: int = 15
    neighbours: int = 50
    seed: int = 42
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass
class RecModel:
    user_ids: np.ndarray
    item_ids: np.ndarray
    weights: sp.csr_matrix
    bought: sp.csr_matrix
    rated: sp.csr_matrix
    popularity: np.ndarray
    user_factors: np.ndarray | None
    item_factors: np.ndarray | None
    similarity: sp.csr_matrix | None
    item_emb: np.ndarray | None
    params: Params
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {p: i for i, p in enumerate(self.item_ids)}

    # -- scoring -------------------------------------------------------------
    def component_scores(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Raw scores of every available scorer for the given user rows (dense)."""
        w = self.weights[rows]
        out = {"popularity": np.tile(self.popularity, (len(rows), 1))}
        if self.user_factors is not None:
            out["als"] = self.user_factors[rows] @ self.item_factors.T
        if self.similarity is not None:
            out["knn"] = np.asarray((w @ self.similarity).todense())
        if self.item_emb is not None:
            profile = np.asarray(w @ self.item_emb)
            norms = np.linalg.norm(profile, axis=1, keepdims=True)
            out["content"] = (profile / np.maximum(norms, 1e-9)) @ self.item_emb.T
        return out

    def blend(self, comps: dict[str, np.ndarray], rows: np.ndarray, only: str | None = None):
        """Blended (or single-scorer) scores plus each scorer's weighted share, per row."""
        has_history = np.diff(self.weights.indptr)[rows] > 0
        shares = {}
        for name, scores in comps.items():
            if only is not None and name != only:
                continue
            weight = 1.0 if only else self.params.weights.get(name, 0.0)
            if weight == 0:
                continue
            if name != "popularity" and only is None:
                # Personal scorers mean nothing for a customer without history.
                weight = np.where(has_history, weight, 0.0)[:, None]
            shares[name] = weight * _zscore(scores)
        total = sum(shares.values())
        if only is None:
            # Cold start: popularity alone decides.
            total = np.where(has_history[:, None], total, shares.get("popularity", 0))
        return total, shares

    def exclude_bought(self, scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
        bought = self.bought[rows]
        r, c = bought.nonzero()
        scores = scores.copy()
        scores[r, c] = -np.inf
        return scores

    # -- storage ---------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write every part, then switch ``meta.json`` to them, then drop old parts."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            "user_ids": self.user_ids.astype(str),
            "item_ids": self.item_ids.astype(str),
            "popularity": self.popularity,
        }
        if self.user_factors is not None:
            arrays["user_factors"] = self.user_factors
            arrays["item_factors"] = self.item_factors
        if self.item_emb is not None:
            arrays["item_emb"] = self.item_emb
        parts = {"arrays": npz_bytes(arrays)}
        for name in SPARSE_PARTS:
            m = getattr(self, name)
            if m is not None:
                buf = io.BytesIO()
                sp.save_npz(buf, m)
                parts[name] = buf.getvalue()
        files = {}
        for name, data in parts.items():
            digest = hashlib.sha256(data).hexdigest()
            filename = f"{name}-{digest[:16]}.npz"
            write_bytes_atomic(directory / filename, data)
            files[name] = {"file": filename, "sha256": digest}
        meta = dict(self.meta, format=FORMAT_VERSION, params=self.params.__dict__, files=files)
        save_json_atomic(directory / "meta.json", meta)
        keep = {f["file"] for f in files.values()}
        for path in directory.iterdir():
            if (_PART_FILE.fullmatch(path.name) and path.name not in keep) or (
                path.name.startswith(".") and path.name.endswith(".tmp")
            ):
                path.unlink(missing_ok=True)

    @classmethod
    def load(cls, directory: Path) -> RecModel:
        try:
            return cls._load(Path(directory))
        except ModelFileError as first:
            # A retrain that switched models between our reads removed the old parts.
            if not first.message.endswith(": missing"):
                raise
            return cls._load(Path(directory))

    @classmethod
    def _load(cls, directory: Path) -> RecModel:
        meta_path = directory / "meta.json"
        meta = load_json(meta_path)
        version = meta.get("format")
        if version == FORMAT_VERSION:
            files = meta.get("files")
            if not isinstance(files, dict) or "arrays" not in files:
                raise ModelFileError(meta_path, "no 'files' entry naming the arrays", hint=_RETRAIN)
        elif version == 1:
            # Version 1 had fixed names and no digests; still numpy files, read without pickle.
            files = {
                n: {"file": f"{n}.npz"}
                for n in ("arrays", *SPARSE_PARTS)
                if (directory / f"{n}.npz").exists()
            }
        else:
            raise ModelFileError(meta_path, f"unknown model format {version!r}", hint=_RETRAIN)

        def part(name: str) -> bytes | None:
            entry = files.get(name)
            if entry is None:
                return None
            filename = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(filename, str) or not _PART_FILE.fullmatch(filename):
                raise ModelFileError(meta_path, f"file name {filename!r} is not allowed")
            path = directory / filename
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise ModelFileError(path, "missing", hint=_RETRAIN) from None
            if "sha256" in entry and hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise ModelFileError(
                    path, "damaged: digest does not match meta.json", hint=_RETRAIN
                )
            return data

        arrays = load_npz(part("arrays"), where=directory / files["arrays"]["file"])

        def sparse(name):
            data = part(name)
            if data is None:
                return None
            try:
                # scipy reads sparse .npz files with allow_pickle=False.
                return sp.load_npz(io.BytesIO(data)).tocsr()
            except (ValueError, OSError, KeyError, EOFError) as exc:
                raise ModelFileError(
                    directory / files[name]["file"], f"not a sparse matrix ({exc})", hint=_RETRAIN
                ) from None

        params = meta.get("params", {})
        known = {f.name for f in fields(Params)}
        if not isinstance(params, dict) or not set(params) <= known:
            raise ModelFileError(
                meta_path, f"'params' must be an object with keys from {sorted(known)}"
            )
        for key in ("user_ids", "item_ids", "popularity"):
            if key not in arrays:
                raise ModelFileError(directory / files["arrays"]["file"], f"no {key!r} array")
        return cls(
            user_ids=arrays["user_ids"].astype(object),
            item_ids=arrays["item_ids"].astype(object),
            weights=sparse("weights"),
            bought=sparse("bought"),
            rated=sparse("rated"),
            popularity=arrays["popularity"],
            user_factors=arrays.get("user_factors"),
            item_factors=arrays.get("item_factors"),
            similarity=sparse("similarity"),
            item_emb=arrays.get("item_emb"),
            params=Params(**params),
            meta=meta,
        )


def _zscore(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.maximum(std, 1e-9)


def fit(data: Interactions, item_emb: np.ndarray | None, params: Params | None = None) -> RecModel:
    """Fit every scorer the data supports (no interactions: popularity from nothing)."""
    params = params or Params()
    n_users, n_items = data.weights.shape
    popularity = np.asarray(data.purchases.sum(axis=0)).ravel()
    if popularity.sum() == 0:
        popularity = np.asarray(data.weights.sum(axis=0)).ravel()
    popularity = np.log1p(popularity).astype(np.float32)

    user_factors = item_factors = similarity = None
    if data.weights.nnz and n_users > 1 and n_items > 1:
        from implicit.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import CosineRecommender

        als = AlternatingLeastSquares(
            factors=min(params.factors, max(2, n_items - 1)),
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.seed,
            num_threads=0,
        )
        # implicit runs its own threads; a threaded BLAS underneath slows it down badly, and
        # OPENBLAS_NUM_THREADS only works when set before numpy is first imported.
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            als.fit(data.weights, show_progress=False)
        user_factors = np.asarray(als.user_factors, dtype=np.float32)
        item_factors = np.asarray(als.item_factors, dtype=np.float32)
        knn = CosineRecommender(K=params.neighbours, num_threads=0)
        with warnings.catch_warnings():
            # implicit's own normalisation hands itself a COO matrix and then warns about it.
            warnings.simplefilter("ignore")
            knn.fit(data.weights, show_progress=False)
        similarity = knn.similarity.tocsr().astype(np.float32)
        # An item is not its own neighbour: that would only echo the customer's history.
        similarity.setdiag(0)
        similarity.eliminate_zeros()
    return RecModel(
        user_ids=data.user_ids,
        item_ids=data.item_ids,
        weights=data.weights,
        bought=data.bought,
        rated=data.rated,
        popularity=popularity,
        user_factors=user_factors,
        item_factors=item_factors,
        similarity=similarity,
        item_emb=None if item_emb is None else item_emb.astype(np.float32),
        params=params,
        meta={"as_of": data.as_of, "users": n_users, "items": n_items},
    )
