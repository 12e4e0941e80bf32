"""Review sentiment: a classifier trained on the shop's own star ratings, with VADER.

Star ratings are weak labels every shop already has (1-2 negative, 3 neutral, 4-5
positive). The model is a class-weighted logistic regression over the sentence
embedding of a review plus VADER's lexicon scores, so the lexicon's negation rules
("not bad at all") and the embedding's domain sense ("runs small, sent it back")
are combined. With too few rated reviews, VADER alone is used.

A review is embedded clause by clause (see tools.aspects.split_clauses); its vector
is the length-weighted mean of its clause vectors, so one encoding pass serves both
the review label and the per-aspect polarities stored in ``review_aspects``.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from tools.aspects import (
    Taxonomy,
    analyze_aspects,
    aspect_matrix,
    clause_aspects,
    load_taxonomy,
    polarity,
    split_clauses,
    term_polarity,
)

LABELS = ("negative", "neutral", "positive")
MODEL_FILE = "sentiment.pkl"
# Below this many rated reviews (or this many per class) the classifier is not trained.
MIN_RATED = 150
MIN_PER_CLASS = 15
# Retrain when the store has this much more rated data than the saved model saw.
RETRAIN_GROWTH = 1.25
# Training uses at most this many rated reviews (a deterministic sample beyond that).
MAX_TRAIN = 20_000
# Texts up to this many words count as a sentence for the negation blend.
SHORT_TEXT_WORDS = 15
# Clause scores: below UNSURE the classifier defers to a lexicon score of LEXICON_SURE+.
UNSURE, LEXICON_SURE = 0.3, 0.4
# VADER features are scaled up so the L2 penalty does not drown 4 columns among 384.
VADER_WEIGHT = 2.0

ASPECTS_TABLE = """
CREATE TABLE IF NOT EXISTS review_aspects (
    review_id VARCHAR NOT NULL,
    aspect VARCHAR NOT NULL,
    term VARCHAR,
    polarity VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    clause VARCHAR,
    matched_by VARCHAR
)
"""
SENTIMENT_TABLE = """
CREATE TABLE IF NOT EXISTS review_sentiment (
    review_id VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, score DOUBLE NOT NULL,
    text_hash VARCHAR NOT NULL, model VARCHAR NOT NULL
)
"""


def stars_to_label(rating: int | float) -> str:
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


def review_text(title: str | None, text: str | None) -> str:
    """What a review says: its title (often the verdict) and its body."""
    title, text = (title or "").strip(), (text or "").strip()
    if title and text:
        return f"{title}. {text}" if title[-1] not in ".!?" else f"{title} {text}"
    return title or text


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


_VADER = SentimentIntensityAnalyzer()
NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|nobody|without|hardly|cannot)\b|n't\b", re.I)


def vader_features(texts: list[str]) -> np.ndarray:
    rows = [_VADER.polarity_scores(t or "") for t in texts]
    return np.array([[r["compound"], r["pos"], r["neg"], r["neu"]] for r in rows], np.float32)


class VaderScorer:
    """The lexicon model alone: compound score, +-0.05 neutral band."""

    name = "vader"

    def score(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return vader_features(texts)[:, 0] if texts else np.zeros(0)

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None):
        scores = self.score(texts)
        return [polarity(float(s)) for s in scores], scores


@dataclass
class SentimentModel:
    """Logistic regression over [embedding, VADER scores]; score = P(pos) - P(neg)."""

    clf: LogisticRegression
    embedder_name: str
    n_train: int
    model_id: str
    metrics: dict = field(default_factory=dict)
    n_rated: int = 0  # rated reviews in the store when trained (training may sample them)

    @property
    def name(self) -> str:
        return self.model_id

    def _proba(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        x = np.hstack([embeddings, VADER_WEIGHT * vader_features(texts)])
        proba = self.clf.predict_proba(x)
        order = [list(self.clf.classes_).index(lab) for lab in LABELS]
        return proba[:, order]

    def score(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Clause-level score in [-1, 1], negation-aware (see :func:`_negation_blend`).

        Where the classifier is unsure and the lexicon is sure, the lexicon's score is
        used: a shop's own reviews rarely cover every word ("awful" may never occur in
        them). Not used for whole reviews, where it cost 3-5 points of macro-F1."""
        if not texts:
            return np.zeros(0)
        proba = self._proba(texts, embeddings)
        scores = _negation_blend(texts, proba[:, 2] - proba[:, 0])
        lex = vader_features(texts)[:, 0]
        assist = (np.abs(scores) < UNSURE) & (np.abs(lex) >= LEXICON_SURE)
        scores[assist] = lex[assist]
        return scores

    def predict(self, texts: list[str], embeddings: np.ndarray):
        """Labels and scores. Short negated texts take the label of the blended score;
        longer ones the classifier's most probable class."""
        proba = self._proba(texts, embeddings)
        labels = [LABELS[i] for i in proba.argmax(axis=1)]
        scores = proba[:, 2] - proba[:, 0]
        blended = _negation_blend(texts, scores, max_words=SHORT_TEXT_WORDS)
        for i in np.flatnonzero(blended != scores):
            labels[i] = polarity(float(blended[i]))
        return labels, blended


