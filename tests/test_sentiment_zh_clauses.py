"""The Chinese head reads single clauses as well as whole reviews: it learns from weak
clause labels (clauses of reviews that turn nowhere), reads clauses with its clause
intercept, and on held-out real hotel reviews' clauses beats the head trained on
whole reviews alone."""

from __future__ import annotations

import numpy as np

from tests.conftest import shared_data
from tools.model_files import save_json_atomic, save_npz_atomic
from tools.sentiment_zh import ChineseRouted, ChineseSentiment
from tools.train_zh_sentiment import (
    balanced_accuracy,
    choose_shift,
    read_corpus,
    split,
    weak_clauses,
)
from vectorstore.embeddings import E5, load_embedder


def test_weak_clause_labels_come_from_reviews_that_turn_nowhere():
    rows = [
        ("房间很干净。服务很周到", 1),  # two clauses, one voice: both kept
        ("位置不错，但是房间太小了", 0),  # turns: a clause of praise in a bad review
        ("除了早餐，其他都很好。下次还来", 1),  # concedes without a cut: left out
        ("非常满意", 1),  # one clause: already a review example
        ("太差了。好", 0),  # "好" alone is too short to label
    ]
    assert weak_clauses(rows) == [("房间很干净", 1), ("服务很周到", 1), ("太差了", 0)]


def test_clause_shift_is_chosen_for_balanced_accuracy():
    # Positive clauses sit just below 0.5: only a shift up reads them right.
    p = np.array([0.45, 0.4, 0.42, 0.1, 0.2, 0.15])
    y = np.array([1, 1, 1, 0, 0, 0])
    assert balanced_accuracy(p, y) == 0.5
    shift = choose_shift(p, y)
    assert 0 < shift < 1.4 and balanced_accuracy(p, y, shift) == 1.0


def _head(tmp_path, **arrays):
    coef = np.zeros(384, np.float32)
    coef[0] = 1.0
    save_npz_atomic(tmp_path / "sentiment_zh.npz", {"coef": coef, **arrays})
    save_json_atomic(tmp_path / "sentiment_zh.json", {})
    return ChineseSentiment.packaged(tmp_path)


def test_clauses_are_read_with_the_clause_intercept(tmp_path):
    head = _head(
        tmp_path,
        intercept=np.array([-1.0], np.float32),
        clause_intercept=np.array([1.0], np.float32),
    )
    v = np.zeros((1, 384), np.float32)
    assert head.score(["好"], v)[0] < 0 < head.score(["好"], v, clauses=True)[0]

    class E5Stub:
        name = E5

        def encode(self, texts):
            return np.zeros((len(texts), 384), np.float32)

    class Base:
        name = "base"

        def score(self, texts, embeddings=None):
            return np.zeros(len(texts))

        def predict(self, texts, embeddings=None):
            return ["neutral"] * len(texts), np.zeros(len(texts))

    routed = ChineseRouted(Base(), head, e5_embedder=E5Stub())
    clause_scores = routed.score(["房间很干净"], np.zeros((1, 384), np.float32))
    _, review_scores = routed.predict(["房间很干净"], np.zeros((1, 384), np.float32))
    assert clause_scores[0] > 0 > review_scores[0]


def test_weights_without_a_clause_intercept_read_clauses_as_reviews(tmp_path):
    head = _head(tmp_path, intercept=np.array([-1.0], np.float32))
    v = np.zeros((2, 384), np.float32)
    assert np.allclose(head.score(["a", "b"], v), head.score(["a", "b"], v, clauses=True))


def test_held_out_clauses_of_real_reviews():
    """Weak labels (each clause labelled as its review) of held-out reviews that turn
    nowhere. The head trained on reviews alone read 0.671 of the positive clauses as
    positive (0.789 balanced accuracy, n=738): short praise came out as complaint."""
    rows = read_corpus(shared_data("chinese-hotel-reviews", "hotel_reviews.csv"))
    _, test = split(rows)
    clauses = weak_clauses(test)
    y = np.array([label for _, label in clauses])
    vecs = load_embedder(E5).encode([c for c, _ in clauses])
    p = ChineseSentiment.packaged().probability(vecs, clauses=True)
    assert len(y) > 500
    assert ((p >= 0.5)[y == 1]).mean() >= 0.75
    assert balanced_accuracy(p, y) >= 0.8


def test_a_retrained_head_changes_the_labelling_tag(tmp_path):
    class Base:
        name = "vader"

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _head(tmp_path / "a", intercept=np.array([0.0], np.float32))
    b = _head(tmp_path / "b", intercept=np.array([0.0], np.float32), clause_intercept=np.ones(1))
    assert ChineseRouted(Base(), a).name != ChineseRouted(Base(), b).name
    assert ChineseRouted(Base(), a).name.startswith("vader+zh-e5-logistic")
