"""Any label set the ratings give trains a classifier or falls back to VADER, and
`insight index` says which: three classes, two, a rare third, one, none, real Chinese
reviews rated only 1 and 5 stars."""

from __future__ import annotations

import csv

import pytest

from assistant.pipeline import label_sentiment
from tests.conftest import shared_data
from tests.sentiment_fakes import CountingEmbedder, insert_reviews, synthetic_reviews
from tools.sentiment import MIN_PER_CLASS, describe_summary, label_reviews, load_model


def _label(ws, counts: dict[int, int]) -> dict:
    insert_reviews(ws.conn, synthetic_reviews(counts))
    summary = label_reviews(ws.conn, CountingEmbedder(), ws.settings.models_dir)
    n = sum(counts.values())
    stored = ws.conn.execute("SELECT count(*) FROM review_sentiment").fetchone()[0]
    assert (summary["labelled"], stored) == (n, n)
    return summary


def test_three_classes_train_a_three_class_model(empty_ws):
    summary = _label(empty_ws, {1: 50, 3: 50, 5: 60})
    assert summary["trained"] and summary["fallback"] is None
    assert summary["classes"] == ["negative", "neutral", "positive"]
    assert load_model(empty_ws.settings.models_dir).classes == ("negative", "neutral", "positive")


def test_no_three_star_reviews_train_a_negative_positive_model(empty_ws):
    summary = _label(empty_ws, {1: 40, 2: 40, 4: 40, 5: 40})
    assert summary["trained"] and summary["classes"] == ["negative", "positive"]
    labels = dict(empty_ws.conn.execute("SELECT review_id, label FROM review_sentiment").fetchall())
    # The classifier agrees with the stars it was trained on.
    agree = sum((lab == "negative") == rid.startswith(("R1", "R2")) for rid, lab in labels.items())
    assert agree / len(labels) > 0.9
    held = summary["metrics"]["holdout"]["model"]
    assert held["n"] == 32 and held["macro_f1"] > 0.9
    line = describe_summary(summary)[0]
    assert "classes negative, positive" in line and "trained now" in line


def test_a_class_too_rare_to_learn_is_left_out_and_said(empty_ws):
    summary = _label(empty_ws, {1: 80, 3: 1, 5: 80})
    assert summary["trained"] and summary["classes"] == ["negative", "positive"]
    assert any("neutral (1)" in note for note in summary["notes"])


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({5: 200}, "positive 200"),
        ({3: 100, 5: 100}, f"at least {MIN_PER_CLASS} negative"),
        ({1: 10, 5: 190}, "negative 10"),
        ({1: 20, 5: 20}, "40 rated reviews"),
    ],
)
def test_label_sets_without_both_poles_fall_back_to_vader(empty_ws, counts, expected):
    summary = _label(empty_ws, counts)
    assert (summary["model"], summary["trained"], summary["classes"]) == ("vader", False, [])
    assert expected in summary["fallback"]
    assert describe_summary(summary)[0].startswith("VADER lexicon, no classifier (")
    assert load_model(empty_ws.settings.models_dir) is None


def test_no_reviews_at_all(empty_ws):
    summary = label_reviews(empty_ws.conn, CountingEmbedder(), empty_ws.settings.models_dir)
    assert (summary["model"], summary["labelled"], summary["reviews"]) == ("vader", 0, 0)
    assert "0 rated reviews" in summary["fallback"]


def test_index_output_names_the_model_and_the_reason(empty_ws):
    insert_reviews(empty_ws.conn, synthetic_reviews({5: 200}))
    lines: list[str] = []
    label_sentiment(empty_ws, report=lines.append)
    assert lines[0].startswith("sentiment: VADER lexicon, no classifier (ratings give")
    assert "negative 0, neutral 0, positive 200" in lines[0]


def test_real_chinese_reviews_rated_only_one_and_five_stars(empty_ws):
    """The reported crash: Chinese hotel reviews with 1-2 and 4-5 stars only."""
    path = shared_data("chinese-hotel-reviews", "hotel_reviews.csv")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # 300 of each label keep the test quick; the label set is what matters.
    pos = [r for r in rows if r["label"] == "1"][:300]
    neg = [r for r in rows if r["label"] == "0"][:300]
    reviews = [
        (f"H{i:04d}", 5 if r["label"] == "1" else 1, r["review"]) for i, r in enumerate(pos + neg)
    ]
    insert_reviews(empty_ws.conn, reviews)
    lines: list[str] = []
    summary = label_sentiment(empty_ws, report=lines.append)
    assert summary["trained"] and summary["classes"] == ["negative", "positive"]
    assert summary["labelled"] == 600
    assert "classes negative, positive" in lines[0]
    got = dict(
        empty_ws.conn.execute("SELECT label, count(*) FROM review_sentiment GROUP BY 1").fetchall()
    )
    assert set(got) <= {"negative", "neutral", "positive"} and sum(got.values()) == 600


def test_a_model_of_another_embedder_is_not_used_when_it_cannot_be_retrained(empty_ws):
    models = empty_ws.settings.models_dir
    insert_reviews(empty_ws.conn, synthetic_reviews({1: 60, 3: 40, 5: 60}))
    assert label_reviews(empty_ws.conn, CountingEmbedder(), models)["trained"]
    empty_ws.conn.execute("DELETE FROM reviews WHERE review_id >= 'R3'")
    other = CountingEmbedder()
    other.name = "another-model"
    summary = label_reviews(empty_ws.conn, other, models)
    assert summary["model"] == "vader" and "60 rated reviews" in summary["fallback"]
    assert any("another-model" in note for note in summary["notes"])