def _negation_blend(texts: list[str], scores: np.ndarray, max_words: int | None = None):
    """Sentence embeddings barely see negation ("never had a problem" sits next to
    "problem"), so where a text carries a negation cue the lexicon's negation-aware
    score gets an equal say. Long reviews are left to the classifier, which was trained
    with the lexicon scores as features."""
    out = np.array(scores, dtype=float, copy=True)
    negated = [
        i
        for i, t in enumerate(texts)
        if NEGATION.search(t) and (max_words is None or len(t.split()) <= max_words)
    ]
    if negated:
        lex = vader_features([texts[i] for i in negated])[:, 0]
        out[negated] = 0.5 * (out[negated] + lex)
    return out


def _fit(x_emb: np.ndarray, texts: list[str], labels: list[str]) -> LogisticRegression:
    x = np.hstack([x_emb, VADER_WEIGHT * vader_features(texts)])
    clf = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    # One BLAS thread: on a shared 2-core machine more threads made the fit 10x slower.
    with threadpool_limits(limits=1, user_api="blas"):
        return clf.fit(x, labels)


def evaluate(labels_true: list[str], labels_pred: list[str]) -> dict:
    return {
        "n": len(labels_true),
        "accuracy": round(float(accuracy_score(labels_true, labels_pred)), 4),
        "macro_f1": round(
            float(f1_score(labels_true, labels_pred, labels=list(LABELS), average="macro")), 4
        ),
    }


def train_model(
    texts: list[str], embeddings: np.ndarray, ratings: list[int], embedder_name: str, ids=None
) -> SentimentModel:
    """Fit on all rated reviews; first measure on a stratified 20% hold-out (vs VADER)."""
    labels = [stars_to_label(r) for r in ratings]
    idx = np.arange(len(texts))
    tr, te = train_test_split(idx, test_size=0.2, random_state=0, stratify=labels)
    held = _fit(embeddings[tr], [texts[i] for i in tr], [labels[i] for i in tr])
    probe = SentimentModel(held, embedder_name, len(tr), "holdout")
    te_texts = [texts[i] for i in te]
    ours, _ = probe.predict(te_texts, embeddings[te])
    vader, _ = VaderScorer().predict(te_texts)
    truth = [labels[i] for i in te]
    metrics = {"holdout": {"model": evaluate(truth, ours), "vader": evaluate(truth, vader)}}
    digest = hashlib.sha1(
        "|".join(
            f"{i}:{r}" for i, r in zip(ids or range(len(texts)), ratings, strict=True)
        ).encode()
    ).hexdigest()[:8]
    clf = _fit(embeddings, texts, labels)
    return SentimentModel(clf, embedder_name, len(texts), f"logreg-minilm-vader-{digest}", metrics)


def save_model(model: SentimentModel, models_dir: Path) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(model))
    tmp.replace(path)
    return path


def load_model(models_dir: Path | None) -> SentimentModel | None:
    """The workspace's trained model, or None (then callers use VADER)."""
    if models_dir is None:
        return None
    path = Path(models_dir) / MODEL_FILE
    if not path.exists():
        return None
    return pickle.loads(path.read_bytes())


