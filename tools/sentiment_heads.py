"""Small general-purpose sentiment heads shipped with the product (tools/heads/).

A shop's own stars teach its vocabulary ("runs small"), but a head learnt from one
shop's stars did not transfer to other text (tweets, film snippets, laptop reviews:
never more than 0.015 macro-F1 above VADER). These heads are fitted once, by
``python -m tools.train_general_heads``, on the non-test parts of public rated data
(see tools.sentiment_realdata) and shipped as numpy weights with a JSON description
of where they came from: data digests, seeds, settings and validation scores.

A head is a one-hidden-layer ReLU network (or a plain logistic layer) over features
the product already computes: the sentence embedding and VADER's four scores. It is
read with ``allow_pickle=False`` and checked against its recorded digest; a head
built for another sentence encoder is not used (its inputs would mean nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from tools.model_files import ModelFileError, load_described_npz, load_json

HEADS_DIR = Path(__file__).resolve().parent / "heads"
HEAD_FORMAT, HEAD_VERSION = "insight-general-head", 1
SENTENCE_HEAD = "general-sentence"
ASPECT_HEAD = "general-aspect"
# VADER's scores are scaled up so they are not lost among 384 embedding columns
# (the same weighting the shop's own heads use).
VADER_WEIGHT = 2.0
_REBUILD_HINT = "run `python -m tools.train_general_heads` to rebuild the shipped heads"


@dataclass(frozen=True)
class Head:
    """Weights of a small network; ``proba`` gives class probabilities in ``classes`` order."""

    name: str
    embedder: str
    classes: tuple[str, ...]
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n_features(self) -> int:
        return int(self.weights[0].shape[0])

    def proba(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, np.float32)
        if h.ndim != 2 or h.shape[1] != self.n_features:
            raise ValueError(f"head {self.name} expects (n, {self.n_features}) features")
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = np.maximum(h @ w + b, 0.0)
        logits = h @ self.weights[-1] + self.biases[-1]
        if logits.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -40, 40)))
            return np.stack([1.0 - p, p], axis=1)
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def score(self, x: np.ndarray) -> np.ndarray:
        """P(positive) - P(negative), in [-1, 1]."""
        p = self.proba(x)
        return p[:, self.classes.index("positive")] - p[:, self.classes.index("negative")]


def head_arrays(head: Head) -> dict[str, np.ndarray]:
    out = {}
    for i, (w, b) in enumerate(zip(head.weights, head.biases, strict=True)):
        out[f"w{i}"], out[f"b{i}"] = w, b
    return out


def read_head(json_path: Path) -> Head:
    """A head from its JSON description and the .npz it names; any mismatch is an error."""
    json_path = Path(json_path)
    meta = load_json(json_path)
    if meta.get("format") != HEAD_FORMAT or meta.get("version") != HEAD_VERSION:
        raise ModelFileError(
            json_path, f"not a {HEAD_FORMAT} version {HEAD_VERSION}", hint=_REBUILD_HINT
        )
    arrays_path, arrays = load_described_npz(json_path, meta, hint=_REBUILD_HINT)
    n_layers = meta.get("layers")
    classes = meta.get("classes")
    if not isinstance(n_layers, int) or not 1 <= n_layers <= 3:
        raise ModelFileError(json_path, "field 'layers' must be 1, 2 or 3")
    if not isinstance(classes, list) or not {"negative", "positive"} <= set(classes):
        raise ModelFileError(json_path, f"classes {classes!r} lack negative and positive")
    weights, biases = [], []
    width = meta.get("n_features")
    for i in range(n_layers):
        w, b = arrays.get(f"w{i}"), arrays.get(f"b{i}")
        if (
            w is None
            or b is None
            or w.dtype.kind != "f"
            or w.ndim != 2
            or w.shape[0] != width
            or b.shape != (w.shape[1],)
            or not (np.isfinite(w).all() and np.isfinite(b).all())
        ):
            raise ModelFileError(arrays_path, f"layer {i}: expected finite w{i} ({width}, k), b{i}")
        weights.append(w.astype(np.float32))
        biases.append(b.astype(np.float32))
        width = w.shape[1]
    out_width = 1 if len(classes) == 2 else len(classes)
    if width != out_width:
        raise ModelFileError(arrays_path, f"last layer has {width} outputs, not {out_width}")
    embedder = meta.get("embedder")
    if not isinstance(embedder, str):
        raise ModelFileError(json_path, "field 'embedder' is missing")
    return Head(
        str(meta.get("name", json_path.stem)),
        embedder,
        tuple(classes),
        tuple(weights),
        tuple(biases),
        meta,
    )


@cache
def _shipped(name: str, heads_dir: str) -> Head | None:
    path = Path(heads_dir) / f"{name}.json"
    return read_head(path) if path.exists() else None


def shipped_head(name: str, embedder_name: str, heads_dir: Path | None = None) -> Head | None:
    """The shipped head ``name`` if it was built for ``embedder_name``, else None."""
    head = _shipped(name, str(heads_dir or HEADS_DIR))
    if head is None or head.embedder != embedder_name:
        return None
    return head


def sentence_features(embeddings: np.ndarray, vader: np.ndarray) -> np.ndarray:
    """[embedding, VADER compound/pos/neg/neu scaled]: the sentence head's input."""
    return np.hstack([np.asarray(embeddings, np.float32), VADER_WEIGHT * vader]).astype(np.float32)
