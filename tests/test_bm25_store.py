"""The BM25 corpus kept on disk (tools/bm25_store.py): a loaded corpus ranks exactly as
the rebuilt one, the index sync writes it, and a file of another index state (reviews
added, even by a sync killed before it recorded a new generation) or a damaged one is
never used but rebuilt and rewritten."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from test_index import CountingEmbedder, insert_reviews

from tools import bm25_store
from tools.bm25 import build_corpus, tokenize
from tools.context import ToolContext
from tools.indexing import sync_review_index
from tools.reviews import review_corpus, review_vectors, search_reviews
from vectorstore.embeddings import load_embedder
from vectorstore.index import open_review_index

RECORDS = [
    ("R1", {"product_id": "P1", "category": "Audio", "rating": 2, "created_at": 20250301},
     "Battery dies after two hours on the X-200, very poor"),
    ("R2", {"product_id": "P1", "category": "Audio", "rating": 5, "created_at": 20250302,
            "sentiment": "positive", "customer_id": "C1"},
     "Great sound, battery lasts all day. Would buy again."),
    ("R3", {"product_id": "P2", "category": "Kitchen", "rating": 1, "created_at": 20250303},
     "Kettle leaks water from the lid; broke within a week"),
    ("R4", {"product_id": "P2", "category": "Kitchen", "rating": 4, "created_at": 20250304},
     "电池续航太差了，充一次电只能用两个小时"),
    ("R5", {"product_id": "P3", "category": "Shoes", "rating": 3, "created_at": 20250305},
     "Fit is true to size, laces fray; code ZX-4471Q on the box"),
    ("R6", {"product_id": "P3", "category": "Shoes", "rating": 4, "created_at": 20250306},
     ""),
    ("R7", {"product_id": "P1", "category": "Audio", "rating": 1, "created_at": 20250307},
     "battery battery battery — dead battery, “quotes” and émojis 🎧"),
]  # fmt: skip
QUERIES = [
    "battery dies",
    "x-200 battery",
    "zx-4471q",
    "kettle leaks",
    "电池续航",
    "great sound would buy again",
    "nothing matches here",
    "",
    "battery battery x-200",
]


def assert_same_corpus(a, b):
    assert list(a.ids) == list(b.ids) and a.row_of == b.row_of
    assert list(a.documents) == list(b.documents)
    assert a.vocab == b.vocab
    for col in ("product_id", "category", "customer_id", "sentiment", "rating", "created_at"):
        assert np.array_equal(getattr(a, col), getattr(b, col)), col
        assert getattr(a, col).dtype == getattr(b, col).dtype, col
    for q in QUERIES:
        sa, sb = a.scores(q), b.scores(q)
        assert sa.dtype == sb.dtype and np.array_equal(sa, sb), q
        assert a.rare_terms(q) == b.rare_terms(q), q
        assert np.array_equal(a.containing(a.rare_terms(q)), b.containing(b.rare_terms(q))), q
        rank_a = np.lexsort((a.ids, -sa)).tolist()
        assert rank_a == np.lexsort((b.ids, -sb)).tolist(), q


def test_a_loaded_corpus_ranks_exactly_as_the_rebuilt_one(tmp_path):
    built = build_corpus(iter(RECORDS))
    path = tmp_path / bm25_store.CORPUS_FILE
    bm25_store.save_corpus(built, path, "state-1")
    loaded = bm25_store.load_corpus(path, "state-1")
    assert loaded is not None
    assert_same_corpus(built, loaded)
    assert loaded.documents[-1] == RECORDS[-1][2] and loaded.documents[5] == ""
    with pytest.raises(IndexError):
        loaded.documents[len(RECORDS)]
    # Saved for another index state: not used.
    assert bm25_store.load_corpus(path, "state-2") is None
    # No temporary file is left beside it.
    assert [p.name for p in tmp_path.iterdir()] == [bm25_store.CORPUS_FILE]


def test_scores_are_the_sparse_matrix_column_sums():
    # The scores the scipy matrix gave before the corpus became plain arrays, to the bit.
    corpus = build_corpus(iter(RECORDS))
    matrix = sparse.csc_matrix(
        (corpus.data, corpus.indices, corpus.indptr), shape=(corpus.size, len(corpus.vocab))
    )
    for q in QUERIES:
        terms = [t for t in dict.fromkeys(tokenize(q)) if t in corpus.vocab]
        if not terms:
            assert not corpus.scores(q).any() and not corpus.containing(terms).any(), q
            continue
        cols = [corpus.vocab[t] for t in terms]
        want = np.asarray(matrix[:, cols].sum(axis=1)).ravel().astype(np.float32)
        assert np.array_equal(corpus.scores(q), want), q
        want_n = np.asarray((matrix[:, cols] > 0).sum(axis=1)).ravel()
        assert np.array_equal(corpus.containing(terms), want_n), q


class RecordsIndex:
    """What bm25_store.corpus_for reads of an index, counting full reads."""

    def __init__(self, local_dir):
        self.local_dir, self.reads = local_dir, 0

    def iter_records(self, include):
        self.reads += 1
        return iter(RECORDS)


@pytest.mark.parametrize("damage", [b"not a zip file", b"", b"PK\x03\x04truncated"])
def test_a_damaged_file_is_rebuilt_and_rewritten(tmp_path, damage):
    index = RecordsIndex(tmp_path)
    path = tmp_path / bm25_store.CORPUS_FILE
    first = bm25_store.corpus_for(index, "s")
    assert index.reads == 1 and path.is_file()
    assert_same_corpus(first, bm25_store.corpus_for(index, "s"))
    assert index.reads == 1  # read from disk, not from the index
    path.write_bytes(damage)
    assert_same_corpus(first, bm25_store.corpus_for(index, "s"))
    assert index.reads == 2
    assert bm25_store.load_corpus(path, "s") is not None  # rewritten whole
    # No state (a Chroma server): built, never written.
    path.unlink()
    bm25_store.corpus_for(index, None)
    assert index.reads == 3 and not path.exists()


def test_arrays_that_do_not_fit_are_not_used(tmp_path):
    corpus = build_corpus(iter(RECORDS))
    corpus.indices = corpus.indices[:-1]
    path = tmp_path / bm25_store.CORPUS_FILE
    bm25_store.save_corpus(corpus, path, "s")
    assert bm25_store.load_corpus(path, "s") is None


# -- with a real index ------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedder():
    return load_embedder("", batch_size=32)


def _ctx(ws, index):
    return ToolContext(
        ws.cursor,
        role="marketer",
        models_dir=ws.settings.models_dir,
        embedder_loader=lambda: index.embedder,
        index_loader=lambda: index,
    )


def test_sync_writes_the_corpus_and_a_stale_one_is_never_used(empty_ws, embedder):
    conn = empty_ws.conn
    insert_reviews(conn, 30)
    counting = CountingEmbedder(embedder)
    counting.encode_query = embedder.encode_query
    index = open_review_index(empty_ws.settings.index_dir, counting)
    sync_review_index(conn, index, progress=False)
    path = empty_ws.settings.index_dir / bm25_store.CORPUS_FILE
    state = index.durable_state()
    saved = bm25_store.load_corpus(path, state)
    assert saved is not None and saved.size == 30
    rebuilt = build_corpus(index.iter_records(("metadatas", "documents")))
    assert_same_corpus(rebuilt, saved)
    vectors = bm25_store.load_vectors(
        empty_ws.settings.index_dir / bm25_store.VECTORS_FILE, state, saved
    )
    assert np.array_equal(vectors, index.vectors(saved.row_of))
    before = path.read_bytes()

    # Reviews written to the index by a sync killed before it bumped the generation:
    # the state still moves, so the saved corpus (30 reviews) is not taken for it.
    generation = index.generation()
    new = insert_reviews(conn, 3, start=31)
    ids = [r[0] for r in new]
    index.upsert(
        ids,
        embedder.encode_uncached([r[5] for r in new]),
        [r[5] for r in new],
        [{"product_id": r[1], "rating": r[3], "created_at": 20250101} for r in new],
    )
    assert index.generation() == generation and index.durable_state() != state
    assert bm25_store.load_corpus(path, index.durable_state()) is None

    ctx = _ctx(empty_ws, index)
    corpus = review_corpus(ctx)
    assert corpus.size == 33 and set(ids) <= set(corpus.row_of)
    assert len(review_vectors(ctx, corpus)) == 33
    # Rewritten for the new state, and what the next process reads.
    assert path.read_bytes() != before
    assert bm25_store.load_corpus(path, index.durable_state()).size == 33
    hit = search_reviews(ctx, query=new[0][5], product_id=new[0][1], k=50)
    assert ids[0] in hit["evidence"]["reviews"]

    # An old file put back (a copy restored, another process's late write) is not used.
    path.write_bytes(before)
    fresh = open_review_index(empty_ws.settings.index_dir, counting)
    assert review_corpus(_ctx(empty_ws, fresh)).size == 33


def test_an_index_opened_lazily_connects_on_its_first_write(empty_ws, embedder):
    index = open_review_index(empty_ws.settings.index_dir, embedder)
    assert index._client is None and index.durable_state() is None  # nothing opened yet
    texts = ["battery dies fast", "kettle leaks"]
    index.upsert(["R1", "R2"], embedder.encode_uncached(texts), texts, [{"rating": 1}] * 2)
    assert index.count() == 2
    state = index.durable_state()
    assert state is not None and state.startswith(f"{index.collection.id}:")


def test_a_rebuild_replaces_an_index_whose_database_cannot_be_opened(empty_ws):
    # The embedded index connects lazily: the rebuild must still notice a damaged
    # database up front and start a new index, not fail on its first write.
    from assistant.pipeline import sync_index

    insert_reviews(empty_ws.conn, 4)
    index_dir = empty_ws.settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    said = []
    summary = sync_index(empty_ws, rebuild=True, progress=False, report=said.append)
    assert summary["indexed"] == 4
    assert any("unreadable; starting a new one" in line for line in said)
