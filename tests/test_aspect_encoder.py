"""The shipped tuned aspect encoder: a safe file that says where it came from, loaded only
when a term's polarity is asked for, target-dependent on real sentences, and a floor on
a fixed SemEval validation sample it was not trained on."""

from __future__ import annotations

import hashlib
import json
import os
import pickle  # noqa: S403 -- writes a pickled file to show it is refused
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_data
from tools.aspect_encoder import (
    BASE,
    HEADS_DIR,
    NAME,
    ShippedAspectEncoder,
    read_aspect_encoder,
    shipped_aspect_encoder,
)
from tools.aspects import load_taxonomy, polarity, term_polarity
from tools.model_files import ModelFileError, load_npz, npz_bytes
from tools.sentiment import aspect_target_scores, shipped_aspect_model

ROOT = Path(__file__).resolve().parents[1]


class _Embedder:
    name = BASE

    def encode(self, texts):
        return np.ones((len(texts), 4), np.float32) / 2.0


def _copy(tmp_path: Path) -> Path:
    for f in HEADS_DIR.glob(f"{NAME}.*"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / f"{NAME}.json"


def _rewrite_arrays(json_path: Path, raw: bytes) -> None:
    """Replace the arrays and make the description's digest match (as an attacker could)."""
    (json_path.parent / f"{NAME}.npz").write_bytes(raw)
    meta = json.loads(json_path.read_text())
    meta["arrays_sha256"] = hashlib.sha256(raw).hexdigest()
    json_path.write_text(json.dumps(meta))


def test_shipped_encoder_says_where_it_came_from():
    meta = json.loads((HEADS_DIR / f"{NAME}.json").read_text())
    assert meta["base"] == BASE and meta["classes"] == ["negative", "neutral", "positive"]
    assert meta["seed"] == 0 and meta["n_fit"] > 1000
    assert all(len(d) == 64 for d in meta["data_sha256"].values())
    # Scored on what it was not trained on, never on the held-out test split.
    assert set(meta["scores"]) == {"check"}
    assert meta["scores"]["check"]["n"] > 300
    assert "'fit'" in meta["trained_on"] and meta["settings"]["kept"].startswith("mean of")
    # float16 layers, no word embeddings: a fraction of the 90 MB float32 model.
    assert (HEADS_DIR / meta["arrays"]).stat().st_size < 25_000_000
    assert shipped_aspect_encoder(BASE) is not None
    # Another encoder's shop (multilingual e5) has text MiniLM cannot read.
    assert shipped_aspect_encoder("multilingual-e5-small") is None
    assert isinstance(shipped_aspect_model(BASE), ShippedAspectEncoder)


def test_a_tampered_pickled_or_reshaped_file_is_refused(tmp_path):
    json_path = _copy(tmp_path)
    npz = tmp_path / f"{NAME}.npz"
    raw = bytearray(npz.read_bytes())
    raw[-40] ^= 0xFF
    npz.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="digest"):
        read_aspect_encoder(json_path)

    _rewrite_arrays(json_path, pickle.dumps({"linear.weight": np.zeros((3, 2))}))
    with pytest.raises(ModelFileError, match="not a readable numpy"):
        read_aspect_encoder(json_path)

    arrays = load_npz(HEADS_DIR / f"{NAME}.npz")
    arrays["linear.weight"] = arrays["linear.weight"][:, :10]
    _rewrite_arrays(json_path, npz_bytes(arrays))
    with pytest.raises(ModelFileError, match="linear layer"):
        read_aspect_encoder(json_path)

    arrays = load_npz(HEADS_DIR / f"{NAME}.npz")
    key = next(k for k in arrays if k.startswith("encoder."))
    del arrays[key]
    _rewrite_arrays(json_path, npz_bytes(arrays))
    with pytest.raises(ModelFileError, match=key.replace(".", r"\.")):
        read_aspect_encoder(json_path)