def embed_clauses(texts: list[str], embedder) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Clauses per text, the clause vectors (flat) and one vector per text.

    Each clause is encoded once; a text's vector is the word-count-weighted mean of its
    clause vectors, renormalised.
    """
    per_text = [split_clauses(t) or [t or ""] for t in texts]
    flat = [c for cs in per_text for c in cs]
    vecs = np.asarray(embedder.encode(flat), np.float32).reshape(len(flat), -1)
    out = np.zeros((len(texts), vecs.shape[1]), np.float32)
    pos = 0
    for i, cs in enumerate(per_text):
        w = np.array([max(1, len(c.split())) for c in cs], np.float32)
        v = (vecs[pos : pos + len(cs)] * w[:, None]).sum(axis=0)
        out[i] = v / (np.linalg.norm(v) or 1.0)
        pos += len(cs)
    return per_text, vecs, out


def analyze(texts: list[str], *, model=None, embedder=None) -> list[dict]:
    """Review-level label and score, plus per-sentence results for multi-clause texts."""
    if model is None or embedder is None:
        scorer = VaderScorer()
        per_text = [split_clauses(t) or [t] for t in texts]
        labels, scores = scorer.predict(texts)
        flat = [c for cs in per_text for c in cs]
        c_labels, c_scores = scorer.predict(flat) if flat else ([], [])
        name = scorer.name
    else:
        per_text, c_vecs, vecs = embed_clauses(texts, embedder)
        labels, scores = model.predict(texts, vecs)
        flat = [c for cs in per_text for c in cs]
        c_scores = model.score(flat, c_vecs)
        c_labels = [polarity(float(x)) for x in c_scores]
        name = model.name
    out, pos = [], 0
    for i, cs in enumerate(per_text):
        item = {"label": labels[i], "score": round(float(scores[i]), 4), "model": name}
        if len(cs) > 1:
            sent = [
                {"text": c, "label": c_labels[pos + j], "score": round(float(c_scores[pos + j]), 4)}
                for j, c in enumerate(cs)
            ]
            item["sentences"] = sent
            item["mixed"] = {s["label"] for s in sent} >= {"positive", "negative"}
        out.append(item)
        pos += len(cs)
    return out


def _need_training(model: SentimentModel | None, n_rated: int, embedder) -> bool:
    if n_rated < MIN_RATED:
        return False
    if model is None or model.embedder_name != getattr(embedder, "name", ""):
        return True
    return n_rated >= RETRAIN_GROWTH * max(model.n_rated, model.n_train)


def _enough_per_class(ratings: list[int]) -> bool:
    counts = pd.Series([stars_to_label(r) for r in ratings]).value_counts()
    return all(counts.get(lab, 0) >= MIN_PER_CLASS for lab in ("negative", "positive"))


def label_reviews(conn, embedder, models_dir, *, taxonomy_path=None) -> dict:
    """Train or load the sentiment model and label new/changed reviews.

    Writes ``review_sentiment`` (one row per review) and ``review_aspects`` (one row
    per aspect a review mentions). A review is relabelled only when its text or the
    model/taxonomy changed. Returns a summary with the model's held-out metrics.
    """
    models_dir = Path(models_dir)
    conn.execute(SENTIMENT_TABLE)
    conn.execute(ASPECTS_TABLE)
    rows = conn.execute(
        "SELECT review_id, title, text, rating FROM reviews ORDER BY review_id"
    ).fetchall()
    taxonomy = load_taxonomy(taxonomy_path or models_dir.parent / "aspects.yaml")
    ids = [r[0] for r in rows]
    texts = [review_text(r[1], r[2]) for r in rows]
    hashes = [text_hash(t) for t in texts]
    rated = [i for i, r in enumerate(rows) if r[3] is not None]
    n_rated = len(rated)
    if n_rated > MAX_TRAIN:
        rated = sorted(np.random.default_rng(0).choice(rated, MAX_TRAIN, replace=False).tolist())
    ratings = [int(rows[i][3]) for i in rated]

    model = load_model(models_dir)
    trained = False
    vec_cache: dict[int, tuple[list[str], np.ndarray, np.ndarray]] = {}
    if _need_training(model, n_rated, embedder) and _enough_per_class(ratings):
        per_text, c_vecs, vecs = embed_clauses([texts[i] for i in rated], embedder)
        model = train_model(
            [texts[i] for i in rated], vecs, ratings, embedder.name, [ids[i] for i in rated]
        )
        model.n_rated = n_rated
        save_model(model, models_dir)
        trained = True
        pos = 0
        for k, i in enumerate(rated):
            n = len(per_text[k])
            vec_cache[i] = (per_text[k], c_vecs[pos : pos + n], vecs[k])
            pos += n
    scorer = model if model is not None else VaderScorer()
    tag = f"{scorer.name}+aspects-{taxonomy.digest}"

    existing = dict(
        conn.execute("SELECT review_id, text_hash || '|' || model FROM review_sentiment").fetchall()
    )
    todo = [i for i in range(len(rows)) if existing.get(ids[i]) != f"{hashes[i]}|{tag}"]
    _write_labels(conn, embedder, scorer, taxonomy, todo, ids, texts, hashes, tag, vec_cache)
    conn.execute(
        "DELETE FROM review_sentiment WHERE review_id NOT IN (SELECT review_id FROM reviews)"
    )
    conn.execute(
        "DELETE FROM review_aspects WHERE review_id NOT IN (SELECT review_id FROM reviews)"
    )
    return {
        "model": scorer.name,
        "trained": trained,
        "reviews": len(rows),
        "labelled": len(todo),
        "unchanged": len(rows) - len(todo),
        "rated": n_rated,
        "metrics": getattr(model, "metrics", {}) if model is not None else {},
    }


def _write_labels(conn, embedder, scorer, taxonomy: Taxonomy, todo, ids, texts, hashes, tag, cache):
    if not todo:
        return
    missing = [i for i in todo if i not in cache]
    for start in range(0, len(missing), 4096):
        chunk = missing[start : start + 4096]
        per_text, c_vecs, vecs = embed_clauses([texts[i] for i in chunk], embedder)
        pos = 0
        for k, i in enumerate(chunk):
            n = len(per_text[k])
            cache[i] = (per_text[k], c_vecs[pos : pos + n], vecs[k])
            pos += n
    aspect_vecs = aspect_matrix(taxonomy, embedder)
    review_vecs = np.stack([cache[i][2] for i in todo])
    if isinstance(scorer, VaderScorer):
        labels, scores = scorer.predict([texts[i] for i in todo])
    else:
        labels, scores = scorer.predict([texts[i] for i in todo], review_vecs)
    clauses = [c for i in todo for c in cache[i][0]]
    clause_vecs = np.concatenate([cache[i][1] for i in todo])
    clause_scores = scorer.score(clauses, clause_vecs)
    found = clause_aspects(clauses, clause_vecs, taxonomy, aspect_vecs)
    aspect_rows, pos = [], 0
    for i in todo:
        best: dict[str, tuple] = {}
        for j, clause in enumerate(cache[i][0]):
            s = float(clause_scores[pos + j])
            for aspect_id, term, how in found[pos + j]:
                if aspect_id not in best or abs(s) > abs(best[aspect_id][4]):
                    best[aspect_id] = (ids[i], aspect_id, term, polarity(s), s, clause, how)
        aspect_rows.extend(best.values())
        pos += len(cache[i][0])
    sent = pd.DataFrame(
        {
            "review_id": [ids[i] for i in todo],
            "label": labels,
            "score": np.round(np.asarray(scores, float), 4),
            "text_hash": [hashes[i] for i in todo],
            "model": tag,
        }
    )
    asp = pd.DataFrame(
        aspect_rows,
        columns=["review_id", "aspect", "term", "polarity", "score", "clause", "matched_by"],
    )
    todo_ids = pd.DataFrame({"review_id": sent["review_id"]})
    conn.execute("BEGIN")
    try:
        conn.register("todo_ids", todo_ids)
        conn.register("new_sent", sent)
        conn.register("new_asp", asp)
        conn.execute(
            "DELETE FROM review_sentiment WHERE review_id IN (SELECT review_id FROM todo_ids)"
        )
        conn.execute(
            "DELETE FROM review_aspects WHERE review_id IN (SELECT review_id FROM todo_ids)"
        )
        conn.execute("INSERT INTO review_sentiment SELECT * FROM new_sent")
        conn.execute("INSERT INTO review_aspects SELECT * FROM new_asp")
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    finally:
        for name in ("todo_ids", "new_sent", "new_asp"):
            conn.unregister(name)


def sentiment_with_aspects(
    texts: list[str],
    *,
    model,
    embedder,
    taxonomy: Taxonomy,
    terms: list[list[str]] | None = None,
    aspect_vecs=None,
) -> list[dict]:
    """Label and score per text, plus its aspects: the detected ones, or, where
    ``terms[i]`` is given, the polarity towards each of those terms."""
    use_model = model is not None and embedder is not None
    scorer = model if use_model else VaderScorer()
    results = analyze(texts, model=model if use_model else None, embedder=embedder)
    if embedder is not None and aspect_vecs is None:
        aspect_vecs = aspect_matrix(taxonomy, embedder)
    detected = analyze_aspects(
        texts, taxonomy=taxonomy, scorer=scorer, embedder=embedder, aspect_vecs=aspect_vecs
    )
    for i, res in enumerate(results):
        wanted = terms[i] if terms is not None and i < len(terms) else None
        if wanted:
            res["aspects"] = [
                term_polarity(texts[i], t, taxonomy=taxonomy, scorer=scorer, embedder=embedder)
                for t in wanted
            ]
        else:
            res["aspects"] = detected[i]
    return results
