"""The numpy MiniLM encoder gives sentence-transformers' vectors without torch, and the
Embedder uses it for a few texts and torch for bulk."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest
from conftest import ROOT, shared_data

from assistant.errors import BackendError
from vectorstore import embeddings
from vectorstore.embeddings import load_embedder, packaged_model_path
from vectorstore.minilm_numpy import MiniLMNumpy, supports

# Texts the tokenizer treats specially: empty, blank, accents and case, CJK (unknown to
# MiniLM), emoji, a text longer than the 256 tokens the model reads.
EDGE_TEXTS = [
    "",
    "   ",
    "ok",
    "Crème brûlée CAFÉ — naïve résumé!!",
    "电池续航很差，不推荐",
    "Love it 😍👍 10/10 would buy again",
    "The battery died after two days and support never answered. " * 40,
    "\tTabs\nand\r\nnewlines  between   words\x00with a NUL",
]


@pytest.fixture(scope="module")
def numpy_model():
    return MiniLMNumpy(packaged_model_path())


@pytest.fixture(scope="module")
def torch_model():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(packaged_model_path()), device="cpu", local_files_only=True)


def _cosines(numpy_model, torch_model, texts: list[str], batch_size: int) -> np.ndarray:
    ours = numpy_model.encode(texts, batch_size=batch_size)
    theirs = torch_model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    assert ours.shape == theirs.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    return np.sum(ours * theirs, axis=1)


def test_matches_sentence_transformers_on_repo_text(numpy_model, torch_model):
    lines = (ROOT / "tests" / "data" / "demo_aspect_clauses.tsv").read_text("utf-8").splitlines()
    clauses = [ln.split("\t")[-1] for ln in lines if ln and not ln.startswith(("#", "review_id"))]
    readme = [p for p in (ROOT / "README.md").read_text("utf-8").split("\n\n") if p.strip()]
    texts = clauses + readme[:40] + EDGE_TEXTS
    assert len(texts) >= 150
    # Batches of mixed lengths: padding must not leak into the pooled vector.
    cos = _cosines(numpy_model, torch_model, texts, batch_size=16)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.9999, f"cosine {cos.min():.6f} on {texts[worst][:80]!r}"


def test_matches_sentence_transformers_on_real_reviews(numpy_model, torch_model):
    path = shared_data("amazon2018-fashion", "AMAZON_FASHION_5.json.gz")
    texts: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("reviewText")
            if text and text not in texts:
                texts.append(text)
            if len(texts) == 200:
                break
    assert len(texts) == 200
    cos = _cosines(numpy_model, torch_model, texts, batch_size=32)
    assert cos.min() >= 0.9999, f"cosine {cos.min():.6f} on review {int(np.argmin(cos))}"


def test_padding_does_not_change_a_vector(numpy_model):
    alone = numpy_model.encode(["great sound"])[0]
    padded = numpy_model.encode(["great sound", "a much longer text " * 20])[0]
    assert np.allclose(alone, padded, atol=1e-5)


def test_only_the_architecture_it_runs_is_accepted(tmp_path):
    assert supports(packaged_model_path())
    for name in ("config.json", "modules.json", "tokenizer.json", "model.safetensors"):
        (tmp_path / name).write_bytes((packaged_model_path() / name).read_bytes())
    (tmp_path / "1_Pooling").mkdir()
    pooling = json.loads((packaged_model_path() / "1_Pooling" / "config.json").read_text())
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert supports(tmp_path)
    # CLS pooling is another model: torch runs it.
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({**pooling, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    )
    assert not supports(tmp_path)
    with pytest.raises(BackendError, match="not a BERT mean-pooling"):
        MiniLMNumpy(tmp_path)
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "model_type": "xlm-roberta"}))
    assert not supports(tmp_path)


def test_a_damaged_weights_file_is_a_clear_error(tmp_path):
    for name in ("config.json", "modules.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((packaged_model_path() / name).read_bytes())
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_bytes(
        (packaged_model_path() / "1_Pooling" / "config.json").read_bytes()
    )
    header = json.dumps(
        {
            "embeddings.word_embeddings.weight": {
                "dtype": "F32",
                "shape": [30522, 384],
                "data_offsets": [0, 4096],
            }
        }
    ).encode()
    (tmp_path / "model.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + b"\0" * 4096
    )
    with pytest.raises(BackendError, match="model.safetensors.*does not fit its declared shape"):
        MiniLMNumpy(tmp_path)


def test_embedder_encodes_a_few_texts_without_torch_and_bulk_with_it(tmp_path, monkeypatch):
    embedder = load_embedder("", batch_size=64, cache_path=tmp_path / "cache.sqlite")
    assert not embedder.model_loaded
    query = embedder.encode_query("battery dies after two hours")
    assert embedder.model_loaded and not embedder.torch_loaded
    assert query.shape == (384,) and abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    # A call of more text than the numpy encoder takes loads torch, which then
    # encodes everything, the same vectors to float32 rounding.
    monkeypatch.setattr(embeddings, "LIGHT_MAX_CHARS", 40)
    bulk = embedder.encode(["great sound", "awful fit", "battery dies after two hours!"])
    assert embedder.torch_loaded
    again = embedder.encode_uncached(["battery dies after two hours"])[0]
    assert float(again @ query) >= 0.9999
    assert bulk.shape == (3, 384)


def test_a_model_without_a_numpy_encoder_still_loads_with_torch(tmp_path):
    for path in packaged_model_path().rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(packaged_model_path())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    pooling = tmp_path / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(
        json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    )
    embedder = load_embedder(str(tmp_path), batch_size=4)
    assert embedder.torch_loaded and embedder.light is None
    assert embedder.encode_query("great sound").shape == (384,)
