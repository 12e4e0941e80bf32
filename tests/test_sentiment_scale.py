"""Sentiment and aspect work per review is bounded: a 2 MB single-line review is
labelled from its first MAX_TEXT_CHARS characters, and no component (VADER, the clause
splitter, the encoder) is handed more, so the cost of a review stops growing with its
length. Work is counted (characters handed to each component), never timed."""

from __future__ import annotations

import pytest

import tools.sentiment as sentiment
from tests.sentiment_fakes import CountingEmbedder, insert_reviews, synthetic_reviews
from tools.aspects import MAX_TEXT_CHARS, clip_text, load_taxonomy, split_clauses
from tools.indexing import MAX_DOCUMENT_CHARS, review_document
from tools.sentiment import analyze, label_reviews, sentiment_with_aspects

SENTENCE = "Great sound but the battery died after two days, awful, not bad at all though "


def _review(size: int) -> str:
    # One line: no newline, commas and contrast words throughout (the reported shape).
    return (SENTENCE * (size // len(SENTENCE) + 1))[:size]


class _CountingVader:
    """VADER as used, recording and bounding what it is handed."""

    def __init__(self, real):
        self.real, self.chars, self.calls = real, 0, 0

    def polarity_scores(self, text):
        if len(text) > MAX_TEXT_CHARS:
            raise AssertionError(f"VADER was handed {len(text)} characters")
        self.chars += len(text)
        self.calls += 1
        return self.real.polarity_scores(text)


@pytest.fixture
def vader(monkeypatch):
    counting = _CountingVader(sentiment._VADER)
    monkeypatch.setattr(sentiment, "_VADER", counting)
    return counting


def _work(ws, size: int, vader) -> dict:
    """Characters handed to VADER and the encoder while labelling a shop whose last
    review is ``size`` characters long."""
    conn = ws.conn
    conn.execute("DELETE FROM reviews")
    conn.execute("DELETE FROM review_sentiment")
    insert_reviews(conn, synthetic_reviews({1: 60, 3: 40, 5: 60}))
    insert_reviews(conn, [("R9-huge", 1, _review(size))])
    embedder = CountingEmbedder()
    vader.chars = vader.calls = 0
    summary = label_reviews(conn, embedder, ws.settings.models_dir)
    huge = conn.execute("SELECT label FROM review_sentiment WHERE review_id = 'R9-huge'").fetchone()
    assert huge is not None and huge[0] in ("negative", "neutral", "positive")
    assert embedder.longest_text <= MAX_TEXT_CHARS
    return {
        "vader": vader.chars,
        "encoded": embedder.chars_encoded,
        "clipped": summary["clipped"],
    }


def test_a_2mb_review_costs_no_more_than_one_at_the_cap(empty_ws, vader):
    at_cap = _work(empty_ws, MAX_TEXT_CHARS, vader)
    # Relabel from scratch each time: a fresh model directory keeps the run identical.
    for p in empty_ws.settings.models_dir.glob("sentiment*"):
        p.unlink()
    huge = _work(empty_ws, 2_000_000, vader)
    assert at_cap["clipped"] == 0 and huge["clipped"] == 1
    # Past the cap the work is the same: 400 times the text, not one more character.
    assert huge["vader"] <= at_cap["vader"] + MAX_TEXT_CHARS
    assert huge["encoded"] <= at_cap["encoded"] + MAX_TEXT_CHARS


def test_work_below_the_cap_grows_at_most_in_proportion(vader):
    work = {}
    for size in (1000, 4000):
        vader.chars = 0
        embedder = CountingEmbedder()
        sentiment_with_aspects(
            [_review(size)], model=None, embedder=embedder, taxonomy=load_taxonomy()
        )
        work[size] = (vader.chars, embedder.chars_encoded)
    assert work[4000][0] <= 4 * work[1000][0] * 1.05
    assert work[4000][1] <= 4 * work[1000][1] * 1.05


def test_analyze_says_when_a_text_was_cut(vader):
    text = _review(1_000_000)
    res = analyze([text, "Love it."])
    assert res[0]["truncated"] == {
        "analysed_chars": len(clip_text(text)),
        "total_chars": 1_000_000,
    }
    assert "truncated" not in res[1]
    assert len(res[0]["sentences"]) <= MAX_TEXT_CHARS // 10


def test_clip_text_cuts_at_a_word_boundary_and_is_idempotent():
    text = "word " * 3000
    cut = clip_text(text)
    assert len(cut) <= MAX_TEXT_CHARS and cut.endswith("word")
    assert clip_text(cut) == cut
    assert clip_text("short text") == "short text"
    assert len(clip_text("x" * 10_000)) == MAX_TEXT_CHARS
    # A review made of one whitespace run is cut too (and splits to nothing).
    assert split_clauses("a" + " " * 200_000 + "but b") == ["a"]


def test_indexed_document_is_bounded_and_redacted_at_the_edge():
    doc = review_document("Title", "x " * 1_000_000)
    assert len(doc) == MAX_DOCUMENT_CHARS
    pad = "y" * (MAX_DOCUMENT_CHARS - 10)
    edge = review_document("", f"{pad} bob@example.com and more")
    assert "bob@exam" not in edge
