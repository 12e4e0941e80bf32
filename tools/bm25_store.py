"""The BM25 corpus, and the review vectors in its row order, kept on disk beside the index.

A cold process that searches reviews would otherwise read every review out of Chroma
and tokenize it again, about 40% of a cold `insight ask`. The files are written when
the index is synced (tools/indexing.py) or, failing that, by the first search that
needs them, and read back with numpy in milliseconds.

Each file records the index state it was built from (``ReviewIndex.durable_state``:
collection id, generation and Chroma's last write sequence number). A file of another
state, another format or a damaged one is never used: the corpus is rebuilt from the
index and the file rewritten. Writes go to a temporary file renamed over the old one,
so a reader sees the old file or the new one, never half of one. Only numpy arrays
(``allow_pickle=False``): strings travel as JSON or as UTF-8 bytes with offsets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tools.bm25 import Corpus, build_corpus

log = logging.getLogger(__name__)

FORMAT = 1
CORPUS_FILE = "bm25.npz"
VECTORS_FILE = "bm25-vectors.npz"
# Metadata columns kept as strings (JSON lists) and as numbers (arrays).
_TEXT_COLUMNS = ("product_id", "category", "customer_id", "sentiment")
_NUMBER_COLUMNS = {"rating": np.int16, "created_at": np.int32}


class _Texts(Sequence):
    """The review documents as one UTF-8 buffer, each decoded when asked for (a search
    quotes ten of them, not every review)."""

    def __init__(self, blob: bytes, offsets: np.ndarray) -> None:
        self._blob, self._offsets = blob, offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # negative indexes, and IndexError past the end
        return self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])].decode()


def _json_array(value) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)


def _write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path, key: str) -> tuple[dict, dict[str, np.ndarray]] | None:
    """(meta, arrays) of a file written for ``key``; None if absent, of another state
    or format, or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes())
            if meta.get("format") != FORMAT or meta.get("key") != key:
                return None
            return meta, {name: z[name] for name in z.files if name != "meta"}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable %s (%s): rebuilding it", path, exc)
        return None


# -- the corpus ---------------------------------------------------------------------
def save_corpus(corpus: Corpus, path: Path, key: str) -> None:
    docs = [d.encode() for d in corpus.documents]
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    terms = sorted(corpus.vocab, key=corpus.vocab.__getitem__)
    meta = {
        "format": FORMAT,
        "key": key,
        "n": corpus.size,
        "terms": len(terms),
        "ids": [str(i) for i in corpus.ids],
        "vocab": terms,
        **{c: [str(v) for v in getattr(corpus, c)] for c in _TEXT_COLUMNS},
    }
    _write_atomic(
        path,
        {
            "meta": _json_array(meta),
            "indptr": corpus.indptr,
            "indices": corpus.indices,
            "data": corpus.data,
            "df": corpus.df,
            "doc_offsets": offsets,
            "doc_utf8": np.frombuffer(b"".join(docs), dtype=np.uint8),
            **{c: np.asarray(getattr(corpus, c), dtype=t) for c, t in _NUMBER_COLUMNS.items()},
        },
    )


def load_corpus(path: Path, key: str) -> Corpus | None:
    """The corpus saved for index state ``key``, or None (absent, stale or damaged)."""
    got = _read(path, key)
    if got is None:
        return None
    meta, a = got
    n, n_terms = meta["n"], meta["terms"]
    shapes_ok = (
        len(meta["ids"]) == n
        and len(meta["vocab"]) == n_terms
        and all(len(meta[c]) == n for c in _TEXT_COLUMNS)
        and all(a[c].shape == (n,) for c in _NUMBER_COLUMNS)
        and a["indptr"].shape == (n_terms + 1,)
        and a["df"].shape == (n_terms,)
        and a["indices"].shape == a["data"].shape == (int(a["indptr"][-1]),)
        and a["doc_offsets"].shape == (n + 1,)
        and int(a["doc_offsets"][-1]) == a["doc_utf8"].size
    )
    if not shapes_ok:
        log.warning("ignoring %s: its arrays do not fit together; rebuilding it", path)
        return None
    ids = meta["ids"]
    return Corpus(
        ids=np.asarray(ids, dtype=object),
        documents=_Texts(a["doc_utf8"].tobytes(), a["doc_offsets"]),
        product_id=np.asarray(meta["product_id"], dtype=object),
        category=np.asarray(meta["category"], dtype=object),
        customer_id=np.asarray(meta["customer_id"], dtype=object),
        rating=a["rating"],
        created_at=a["created_at"],
        sentiment=np.asarray(meta["sentiment"], dtype=object),
        vocab={t: j for j, t in enumerate(meta["vocab"])},
        indptr=a["indptr"],
        indices=a["indices"],
        data=a["data"],
        df=a["df"],
        row_of={rid: i for i, rid in enumerate(ids)},
    )


