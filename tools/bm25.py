"""Okapi BM25 over the indexed reviews, as one sparse matrix built once per index state.

Vectors find paraphrases; BM25 keeps exact terms (model numbers, SKUs, rare words)
that a sentence embedding blurs. The matrix holds each (document, term) BM25 weight,
so scoring a query is a sum of a few columns. The same object keeps the reviews'
filterable metadata as arrays, so a filter is a boolean mask and not a query.

The matrix is kept as plain compressed-column arrays (numpy only, no scipy), so it
can be written to the workspace and read back by a cold process in milliseconds
(tools/bm25_store.py) instead of being rebuilt from every review.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOKEN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
# A run of Chinese (or Japanese) characters; the rest of the text is read by TOKEN.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_RUNS = re.compile(rf"{CJK_RUN.pattern}|{TOKEN.pattern}")
K1, B = 1.5, 0.75

# Words so common in reviews that they only add noise to lexical matching.
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have i in is it its me my of on or so
    that the their them they this to was were will with you your we our not no do did
    does very just than then there what which who why how all any can could would""".split()
) | frozenset(
    # Chinese function words and fillers: particles, pronouns, "very", "also", "is".
    """的 了 是 我 你 他 她 它 们 我们 也 都 就 在 和 与 有 很 还 又 这 那 这个 那个 啊 吧 呢 吗
    嘛 呀 着 过 得 地 个 一个 把 被 给 让 对 而 及 或 等 之 其 非常 比较 真的 就是 没有 不""".split()
)

_jieba = None
_jieba_lock = threading.Lock()


def _segmenter():
    """jieba, imported and its dictionary loaded (about a second) on the first Chinese
    text only: an English shop never pays for it."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)  # "Building prefix dict..." on stderr
                jieba.initialize()
                _jieba = jieba
    return _jieba


def _cjk_words(run: str) -> list[str]:
    # Search mode: a long word also yields its dictionary sub-words, so a query that
    # jieba segments differently in its own context still meets the review.
    return [w for w in _segmenter().lcut_for_search(run) if w.strip()]


def tokenize(text: str) -> list[str]:
    """Lower-case words and joined codes ("x-200", "ab_12"), also split into their parts;
    Chinese runs cut into words by jieba ("电池续航太差了 X-200" -> 电池, 续航, 太差, x-200,
    x, 200)."""
    out = []
    for m in _RUNS.finditer((text or "").lower()):
        tok = m.group()
        if CJK_RUN.fullmatch(tok):
            out.extend(w for w in _cjk_words(tok) if w not in STOPWORDS)
            continue
        if tok in STOPWORDS:
            continue
        out.append(tok)
        if "-" in tok or "_" in tok:
            out.extend(p for p in re.split(r"[-_]", tok) if p and p not in STOPWORDS)
    return out


@dataclass
class Corpus:
    """The indexed reviews as arrays (row i of every array is the same review).

    The BM25 weights are a (n_docs, n_terms) matrix in compressed-column form: the
    rows holding term j are ``indices[indptr[j]:indptr[j + 1]]`` (ascending), their
    weights the same slice of ``data``.
    """

    ids: np.ndarray
    documents: Sequence[str]
    product_id: np.ndarray
    category: np.ndarray
    customer_id: np.ndarray
    rating: np.ndarray
    created_at: np.ndarray
    sentiment: np.ndarray
    vocab: dict[str, int]
    indptr: np.ndarray  # (n_terms + 1,) int64
    indices: np.ndarray  # (nnz,) int32 row of each weight
    data: np.ndarray  # (nnz,) float32 BM25 weight of the term in that row
    df: np.ndarray  # reviews containing each term
    row_of: dict[str, int]

    @property
    def size(self) -> int:
        return len(self.ids)

    def rare_terms(self, query: str) -> list[str]:
        """Query terms that pin a review down: codes with digits (model numbers, SKUs)
        and words found in only a handful of reviews."""
        rare_df = max(3, self.size // 10_000)
        out = []
        for tok in dict.fromkeys(tokenize(query)):
            j = self.vocab.get(tok)
            if j is None:
                continue
            code = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
            if code or self.df[j] <= rare_df:
                out.append(tok)
        return out

    def _column(self, j: int) -> slice:
        return slice(int(self.indptr[j]), int(self.indptr[j + 1]))

    def containing(self, terms: list[str]) -> np.ndarray:
        """How many of ``terms`` each review contains."""
        out = np.zeros(self.size, dtype=np.int32)
        for t in terms:
            s = self._column(self.vocab[t])
            out[self.indices[s][self.data[s] > 0]] += 1
        return out

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every review for ``query`` (0 where no term matches)."""
        out = np.zeros(self.size, dtype=np.float32)
        # Column by column in query order, in float32: the sums a sparse matrix-vector
        # product gives, so rankings match those of the scipy matrix this replaced.
        for t in dict.fromkeys(tokenize(query)):
            j = self.vocab.get(t)
            if j is not None:
                s = self._column(j)
                out[self.indices[s]] += self.data[s]  # a row occurs once per column
        return out


def build_corpus(records) -> Corpus:
    """From (id, metadata, document) triples, e.g. ``ReviewIndex.iter_records``."""
    ids, docs, metas = [], [], []
    for rid, meta, doc in records:
        ids.append(rid)
        docs.append(doc or "")
        metas.append(meta)
    vocab: dict[str, int] = {}
    rows, cols, tfs = [], [], []
    lengths = np.zeros(len(docs), dtype=np.float32)
    for i, doc in enumerate(docs):
        counts: dict[int, int] = {}
        toks = tokenize(doc)
        lengths[i] = len(toks)
        for tok in toks:
            j = vocab.setdefault(tok, len(vocab))
            counts[j] = counts.get(j, 0) + 1
        rows.extend([i] * len(counts))
        cols.extend(counts.keys())
        tfs.extend(counts.values())
    n = len(docs)
    rows_a = np.asarray(rows, dtype=np.int32)
    cols_a = np.asarray(cols, dtype=np.int32)
    tf = np.asarray(tfs, dtype=np.float32)
    df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    avg = float(lengths.mean()) if n else 1.0
    norm = K1 * (1 - B + B * lengths[rows_a] / max(avg, 1e-9))
    w = (idf[cols_a] * tf * (K1 + 1) / (tf + norm)).astype(np.float32)
    # Column-major, rows ascending within a column (each (row, term) pair occurs once).
    order = np.lexsort((rows_a, cols_a))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols_a, minlength=len(vocab)), out=indptr[1:])

    def col(key, dtype=object, default=""):
        return np.asarray([m.get(key, default) for m in metas], dtype=dtype)

    return Corpus(
        ids=np.asarray(ids, dtype=object),
        documents=docs,
        product_id=col("product_id"),
        category=col("category"),
        customer_id=col("customer_id"),
        rating=col("rating", np.int16, 0),
        created_at=col("created_at", np.int32, 0),
        sentiment=col("sentiment"),
        vocab=vocab,
        indptr=indptr,
        indices=rows_a[order],
        data=w[order],
        df=df,
        row_of={rid: i for i, rid in enumerate(ids)},
    )
