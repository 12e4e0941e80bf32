"""The Chinese fallback sentiment: a hash-fixed held-out part, a packaged head that
loads without pickle and says what it was trained on, and that reads Chinese."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import DataError
from tests.conftest import shared_data
from tools.model_files import ModelFileError, save_json_atomic, save_npz_atomic
from tools.sentiment_zh import HELD_OUT_PERCENT, ChineseSentiment, clip, split_of
from tools.train_zh_sentiment import read_corpus, split
from vectorstore.embeddings import E5, load_embedder


def test_held_out_part_is_fixed_by_hash():
    texts = [f"评论{i}" for i in range(4000)]
    parts = [split_of(t) for t in texts]
    assert parts == [split_of(t) for t in texts]  # stable
    share = parts.count("test") / len(parts)
    assert abs(share - HELD_OUT_PERCENT / 100) < 0.03
    train, test = split([(t, 1) for t in texts] + [(texts[0], 0)])
    # A duplicated text lands in one part only.
    assert not {t for t, _ in train} & {t for t, _ in test}


def test_bad_corpus_rows_are_named(tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("label,review\n1,好\n2,差\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3"):
        read_corpus(bad)
    bad.write_text("rating,text\n1,好\n", encoding="utf-8")
    with pytest.raises(DataError, match="header"):
        read_corpus(bad)


def test_packaged_head_says_what_it_was_trained_on():
    head = ChineseSentiment.packaged()
    p = head.provenance
    assert p["embedding_model"] == E5 and p["held_out_n"] > 500 and p["train_n"] > 2000
    assert p["held_out_accuracy"] >= 0.8
    assert head.coef.shape == (384,)


def test_damaged_weights_are_a_clear_error(tmp_path):
    save_npz_atomic(tmp_path / "sentiment_zh.npz", {"coef": np.zeros(3, np.float32)})
    save_json_atomic(tmp_path / "sentiment_zh.json", {})
    with pytest.raises(ModelFileError, match="intercept"):
        ChineseSentiment.packaged(tmp_path)
    (tmp_path / "sentiment_zh.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError):
        ChineseSentiment.packaged(tmp_path)


@pytest.fixture(scope="module")
def e5():
    return load_embedder(E5)


def test_reads_chinese_reviews(e5):
    head = ChineseSentiment.packaged()
    positive = ["东西很好，质量不错，物流也快，下次还会买", "音质很棒，戴着也舒服，非常满意"]
    negative = ["质量太差了，用了两天就坏了，再也不买了", "客服态度恶劣，退款拖了一个月，非常失望"]
    labels, scores = head.predict(positive + negative, embedder=e5)
    assert labels == ["positive"] * 2 + ["negative"] * 2
    assert np.all(np.abs(scores) <= 1)


def test_wrong_vectors_are_refused(e5):
    class Other:
        name = "all-MiniLM-L6-v2"

    with pytest.raises(ValueError, match=E5):
        ChineseSentiment.packaged().score(["好"], embedder=Other())


def test_held_out_accuracy_on_real_reviews(e5):
    rows = read_corpus(shared_data("chinese-hotel-reviews", "hotel_reviews.csv"))
    _, test = split(rows)
    sample = test[:120]
    vecs = e5.encode([clip(t) for t, _ in sample])
    truth = np.array([y for _, y in sample])
    accuracy = float(((ChineseSentiment.packaged().probability(vecs) >= 0.5) == truth).mean())
    assert accuracy >= 0.8
