"""Mixed reviews, end to end on a small shop: sentence labels kept and shown in search
hits, product insight and the product tab's cards; aspects counted from the clause
that names them, not from the review's label."""

from __future__ import annotations

import pytest

from assistant.webapp.cards import quotes_html, sentences_html
from assistant.webapp.render import quote_block
from tools.indexing import sync_review_index
from tools.insights import product_insights
from tools.reviews import search_reviews
from tools.sentiment import label_reviews

REVIEWS = [
    # 4 stars: praise for the sound, a battery complaint.
    ("R1", 4, "Great sound. Battery died in a week."),
    # One clause, two targets, no contrast word to cut at.
    ("R2", 4, "The battery is awful, the sound is amazing."),
    ("R3", 5, "Love it, great comfort."),
    ("R4", 1, "Awful. Broke on the first day."),
]


@pytest.fixture
def shop(empty_ws):
    conn = empty_ws.conn
    conn.execute(
        "INSERT INTO products (product_id, title, brand, category, price, currency, created_at) "
        "VALUES ('P1', 'Aurora Pulse', 'Aurora', 'Headphones', 99.0, 'USD', "
        "TIMESTAMP '2025-01-01')"
    )
    for rid, rating, text in REVIEWS:
        conn.execute(
            "INSERT INTO reviews (review_id, product_id, rating, title, text, created_at) "
            "VALUES (?, 'P1', ?, '', ?, TIMESTAMP '2026-01-01')",
            [rid, rating, text],
        )
    label_reviews(conn, empty_ws.embedder, empty_ws.settings.models_dir)
    return empty_ws


def test_aspects_are_counted_from_the_clause_that_names_them(shop):
    rows = shop.conn.execute(
        "SELECT review_id, aspect, polarity FROM review_aspects "
        "WHERE aspect IN ('battery', 'sound') ORDER BY 1, 2"
    ).fetchall()
    assert rows == [
        ("R1", "battery", "negative"),
        ("R1", "sound", "positive"),
        # Target-dependent: the clause reads mildly positive as a whole.
        ("R2", "battery", "negative"),
        ("R2", "sound", "positive"),
    ]
    # Both 4-star reviews are labelled positive overall and flagged mixed.
    got = shop.conn.execute(
        "SELECT review_id, s.label, v.mixed FROM review_sentiment s "
        "JOIN review_verdicts v USING (review_id) WHERE review_id IN ('R1', 'R2') ORDER BY 1"
    ).fetchall()
    assert got[0] == ("R1", "positive", True)


def test_product_insight_counts_praise_and_complaint_of_one_review(shop):
    ctx = shop.tool_context("marketer")
    res = product_insights(ctx, product_id="P1", top=10)
    complained = {a["aspect"]: a["count"] for a in res["top_complained"]}
    praised = {a["aspect"]: a["count"] for a in res["top_praised"]}
    assert complained["battery"] == 2 and praised["sound"] == 2
    assert "battery" not in praised and "sound" not in complained
    mixed = res["mixed_reviews"]
    # R2 is one clause: two targets, but not two sentences.
    assert (mixed["n"], mixed["count"]) == (4, 1)
    r1 = next(e for e in mixed["examples"] if e["review_id"] == "R1")
    assert r1["rating"] == 4 and r1["label"] == "positive"
    assert [(s["text"], s["label"]) for s in r1["sentences"]] == [
        ("Great sound.", "positive"),
        ("Battery died in a week.", "negative"),
    ]
    html = quotes_html(res)
    assert "Mixed reviews" in html and "Battery died in a week." in html
    assert 'class="sent-negative"' in html and 'class="sent-positive"' in html
    assert "mixed, counted as positive" in html


def test_search_hits_show_mixed_reviews_sentence_by_sentence(shop):
    sync_review_index(shop.conn, shop.review_index, progress=False)
    ctx = shop.tool_context("marketer")
    res = search_reviews(ctx, query="battery life")
    hits = {h["review_id"]: h for h in res["results"]}
    assert hits["R1"]["mixed"] is True and hits["R1"]["sentiment"] == "positive"
    assert [s["label"] for s in hits["R1"]["sentences"]] == ["positive", "negative"]
    assert hits["R4"]["mixed"] is False and "sentences" not in hits["R4"]
    only = search_reviews(ctx, sentiment="mixed")
    assert {h["review_id"] for h in only["results"]} <= {"R1", "R2"}
    assert "R1" in {h["review_id"] for h in only["results"]}
    block = quote_block("R1", hits["R1"])
    assert "Battery died in a week." in block and "mixed" in block


def test_sentence_marks_escape_customer_text():
    html = sentences_html([{"text": "<script>x</script>", "label": "negative"}])
    assert "<script>" not in html and "&lt;script&gt;" in html
