"""Clause-level sentiment: the clause head, hand-labelled demo clauses, real held-out splits."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from tests.sentiment_fakes import CountingEmbedder
from tools.aspects import polarity
from tools.sentiment import fit_clause_head, load_model, save_model, train_model
from tools.sentiment_realdata import load_human_rated, load_semeval, semeval_fit_role

LABELLED = Path(__file__).parent / "data" / "demo_aspect_clauses.tsv"


def _labelled() -> list[tuple[str, str, str, str]]:
    lines = [ln for ln in LABELLED.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    assert lines[0].split("\t") == ["review_id", "aspect", "polarity", "clause"]
    return [tuple(ln.split("\t")) for ln in lines[1:]]


def test_hand_labelled_file_is_well_formed():
    rows = _labelled()
    assert len(rows) >= 100
    assert {r[2] for r in rows} <= {"positive", "negative", "neutral"}
    assert all(r[0].startswith("R") and r[3] for r in rows)


def test_clause_head_round_trips_and_scores_clauses_not_reviews(tmp_path):
    texts = ["Great sound. It arrived late."] * 80 + ["Awful. Broke at once."] * 80
    per_text = [["Great sound", "It arrived late"]] * 80 + [["Awful", "Broke at once"]] * 80
    ratings = [5] * 80 + [1] * 80
    emb = CountingEmbedder()
    flat = [c for cs in per_text for c in cs]
    c_vecs = np.asarray(emb.encode(flat), np.float32)
    vecs = np.asarray(emb.encode(texts), np.float32)
    model = train_model(texts, vecs, ratings, CountingEmbedder.name, clauses=(per_text, c_vecs))
    assert model.clause_clf is not None and "clause" in model.model_id
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    assert loaded.clause_clf is not None
    probe = np.asarray(emb.encode(flat[:4]), np.float32)
    assert np.array_equal(loaded.score(flat[:4], probe), model.score(flat[:4], probe))


def test_clause_head_needs_both_poles():
    emb = CountingEmbedder()
    vecs = np.asarray(emb.encode(["fine", "ok"]), np.float32)
    assert fit_clause_head([["fine"], ["ok"]], vecs, [5, 4]) is None


def test_demo_clauses_polarity_against_hand_labels(demo_dir):
    """132 hand-labelled demo clauses: 0.856 with the review head scoring clauses,
    0.886 with VADER-if-sure-else-clause-head, 0.939 with the shipped general head and
    the shop's clause head weighed by closeness to the shop's clauses (demo seed 7)."""
    from vectorstore.embeddings import load_embedder

    rows = _labelled()
    model = load_model(demo_dir / "models")
    assert model is not None and model.clause_clf is not None
    clauses = [r[3] for r in rows]
    vecs = np.asarray(load_embedder("").encode(clauses), np.float32)
    pred = [polarity(float(s)) for s in model.score(clauses, vecs)]
    accuracy = np.mean([p == r[2] for p, r in zip(pred, rows, strict=True)])
    assert accuracy >= 0.87
    by_text = dict(zip(clauses, pred, strict=True))
    # Issue 16: praise filed as a complaint.
    assert by_text["Absorbs quickly without feeling greasy"] == "positive"
    would = ["Would buy again."]
    score = model.score(would, np.asarray(load_embedder("").encode(would), np.float32))
    assert polarity(float(score[0])) == "positive"


def test_demo_issue16_reviews_are_not_complaints(demo_ws):
    got = (
        demo_ws.cursor()
        .execute(
            "SELECT review_id, aspect, polarity, clause FROM review_aspects "
            "WHERE review_id IN ('R003191', 'R004882') AND polarity = 'negative'"
        )
        .fetchall()
    )
    assert not [g for g in got if "Would buy again" in (g[3] or "") or "greasy" in (g[3] or "")]


def test_real_splits_are_fixed_and_disjoint():
    human = load_human_rated(shared_data("sentiment-human-rated"))
    counts = Counter(s.split for s in human)
    assert set(counts) == {"validation", "test"}
    assert 0.45 < counts["validation"] / len(human) < 0.55
    assert all(abs(s.mean) >= 0.5 for s in human)
    terms = load_semeval(shared_data("semeval14-absa-train"))
    assert "conflict" not in {t.label for t in terms}
    split_of = {}
    for t in terms:
        assert split_of.setdefault((t.source, t.sentence_id, t.text), t.split) == t.split
    # Pinned: a change to the split function would move items between validation and test.
    assert (counts["validation"], counts["test"]) == (6644, 6860)
    assert Counter(t.split for t in terms) == {"train": 3043, "validation": 1213, "test": 1680}
    roles = Counter(semeval_fit_role(t) for t in terms)
    assert roles == {"fit": 3854, "check": 402, "test": 1680}
    # Roles follow sentences: no sentence has terms in both 'fit' and 'check'.
    role_of = {}
    for t in terms:
        assert role_of.setdefault((t.source, t.sentence_id), semeval_fit_role(t)) == (
            semeval_fit_role(t)
        )


@pytest.mark.slow
def test_real_validation_sample_floor():
    """A fixed sample (n=400) of the human-rated sentences the shipped general head did
    not learn from (the validation half's 'check' part), scored by the product's model
    trained on a third of the Amazon 2018 sample's reviews and stars: measured macro-F1
    0.822, VADER alone 0.742. Before the shipped head (clause head, VADER
    first) it was 0.671 against VADER's 0.711 on a validation sample."""
    import sys

    from sklearn.metrics import f1_score

    from tools.sentiment import VaderScorer, embed_clauses
    from tools.sentiment_realdata import human_fit_role
    from vectorstore.embeddings import load_embedder

    path = shared_data("amazon2018-fashion", "AMAZON_FASHION_5.json.gz")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_sentiment import load_amazon

    texts, ratings = load_amazon(path)
    texts, ratings = texts[::3], ratings[::3]
    embedder = load_embedder("")
    per_text, c_vecs, vecs = embed_clauses(texts, embedder)
    model = train_model(texts, vecs, ratings, embedder.name, clauses=(per_text, c_vecs))
    human = [s for s in load_human_rated(shared_data("sentiment-human-rated"))]
    sample = sorted(
        (s for s in human if human_fit_role(s) == "check"),
        key=lambda s: hashlib.sha1(s.text.encode()).hexdigest(),
    )[:400]
    sents, truth = [s.text for s in sample], [s.label for s in sample]
    x = np.asarray(embedder.encode(sents), np.float32)

    def f1(scores):
        pred = ["positive" if s > 0 else "negative" for s in scores]
        return f1_score(truth, pred, average="macro")

    ours, vader = f1(model.score(sents, x)), f1(VaderScorer().score(sents))
    assert ours >= FLOOR_HUMAN, (ours, vader)
    assert ours >= vader + 0.05, (ours, vader)


FLOOR_HUMAN = 0.79
