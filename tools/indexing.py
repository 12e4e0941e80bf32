"""Keep the review index in step with the store, embedding each review once.

The index itself is the record of what was indexed: every entry carries a hash of
the review's title and text. A sync compares the store with that record, so it is
incremental and also recovers from a run that was killed half-way (whatever was
written is kept, whatever was not is still pending next time).
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb

from tools import bm25_store
from tools.safety import redact_pii
from vectorstore.index import ReviewIndex

# Reviews encoded and written per step: small enough that a killed run loses little,
# large enough that Chroma writes stay efficient.
CHUNK = 512
# The indexed document (embedded, searched by BM25, quoted) is a review's first this
# many characters: the embedding reads a few hundred tokens anyway, and a 50 MB
# review must not become a 50 MB index entry.
MAX_DOCUMENT_CHARS = 20_000

_STORE_SQL = """
SELECT r.review_id, r.product_id, coalesce(p.category, ''), coalesce(r.customer_id, ''),
       r.rating, CAST(strftime(r.created_at, '%Y%m%d') AS INTEGER),
       coalesce(r.title, ''), coalesce(r.text, ''), coalesce(s.label, '')
FROM reviews r
LEFT JOIN products p ON p.product_id = r.product_id
LEFT JOIN review_sentiment s ON s.review_id = r.review_id
"""


def content_hash(title: str, text: str) -> str:
    return hashlib.sha1(f"{title}\x1f{text}".encode()).hexdigest()


def review_document(title: str, text: str) -> str:
    """What is embedded and stored in the index: title and text (the first
    MAX_DOCUMENT_CHARS characters), PII redacted."""
    title, text = (title or "").strip(), (text or "").strip()
    joined = f"{title}. {text}" if title and text else (title or text)
    # A little beyond the cap, so a phone number or address cut at the edge is still
    # recognised whole and redacted before the final cut.
    return redact_pii(joined[: MAX_DOCUMENT_CHARS + 200])[:MAX_DOCUMENT_CHARS]


def read_store(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[dict, str, str]]:
    """review_id -> (metadata, title, text) for every review in the store."""
    out = {}
    for rid, pid, cat, cust, rating, day, title, text, label in conn.execute(_STORE_SQL).fetchall():
        meta = {
            "product_id": pid,
            "category": cat,
            "customer_id": cust,
            "rating": int(rating),
            "created_at": int(day),
            "sentiment": label,
            "content_hash": content_hash(title, text),
        }
        out[rid] = (meta, title, text)
    return out


def plan_sync(store: dict, indexed: dict[str, dict]) -> tuple[list, list, list]:
    """(to_embed, to_update_metadata, to_delete) review ids."""
    embed, update = [], []
    for rid, (meta, _title, _text) in store.items():
        have = indexed.get(rid)
        if have is None or have.get("content_hash") != meta["content_hash"]:
            embed.append(rid)
        elif any(have.get(k) != v for k, v in meta.items()):
            update.append(rid)
    delete = [rid for rid in indexed if rid not in store]
    return embed, update, delete


def sync_review_index(
    conn: duckdb.DuckDBPyConnection, index: ReviewIndex, *, rebuild: bool = False, progress=True
) -> dict:
    """Embed new or changed reviews, update changed metadata, drop deleted reviews."""
    started = time.perf_counter()
    rebuilt = bool(rebuild)
    if not rebuild and not index.model_matches():
        rebuilt = True  # vectors of another model cannot be mixed with ours
    if rebuilt:
        index.reset()
    store = read_store(conn)
    indexed = {} if rebuilt else index.metadata_by_id()
    to_embed, to_update, to_delete = plan_sync(store, indexed)

    if to_delete:
        index.delete(to_delete)
    if to_update:
        index.update_metadata(to_update, [store[rid][0] for rid in to_update])

    embed_seconds = 0.0
    if to_embed:
        t0 = time.perf_counter()
        _embed_and_write(index, store, to_embed, progress)
        embed_seconds = time.perf_counter() - t0
    if to_embed or to_update or to_delete or rebuilt:
        index.bump_generation()
    # The keyword corpus and vectors for this state, on disk, so the first search of
    # every later process reads them instead of every review (a no-op when current).
    bm25_store.refresh(index)
    return {
        "reviews": len(store),
        "embedded": len(to_embed),
        "metadata_updated": len(to_update),
        "deleted": len(to_delete),
        "unchanged": len(store) - len(to_embed) - len(to_update),
        "indexed": index.count(),
        "rebuilt": rebuilt,
        "seconds": round(time.perf_counter() - started, 2),
        "reviews_per_s": round(len(to_embed) / embed_seconds, 1) if embed_seconds else None,
    }


def _embed_and_write(index: ReviewIndex, store: dict, ids: list[str], progress) -> None:
    from tqdm import tqdm

    docs = {rid: review_document(store[rid][1], store[rid][2]) for rid in ids}
    # Longest first across the whole run, so every encoder batch holds similar lengths.
    ids = sorted(ids, key=lambda rid: -len(docs[rid]))
    bar = tqdm(
        total=len(ids),
        unit="reviews",
        desc="indexing",
        disable=not progress,
        smoothing=0.1,
        mininterval=0.5,
    )
    # Chroma writes one chunk while the encoder works on the next.
    pending: Future | None = None
    with ThreadPoolExecutor(max_workers=1) as writer:
        try:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                texts = [docs[rid] for rid in chunk]
                vectors = index.embedder.encode(texts)
                if pending is not None:
                    pending.result()
                pending = writer.submit(
                    index.upsert, chunk, vectors, texts, [store[rid][0] for rid in chunk]
                )
                bar.update(len(chunk))
            if pending is not None:
                pending.result()
        finally:
            bar.close()