def test_a_damaged_encoder_degrades_to_the_clause_with_a_warning(tmp_path, caplog):
    json_path = _copy(tmp_path)
    (tmp_path / f"{NAME}.npz").write_bytes(b"not an npz")
    damaged = ShippedAspectEncoder(json_path)
    text = "The battery died within an hour, but the screen is gorgeous."
    with caplog.at_level("WARNING"):
        assert aspect_target_scores(damaged, [(text, 4, 11)], _Embedder()) is None
    assert "aspect encoder not used" in caplog.text and "digest" in caplog.text

    class Scorer:
        name = "vader-like"

        def score(self, texts, embeddings=None):
            return np.full(len(texts), -0.9)

        def target_scores(self, items, embedder):
            return aspect_target_scores(damaged, items, embedder)

    got = term_polarity(
        text, "battery", taxonomy=load_taxonomy(), scorer=Scorer(), embedder=_Embedder()
    )
    assert got["mentioned"] and got["polarity"] == "negative"


def test_another_base_model_is_refused(tmp_path):
    json_path = _copy(tmp_path)
    meta = json.loads(json_path.read_text())
    meta["base"] = "bert-base-uncased"
    json_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="another base model"):
        read_aspect_encoder(json_path)


def test_loading_the_sentiment_tools_does_not_load_the_encoder():
    """Finding the shipped model reads its description only: torch stays unimported
    until a term's polarity is asked for."""
    code = (
        "import sys; from tools.sentiment import shipped_aspect_model, aspect_model_tag;"
        f"m = shipped_aspect_model({BASE!r}); tag = aspect_model_tag(m);"
        "print(len(tag), 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["9", "False", "False"]


def test_polarity_follows_the_term_not_the_sentence():
    """Two terms in one sentence, opposite opinions: each gets its own."""
    cases = [
        ("The battery died within an hour, but the screen is gorgeous.", "battery", "negative"),
        ("The battery died within an hour, but the screen is gorgeous.", "screen", "positive"),
        ("Great food, but the waiter was rude and slow.", "food", "positive"),
        ("Great food, but the waiter was rude and slow.", "waiter", "negative"),
    ]
    items = []
    for text, term, _ in cases:
        start = text.index(term)
        items.append((text, start, start + len(term)))
    scores = aspect_target_scores(shipped_aspect_model(BASE), items, _Embedder())
    assert [polarity(float(s)) for s in scores] == [label for _, _, label in cases]


def test_spans_outside_the_text_are_an_error():
    with pytest.raises(ValueError, match="outside its text"):
        shipped_aspect_model(BASE).proba([("short", 2, 40)])


def product_path_accuracy(sample, scorer, embedder) -> float:
    """Accuracy of term_polarity (what the product calls) on SemEval terms; a term it
    finds no opinion on counts as neutral."""
    taxonomy = load_taxonomy()
    pred = [
        term_polarity(t.text, t.term, taxonomy=taxonomy, scorer=scorer, embedder=embedder)[
            "polarity"
        ]
        or "neutral"
        for t in sample
    ]
    return float(np.mean([p == t.label for p, t in zip(pred, sample, strict=True)]))


@pytest.mark.slow
def test_aspect_polarity_on_the_semeval_check_part():
    """The SemEval validation terms the shipped encoder did not learn from (role
    'check', n=402), through the product path (term_polarity): measured accuracy 0.826,
    VADER on the term's clause 0.639 (the head over frozen features it replaced: 0.744)."""
    from tools.sentiment import VaderScorer
    from tools.sentiment_realdata import load_semeval, semeval_fit_role
    from vectorstore.embeddings import load_embedder

    terms = load_semeval(shared_data("semeval14-absa-train"))
    sample = [t for t in terms if semeval_fit_role(t) == "check"]
    embedder = load_embedder("")
    # VaderScorer scores clauses by VADER and terms by the shipped aspect model.
    ours = product_path_accuracy(sample, VaderScorer(), embedder)
    vader = product_path_accuracy(sample, VaderScorer(), None)
    assert ours >= FLOOR, (ours, vader)
    assert ours >= vader + 0.05, (ours, vader)


FLOOR = 0.80