def _corpus_path(index) -> Path | None:
    return index.local_dir / CORPUS_FILE if index.local_dir is not None else None


def corpus_for(index, key: str | None) -> Corpus:
    """The index's corpus: read from disk when saved for state ``key`` (the index's
    current ``durable_state``), else built from the index and saved. ``key`` None:
    built and kept in memory only."""
    path = _corpus_path(index)
    if key is not None and path is not None:
        corpus = load_corpus(path, key)
        if corpus is not None:
            return corpus
    corpus = build_corpus(index.iter_records(("metadatas", "documents")))
    if key is not None and path is not None:
        _save_quietly(save_corpus, corpus, path, key)
    return corpus


def _save_quietly(save, value, path: Path, key: str) -> None:
    # A read-only workspace still answers: it rebuilds in memory, as before.
    try:
        save(value, path, key)
    except OSError as exc:
        log.warning("could not write %s (%s): the next process rebuilds it", path, exc)


# -- the vectors in corpus row order ------------------------------------------------
def _rows_digest(corpus: Corpus) -> str:
    # The vectors are in corpus row order: a file whose rows were laid out for another
    # corpus (however it came about) must not be read against this one.
    return hashlib.sha1("\n".join(map(str, corpus.ids)).encode()).hexdigest()


def save_vectors(vectors: np.ndarray, corpus: Corpus, path: Path, key: str) -> None:
    meta = {"format": FORMAT, "key": key, "n": int(vectors.shape[0]), "rows": _rows_digest(corpus)}
    _write_atomic(path, {"meta": _json_array(meta), "vectors": vectors})


def load_vectors(path: Path, key: str, corpus: Corpus) -> np.ndarray | None:
    got = _read(path, key)
    if got is None:
        return None
    meta, a = got
    vectors = a.get("vectors")
    n = corpus.size
    if vectors is None or vectors.ndim != 2 or vectors.shape[0] != n or meta.get("n") != n:
        return None
    return vectors if meta.get("rows") == _rows_digest(corpus) else None


def vectors_for(index, corpus: Corpus, key: str | None) -> np.ndarray:
    """Every indexed vector, row i for corpus row i: from disk when saved for state
    ``key``, else read from the index (all of it) and saved."""
    path = index.local_dir / VECTORS_FILE if index.local_dir is not None else None
    if key is not None and path is not None:
        vectors = load_vectors(path, key, corpus)
        if vectors is not None and vectors.shape[1] == index.embedder.dim:
            return vectors
    vectors = index.vectors(corpus.row_of)
    if key is not None and path is not None:
        try:
            save_vectors(vectors, corpus, path, key)
        except OSError as exc:
            log.warning("could not write %s (%s): the next process reads Chroma", path, exc)
    return vectors


def refresh(index) -> bool:
    """Write the corpus and vectors for the index's current state unless they are
    already on disk (an index sync calls this). True if anything was written."""
    key, path = index.durable_state(), _corpus_path(index)
    if key is None or path is None:
        return False
    corpus = load_corpus(path, key)
    wrote = corpus is None
    if corpus is None:
        corpus = build_corpus(index.iter_records(("metadatas", "documents")))
        save_corpus(corpus, path, key)
    vpath = index.local_dir / VECTORS_FILE
    vectors = load_vectors(vpath, key, corpus)
    if vectors is None or vectors.shape[1] != index.embedder.dim:
        save_vectors(index.vectors(corpus.row_of), corpus, vpath, key)
        wrote = True
    return wrote
