"""The sentence encoder: offline packaged model, shape and normalisation, order kept
through length sorting, the cache, and a clear error for a missing model."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import BackendError
from vectorstore.embeddings import load_embedder, packaged_model_path


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("", batch_size=4)


def test_packaged_model_is_used_by_default(embedder):
    assert (packaged_model_path() / "config.json").exists()
    assert embedder.name == "all-MiniLM-L6-v2"
    assert embedder.dim == 384


def test_vectors_are_normalised_float32_in_input_order(embedder):
    texts = [
        "ok",
        "The battery of these headphones died after two weeks of light use, very annoying.",
        "",
        "Great kettle",
        "Shoes fit well and the sole is comfortable on long runs in the rain and on gravel.",
    ]
    vecs = embedder.encode(texts)
    assert vecs.shape == (5, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # Sorting by length inside must not reorder the output: compare with one-by-one encoding.
    one_by_one = np.vstack([embedder.encode_uncached([t]) for t in texts])
    assert np.allclose(vecs, one_by_one, atol=1e-4)


def test_similar_texts_are_closer_than_unrelated(embedder):
    a, b, c = embedder.encode(
        ["battery drains fast", "the battery runs out quickly", "lovely recipe book"]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_cache_returns_same_vectors_without_encoding(embedder, monkeypatch):
    texts = ["cache me once", "and me too"]
    first = embedder.encode(texts)

    def fail(_texts):
        raise AssertionError("cached texts were encoded again")

    monkeypatch.setattr(embedder, "encode_uncached", fail)
    assert np.array_equal(embedder.encode(list(reversed(texts))), first[::-1])


def test_langchain_adapter(embedder):
    lc = embedder.langchain()
    docs = lc.embed_documents(["hello world"])
    assert len(docs) == 1 and len(docs[0]) == 384
    assert np.allclose(lc.embed_query("hello world"), docs[0], atol=1e-5)


def test_missing_model_names_the_setting(tmp_path):
    with pytest.raises(BackendError) as err:
        load_embedder(str(tmp_path / "no-such-model"))
    assert "INSIGHT_EMBEDDING_MODEL" in str(err.value)


def test_hub_name_is_never_downloaded():
    # Offline: a hub id that is not in the local cache is an error, not a download.
    with pytest.raises(BackendError) as err:
        load_embedder("some-org/surely-not-cached-model-xyz")
    assert "INSIGHT_EMBEDDING_MODEL" in str(err.value)


def test_long_texts_are_cut_before_tokenising(embedder):
    """The tokenizer reads a whole text before truncating it: a 2 MB review must reach
    it as at most max_chars characters, and a cut that keeps every token the model reads
    leaves the vector unchanged."""
    seen: list[int] = []
    real = embedder.model.encode

    def spy(texts, **kwargs):
        seen.extend(len(t) for t in texts)
        return real(texts, **kwargs)

    embedder.model.encode = spy
    try:
        long_text = "The battery died after two days. " * 60_000
        vec = embedder.encode_uncached([long_text])[0]
        head = embedder.encode_uncached([long_text[:5000]])[0]
    finally:
        del embedder.model.encode
    assert embedder.max_chars == embedder.model.max_seq_length * 32
    assert max(seen) <= embedder.max_chars < len(long_text)
    assert np.allclose(vec, head, atol=1e-6)


def test_vectors_persist_across_processes_without_loading_the_model_again(tmp_path):
    import sqlite3

    texts = ["battery dies after two hours", "great sound", "battery dies after two hours"]
    cache = tmp_path / "cache" / "embeddings.sqlite"
    first = load_embedder("", batch_size=4, cache_path=cache)
    assert not first.model_loaded  # nothing is loaded until a text needs encoding
    vecs = first.encode(texts)
    assert first.model_loaded and first.dim == 384
    # A new embedder (a new process) answers from the file alone: no model, same vectors.
    second = load_embedder("", batch_size=4, cache_path=cache)
    again = second.encode(texts)
    assert not second.model_loaded and second.dim == 384
    assert np.array_equal(vecs, again)
    assert np.array_equal(second.encode_query("great sound"), vecs[1])
    assert not second.model_loaded
    # Raw float32 bytes keyed by model and text hash: no pickle anywhere in the file.
    with sqlite3.connect(cache) as con:
        models = {m for (m,) in con.execute("SELECT DISTINCT model FROM vectors")}
        blob = con.execute("SELECT vector FROM vectors LIMIT 1").fetchone()[0]
    assert len(models) == 1 and next(iter(models)).startswith("all-MiniLM-L6-v2@")
    assert len(blob) == 384 * 4
    # Vectors of another model are never served for this one.
    from vectorstore.vector_cache import VectorCache

    other = VectorCache(cache, "another-model")
    assert other.get_many(["x"], 384) == {}


def test_an_unreadable_cache_file_costs_nothing_but_speed(tmp_path):
    cache = tmp_path / "embeddings.sqlite"
    cache.write_bytes(b"this is not a database")
    embedder = load_embedder("", batch_size=4, cache_path=cache)
    vec = embedder.encode(["great sound"])
    assert vec.shape == (1, 384) and embedder.model_loaded


def test_pinning_threads_skips_a_torch_another_thread_is_still_importing(monkeypatch):
    import importlib.machinery
    import sys
    import types

    from vectorstore.embeddings import one_torch_thread

    half = types.ModuleType("torch")
    half.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    half.__spec__._initializing = True  # as importlib marks a module mid-import
    monkeypatch.setitem(sys.modules, "torch", half)
    with one_torch_thread():  # before the fix: AttributeError get_num_threads
        pass
