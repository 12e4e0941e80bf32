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
import re
from dataclasses import dataclass
from functools import cache
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
    """P(positive) = sigmoid(vector @ coef + intercept) over e5 passage vectors.

    One clause of a review carries less evidence than the review, and the head's
    intercept, fitted mostly on reviews, can lean a short clause one way: clauses are
    read with ``clause_intercept``, shifted on validation clauses by the training
    script (equal to ``intercept`` in weight files that have none)."""

    coef: np.ndarray
    intercept: float
    provenance: dict
    name: str = "zh-e5-logistic"
    clause_intercept: float | None = None

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
        intercept = float(np.ravel(arrays["intercept"])[0])
        clause = arrays.get("clause_intercept")
        return cls(
            coef,
            intercept,
            load_json(where / PROVENANCE),
            clause_intercept=intercept if clause is None else float(np.ravel(clause)[0]),
        )

    @property
    def digest(self) -> str:
        """A short hash of the weights: labels stored by another head are recomputed."""
        h = hashlib.sha1(np.asarray(self.coef, np.float32).tobytes())
        h.update(np.asarray([self.intercept, self.clause_intercept or 0.0], np.float64).tobytes())
        return h.hexdigest()[:8]

    def probability(self, vectors: np.ndarray, *, clauses: bool = False) -> np.ndarray:
        """P(positive) of whole texts, or of clauses (``clauses``: the clause intercept)."""
        shifted = clauses and self.clause_intercept is not None
        z = np.asarray(vectors, np.float32) @ self.coef + (
            self.clause_intercept if shifted else self.intercept
        )
        return 1.0 / (1.0 + np.exp(-z))

    def score(
        self,
        texts: list[str],
        embeddings: np.ndarray | None = None,
        *,
        embedder=None,
        clauses: bool = False,
    ) -> np.ndarray:
        """Scores in [-1, 1] (the Scorer protocol of tools/aspects.py). ``embeddings``
        must be e5 passage vectors of the clipped texts; without them ``embedder`` (an
        e5 Embedder) encodes them. ``clauses``: the texts are clauses of reviews."""
        if embeddings is None:
            if embedder is None or getattr(embedder, "name", "") != MODEL:
                raise ValueError(f"the Chinese sentiment head reads {MODEL} vectors only")
            embeddings = embedder.encode([clip(t) for t in texts])
        return 2.0 * self.probability(embeddings, clauses=clauses) - 1.0

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None, *, embedder=None):
        """(labels, scores) like tools.sentiment.VaderScorer.predict, so a labelling run
        can use it for Chinese reviews where a shop has too few ratings to train on."""
        from tools.aspects import polarity

        scores = self.score(texts, embeddings, embedder=embedder)
        return [polarity(float(s)) for s in scores], scores


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A text is Chinese when CJK characters are a fifth of its letters (the rule questions
# follow too): model numbers and brand names stay Latin inside Chinese reviews.
CJK_SHARE = 0.2


def is_chinese(text: str | None) -> bool:
    text = text or ""
    letters = sum(1 for c in text if c.isalpha())
    return bool(letters) and len(_CJK.findall(text)) / letters >= CJK_SHARE


@cache
def packaged_head() -> ChineseSentiment:
    return ChineseSentiment.packaged()


@cache
def _e5_embedder():
    from vectorstore.embeddings import load_embedder

    return load_embedder(MODEL)


class ChineseRouted:
    """A scorer that reads Chinese texts with the Chinese head and every other text
    with ``base`` (VADER, or a shop model whose encoder cannot read Chinese).

    ``e5_embedder``: the workspace's own e5 embedder, when it has one; the embeddings
    callers pass are then e5 passage vectors the head reads as they are. Without it
    the Chinese texts are encoded with the packaged e5 model, loaded on first need."""

    def __init__(self, base, head: ChineseSentiment, *, e5_embedder=None) -> None:
        self.base = base
        self.head = head
        self.e5 = e5_embedder
        self.vectors_are_e5 = e5_embedder is not None
        # The weights' digest is in the name, so labels stored by an earlier head are
        # recomputed when the package ships a retrained one.
        self.name = f"{base.name}+{head.name}-{head.digest}"
        if hasattr(base, "target_scores"):
            self.target_scores = base.target_scores

    def _chinese_scores(
        self, texts: list[str], embeddings, *, whole: bool = False
    ) -> tuple[list[int], np.ndarray]:
        rows = [i for i, t in enumerate(texts) if is_chinese(t)]
        if not rows:
            return rows, np.zeros(0)
        # A review (``whole``) is read as the head was trained: the vector of its
        # opening MAX_CHARS, not the mean of its clause vectors the caller holds
        # (0.73 against 0.90 on 80 held-out hotel reviews).
        if self.vectors_are_e5 and embeddings is not None and not whole:
            vecs = np.asarray(embeddings, np.float32)[rows]
        else:
            vecs = (self.e5 or _e5_embedder()).encode([clip(texts[i]) for i in rows])
        return rows, self.head.score([texts[i] for i in rows], vecs, clauses=not whole)

    def score(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        out = np.array(self.base.score(texts, embeddings), dtype=float, copy=True)
        rows, zh = self._chinese_scores(texts, embeddings)
        out[rows] = zh
        return out

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None):
        from tools.aspects import polarity

        labels, scores = self.base.predict(texts, embeddings)
        labels, scores = list(labels), np.array(scores, dtype=float, copy=True)
        rows, zh = self._chinese_scores(texts, embeddings, whole=True)
        for i, s in zip(rows, zh, strict=True):
            labels[i], scores[i] = polarity(float(s)), float(s)
        return labels, scores


def route_chinese(scorer, texts: list[str], embedder, *, model_embedder: str | None = None):
    """``scorer`` wrapped in :class:`ChineseRouted` when ``texts`` hold Chinese that it
    cannot read: VADER reads no Chinese, and a shop model reads it only when its
    encoder is e5 (``model_embedder``). English texts: ``scorer`` unchanged."""
    if model_embedder == MODEL or not any(is_chinese(t) for t in texts):
        return scorer
    own = embedder if getattr(embedder, "name", None) == MODEL else None
    return ChineseRouted(scorer, packaged_head(), e5_embedder=own)
