"""Review indexing and search against their floors, measured in one run.

Builds the demo shop at ``--scale`` (scale 1 is about 4,600 reviews; ~4.4 gives
20k, ~22 gives 100k) in a temporary workspace, then prints:

1. raw encoder throughput: bare sentence-transformers ``encode`` of a sample of the
   same review documents, same model and batch size (sentences/s);
2. our indexing throughput: a full ``sync_review_index`` (store read, redaction,
   hashing, encoding, Chroma writes) over every review, and the ratio to (1);
3. an incremental sync after adding 1% new reviews, as a share of the full build;
4. search latency p50/p95 of ``search_reviews`` with and without filters, against a
   bare Chroma query with a precomputed embedding plus one query encoding.

Targets: indexing >= 0.85x raw encoding; search <= 1.5x bare; 1% new <= 3% of a build.

    .venv/bin/python benchmarks/bench_index.py [--scale 4.4] [--queries 30] [--keep DIR]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.pipeline import build_demo  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from tools.indexing import read_store, review_document, sync_review_index  # noqa: E402
from tools.reviews import _where, search_reviews  # noqa: E402

QUERIES = [
    "battery dies after a few hours",
    "sound quality is muddy",
    "arrived late and the box was damaged",
    "too small, order a size up",
    "great value for the price",
    "stopped working after two weeks",
    "customer service never answered",
    "comfortable for long runs",
    "the lid leaks when pouring",
    "easy to set up and use",
    "cheap plastic, feels flimsy",
    "my dog loves it",
]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def timed_pair(first, second, n: int) -> tuple[list[float], list[float]]:
    a, b = [], []
    for i in range(n):
        for fn, out in ((first, a), (second, b)):
            t0 = time.perf_counter()
            fn(i)
            out.append(time.perf_counter() - t0)
    return a, b


def add_new_reviews(conn, share: float) -> int:
    """Copy ``share`` of the reviews as new reviews with new ids and changed text."""
    n = max(1, int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0] * share))
    conn.execute(
        f"""
        INSERT INTO reviews
        SELECT 'BENCH' || review_id, product_id, customer_id, rating, title,
               text || ' (update after a month of use)', created_at, verified,
               helpful_votes, language
        FROM reviews ORDER BY review_id LIMIT {n}
        """  # noqa: S608 -- only an integer row count is formatted
    )
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=4.4, help="demo scale (1 ~ 4,600 reviews)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--raw-sample", type=int, default=3000, help="texts for the raw encoder")
    ap.add_argument("--queries", type=int, default=36, help="timed searches per variant")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="keep the workspace in this directory")
    args = ap.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-index-"))
    t0 = time.perf_counter()
    build_demo(root, seed=args.seed, scale=args.scale)
    print(f"demo shop at scale {args.scale}: {time.perf_counter() - t0:.1f}s ({root})")

    with Workspace.open(root) as ws:
        embedder = ws.embedder
        embedder.cache_size = 0  # every text is really encoded: no help from a cache
        index = ws.review_index
        store = read_store(ws.conn)
        n = len(store)
        docs = [review_document(title, text) for _meta, title, text in store.values()]
        rng = np.random.default_rng(0)
        sample = [docs[i] for i in rng.choice(n, size=min(args.raw_sample, n), replace=False)]
        embedder.model.encode(sample[:64], batch_size=embedder.batch_size)  # warm-up

        t0 = time.perf_counter()
        embedder.model.encode(sample, batch_size=embedder.batch_size, normalize_embeddings=True)
        raw = len(sample) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        full = sync_review_index(ws.conn, index, rebuild=True, progress=False)
        build_s = time.perf_counter() - t0
        ours = n / build_s

        added = add_new_reviews(ws.conn, 0.01)
        t0 = time.perf_counter()
        inc = sync_review_index(ws.conn, index, progress=False)
        inc_s = time.perf_counter() - t0

        print(f"reviews: {n:,} (batch size {embedder.batch_size}, model {embedder.name})")
        print(f"raw encoder:        {raw:8.1f} sentences/s  ({len(sample)} sampled documents)")
        print(
            f"our indexing:       {ours:8.1f} reviews/s    ({build_s:.1f}s, {full['indexed']:,} indexed)"
        )
        print(f"  ratio:            {ours / raw:8.2f}  (target >= 0.85)")
        print(
            f"+1% new reviews:    {inc_s:8.2f}s for {inc['embedded']} embedded of {added} added = "
            f"{100 * inc_s / build_s:.2f}% of a full build (target <= 3%)"
        )

        ctx = ToolContext(ws.cursor, embedder_loader=lambda: embedder, index_loader=lambda: index)
        cur = ws.cursor()
        category, product = cur.execute(
            "SELECT p.category, r.product_id FROM reviews r JOIN products p USING (product_id) "
            "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        variants = {
            "no filter": {},
            "category+rating": {"category": category, "max_rating": 2},
            "product+dates": {"product_id": product, "since": "2025-01-01", "until": "2026-06-30"},
        }
        search_reviews(ctx, QUERIES[0], k=args.k)  # builds the BM25 corpus once
        q = args.queries
        print(
            f"search, k={args.k}, {q} queries each (ms)       p50     p95   bare p50  bare p95  ratio p50"
        )
        for name, filters in variants.items():
            where = _where(
                {
                    **filters,
                    **{
                        key: int(filters[key].replace("-", ""))
                        for key in ("since", "until")
                        if key in filters
                    },
                }
            )

            def ours(i, f=filters):
                search_reviews(ctx, QUERIES[i % len(QUERIES)], k=args.k, **f)

            def bare(i, where=where):
                # The same query encoding as ours (one thread; the cache is off).
                vec = embedder.encode_query(QUERIES[i % len(QUERIES)]).reshape(1, -1)
                index.collection.query(query_embeddings=vec, n_results=args.k, where=where)

            # Interleaved, so both see the same machine load.
            ours_t, bare_t = timed_pair(ours, bare, q)
            print(
                f"  {name:<40} {pct(ours_t, 50):7.1f} {pct(ours_t, 95):7.1f} "
                f"{pct(bare_t, 50):9.1f} {pct(bare_t, 95):9.1f} "
                f"{pct(ours_t, 50) / pct(bare_t, 50):9.2f}"
            )
        print("  (target: ratio <= 1.5)")


if __name__ == "__main__":
    main()
