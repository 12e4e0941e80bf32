"""Review sentiment: stored labels on the demo shop, the trained model, incremental
relabelling, the VADER fallback, and accuracy on real Amazon 2018 reviews."""

from __future__ import annotations

import math

import pytest

from tests.conftest import shared_data
from tools.sentiment import (
    MIN_RATED,
    VaderScorer,
    analyze,
    embed_clauses,
    evaluate,
    label_reviews,
    load_model,
    review_text,
    stars_to_label,
    text_hash,
    train_model,
)


def test_stars_map_to_labels():
    assert [stars_to_label(r) for r in (1, 2, 3, 4, 5)] == [
        "negative",
        "negative",
        "neutral",
        "positive",
        "positive",
    ]


def test_evaluate_by_hand():
    truth = ["positive", "positive", "negative", "neutral"]
    pred = ["positive", "negative", "negative", "positive"]
    got = evaluate(truth, pred)
    # F1: positive 2*0.5*0.5/1 = 0.5; negative 2*0.5*1/1.5 = 0.6667; neutral 0 -> mean 0.3889
    assert got == {"n": 4, "accuracy": 0.5, "macro_f1": 0.3889}


def test_every_demo_review_is_labelled_with_its_current_text(demo_ws):
    cur = demo_ws.cursor()
    rows = cur.execute(
        "SELECT r.review_id, r.title, r.text, s.text_hash, s.label, s.score "
        "FROM reviews r LEFT JOIN review_sentiment s USING (review_id)"
    ).fetchall()
    assert rows and all(r[4] in ("positive", "neutral", "negative") for r in rows)
    assert all(r[3] == text_hash(review_text(r[1], r[2])) for r in rows)
    assert all(-1.0 <= r[5] <= 1.0 for r in rows)
    # Label and score agree in sign for clear cases.
    assert all(r[5] > 0 for r in rows if r[4] == "positive" and abs(r[5]) > 0.5)


def test_stored_labels_agree_with_the_stars(demo_ws):
    agree, n, neg_on_one_star = (
        demo_ws.cursor()
        .execute(
            "SELECT avg(CASE WHEN (r.rating <= 2 AND s.label = 'negative') "
            "  OR (r.rating = 3 AND s.label = 'neutral') "
            "  OR (r.rating >= 4 AND s.label = 'positive') THEN 1.0 ELSE 0.0 END), count(*), "
            "avg(CASE WHEN s.label = 'negative' THEN 1.0 ELSE 0.0 END) FILTER (WHERE r.rating = 1) "
            "FROM reviews r JOIN review_sentiment s USING (review_id)"
        )
        .fetchone()
    )
    assert n > 1000
    assert agree > 0.85
    assert neg_on_one_star > 0.9


def test_trained_model_beats_vader_on_held_out_demo_reviews(demo_ws):
    model = load_model(demo_ws.settings.models_dir)
    assert model is not None and model.name.startswith("logreg-minilm-vader-")
    held = model.metrics["holdout"]
    n_rated = demo_ws.cursor().execute("SELECT count(rating) FROM reviews").fetchone()[0]
    assert held["model"]["n"] == held["vader"]["n"] == math.ceil(n_rated * 0.2)
    assert held["model"]["macro_f1"] > held["vader"]["macro_f1"]
    assert held["model"]["accuracy"] > 0.85


def test_sentence_level_and_negation(demo_ws):
    model = load_model(demo_ws.settings.models_dir)
    res = analyze(
        [
            "Not bad at all.",
            "Never had a problem with it.",
            "great screen but the battery is awful",
            "Broke after a week, waste of money.",
        ],
        model=model,
        embedder=demo_ws.embedder,
    )
    assert [r["label"] for r in (res[0], res[1], res[3])] == ["positive", "positive", "negative"]
    mixed = res[2]
    assert mixed["mixed"] is True
    assert [(s["text"], s["label"]) for s in mixed["sentences"]] == [
        ("great screen", "positive"),
        ("the battery is awful", "negative"),
    ]


def test_relabels_only_changed_reviews(workspace_copy):
    from assistant.workspace import Workspace

    with Workspace.open(workspace_copy) as ws:
        conn = ws.conn
        rid = conn.execute("SELECT min(review_id) FROM reviews").fetchone()[0]
        gone = conn.execute("SELECT max(review_id) FROM reviews").fetchone()[0]
        conn.execute(
            "UPDATE reviews SET title = 'Awful', text = 'Broke on day one, awful.' "
            "WHERE review_id = ?",
            [rid],
        )
        conn.execute("DELETE FROM reviews WHERE review_id = ?", [gone])
        total = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        summary = label_reviews(conn, ws.embedder, ws.settings.models_dir)
        assert (summary["trained"], summary["labelled"], summary["unchanged"]) == (
            False,
            1,
            total - 1,
        )
        label, h = conn.execute(
            "SELECT label, text_hash FROM review_sentiment WHERE review_id = ?", [rid]
        ).fetchone()
        assert label == "negative"
        assert h == text_hash(review_text("Awful", "Broke on day one, awful."))
        for table in ("review_sentiment", "review_aspects"):
            left = conn.execute(f"SELECT count(*) FROM {table} WHERE review_id = ?", [gone])  # noqa: S608 -- the test's own table names; the id is a parameter
            assert left.fetchone()[0] == 0


def test_falls_back_to_vader_with_few_rated_reviews(empty_ws):
    conn = empty_ws.conn
    rows = [
        ("R1", "P1", 5, "Love it", "Great sound, fits well."),
        ("R2", "P1", 1, "Awful", "The battery died after two days."),
        ("R3", "P1", 3, "", "It is a pair of headphones."),
    ]
    for rid, pid, rating, title, text in rows:
        conn.execute(
            "INSERT INTO reviews (review_id, product_id, rating, title, text, created_at) "
            "VALUES (?, ?, ?, ?, ?, TIMESTAMP '2026-01-01')",
            [rid, pid, rating, title, text],
        )
    assert len(rows) < MIN_RATED
    summary = label_reviews(conn, empty_ws.embedder, empty_ws.settings.models_dir)
    assert (summary["model"], summary["trained"], summary["labelled"]) == ("vader", False, 3)
    got = dict(conn.execute("SELECT review_id, label FROM review_sentiment").fetchall())
    assert got == {"R1": "positive", "R2": "negative", "R3": "neutral"}
    aspects = conn.execute(
        "SELECT aspect, polarity FROM review_aspects WHERE review_id = 'R2'"
    ).fetchall()
    assert aspects == [("battery", "negative")]


@pytest.mark.slow
def test_amazon_2018_held_out_beats_vader():
    import sys
    from pathlib import Path

    from vectorstore.embeddings import load_embedder

    path = shared_data("amazon2018-fashion", "AMAZON_FASHION_5.json.gz")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_sentiment import load_amazon

    texts, ratings = load_amazon(path)
    # A third of the sample keeps the test quick; stratified hold-out inside train_model.
    texts, ratings = texts[::3], ratings[::3]
    _, _, vecs = embed_clauses(texts, load_embedder(""))
    model = train_model(texts, vecs, ratings, "all-MiniLM-L6-v2")
    held = model.metrics["holdout"]
    # Independent check of the VADER figure on the same held-out size.
    assert held["vader"]["n"] == held["model"]["n"] == math.ceil(len(texts) * 0.2)
    assert held["model"]["macro_f1"] > held["vader"]["macro_f1"] + 0.1
    assert held["model"]["accuracy"] > 0.85
    assert VaderScorer().predict(["I love it"])[0] == ["positive"]
