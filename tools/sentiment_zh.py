"""Chinese review sentiment for shops with too few star ratings to train their own
model: VADER reads no Chinese, so a Chinese text gets a logistic head over its
multilingual-e5-small passage vector, trained by tools/train_zh_sentiment.py on the
train part of a public corpus of Chinese hotel reviews (labels positive / negative).

The weights ship beside this module as ``sentiment_zh.npz`` (numpy arrays, read
without pickle, see tools/model_files.py) with ``sentiment_zh.json`` saying what they
were trained on, how the held-out part was fixed and what it scored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from tools.model_files import ModelFileError, load_json, load_npz

WEIGHTS = "sentiment_zh.npz"
PROVENANCE = "sentiment_zh.json"
MODEL = "multilingual-e5-small"
# Texts are embedded up to this many characters (Chinese: about as many tokens): the
# opinion of a review is nearly always in its opening, and e5's cost grows with length.
MAX_CHARS = 256
# Share of the corpus held out, fixed by a hash of each review's text before training.
HELD_OUT_PERCENT = 25
_HINT = "the packaged Chinese sentiment head is damaged: reinstall the package"


def split_of(text: str) -> str:
    """'test' (held out, never trained on) or 'train', by a stable hash of the text:
    the same review lands in the same part on every machine, duplicates together."""
    b = int(hashlib.sha1(("zh-hotel|" + text).encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if b < HELD_OUT_PERCENT else "train"


def clip(text: str) -> str:
    return (text or "")[:MAX_CHARS]


@dataclass(frozen=True)
class ChineseSentiment:
    """P(positive) = sigmoid(vector @ coef + intercept) over e5 passage vectors."""

    coef: np.ndarray
    intercept: float
    provenance: dict
    name: str = "zh-e5-logistic"

    @classmethod
    def packaged(cls, directory: Path | None = None) -> ChineseSentiment:
        where = Path(directory) if directory else Path(str(resources.files("tools")))
        arrays = load_npz(where / WEIGHTS)
        if "coef" not in arrays or "intercept" not in arrays:
            raise ModelFileError(where / WEIGHTS, "needs arrays 'coef' and 'intercept'", hint=_HINT)
        coef = np.asarray(arrays["coef"], np.float32).ravel()
        if coef.shape != (384,):
            raise ModelFileError(
                where / WEIGHTS, f"coef has shape {coef.shape}, not (384,)", hint=_HINT
            )
        return cls(coef, float(np.ravel(arrays["intercept"])[0]), load_json(where / PROVENANCE))

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        z = np.asarray(vectors, np.float32) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def score(
        self, texts: list[str], embeddings: np.ndarray | None = None, *, embedder=None
    ) -> np.ndarray:
        """Scores in [-1, 1] (the Scorer protocol of tools/aspects.py). ``embeddings``
        must be e5 passage vectors of the clipped texts; without them ``embedder`` (an
        e5 Embedder) encodes them."""
        if embeddings is None:
            if embedder is None or getattr(embedder, "name", "") != MODEL:
                raise ValueError(f"the Chinese sentiment head reads {MODEL} vectors only")
            embeddings = embedder.encode([clip(t) for t in texts])
        return 2.0 * self.probability(embeddings) - 1.0

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None, *, embedder=None):
        """(labels, scores) like tools.sentiment.VaderScorer.predict, so a labelling run
        can use it for Chinese reviews where a shop has too few ratings to train on."""
        from tools.aspects import polarity

        scores = self.score(texts, embeddings, embedder=embedder)
        return [polarity(float(s)) for s in scores], scores
