"""Recommender benchmark: training time at shop scale, serving latency, batch throughput.

Builds a synthetic shop (default 30k customers, 250k purchased items, 3k products,
plus views and carts) in a temporary workspace store, then measures on this machine:
training (`train_models`, content embeddings included), single-customer latency of
`recommend_for_customer` (p50/p95 over warm models) and batch scoring throughput.

    .venv/bin/python -m benchmarks.bench_recommend [--customers 30000] [--purchases 250000]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

CATEGORIES = [
    "Headphones", "Running Shoes", "Kitchen", "Books", "Toys", "Garden", "Beauty",
    "Office", "Cameras", "Outdoor", "Pet Supplies", "Home Decor",
]  # fmt: skip


def synthetic_shop(
    conn: duckdb.DuckDBPyConnection,
    *,
    customers: int,
    purchases: int,
    products: int,
    seed: int = 1,
    start: str = "2024-01-01",
    days: int = 1000,
) -> dict:
    """Fill an empty store with a shop whose buyers have category tastes and skewed popularity."""
    rng = np.random.default_rng(seed)
    cat_of = rng.integers(0, len(CATEGORIES), products)
    pids = np.array([f"P{i:05d}" for i in range(products)])
    price = np.round(rng.lognormal(3.3, 0.7, products), 2)
    conn.execute("BEGIN")
    prod = pd.DataFrame(
        {
            "product_id": pids,
            "title": [f"{CATEGORIES[c]} item {i}" for i, c in enumerate(cat_of)],
            "brand": [f"Brand{i % 40}" for i in range(products)],
            "category": [CATEGORIES[c] for c in cat_of],
            "price": price,
            "currency": "EUR",
            "description": [
                f"A {CATEGORIES[c].lower()} product, model {i}." for i, c in enumerate(cat_of)
            ],
            "created_at": pd.Timestamp(start),
        }
    )
    cids = np.array([f"C{i:06d}" for i in range(customers)])
    cust = pd.DataFrame(
        {
            "customer_id": cids,
            "name": None, "email": None, "phone": None,
            "country": rng.choice(["DE", "FR", "NL", "UK"], customers),
            "city": None,
            "signup_at": pd.Timestamp(start),
            "channel": "web",
        }
    )  # fmt: skip
    # Taste: two favourite categories per customer; popularity: Zipf within a category.
    fav = rng.integers(0, len(CATEGORIES), (customers, 2))
    by_cat = [np.flatnonzero(cat_of == c) for c in range(len(CATEGORIES))]
    pop = [1.0 / np.arange(1, len(ix) + 1) ** 1.1 for ix in by_cat]
    pop = [p / p.sum() for p in pop]

    def pick(cust_rows: np.ndarray) -> np.ndarray:
        cats = np.where(rng.random(len(cust_rows)) < 0.8, fav[cust_rows, 0], fav[cust_rows, 1])
        out = np.empty(len(cust_rows), dtype=int)
        for c in range(len(CATEGORIES)):
            m = cats == c
            if m.any() and len(by_cat[c]):
                out[m] = rng.choice(by_cat[c], m.sum(), p=pop[c])
        return out

    activity = rng.pareto(1.5, customers) + 1
    buyer = rng.choice(customers, purchases, p=activity / activity.sum())
    item = pick(buyer)
    day = rng.integers(0, days, purchases)
    order_key = buyer.astype(np.int64) * days + day  # one order per customer per day
    uniq, order_idx = np.unique(order_key, return_inverse=True)
    oids = np.array([f"O{i:07d}" for i in range(len(uniq))])
    at0 = pd.Timestamp(start)
    orders = pd.DataFrame(
        {
            "order_id": oids,
            "customer_id": cids[uniq // days],
            "ordered_at": at0 + pd.to_timedelta(uniq % days, unit="D"),
            "status": rng.choice(
                ["completed", "returned", "cancelled"], len(uniq), p=[0.9, 0.06, 0.04]
            ),
            "total": 0.0,
        }
    )
    items = pd.DataFrame(
        {
            "order_id": oids[order_idx],
            "product_id": pids[item],
            "quantity": 1,
            "unit_price": price[item],
        }
    ).drop_duplicates(["order_id", "product_id"])
    n_events = purchases
    ev_cust = rng.choice(customers, n_events, p=activity / activity.sum())
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:08d}" for i in range(n_events)],
            "customer_id": cids[ev_cust],
            "product_id": pids[pick(ev_cust)],
            "event_type": rng.choice(["view", "cart", "wishlist"], n_events, p=[0.8, 0.15, 0.05]),
            "at": at0 + pd.to_timedelta(rng.integers(0, days * 86400, n_events), unit="s"),
            "query": None,
        }
    )
    for name, df in [("products", prod), ("customers", cust), ("orders", orders),
                     ("order_items", items), ("events", events)]:  # fmt: skip
        conn.register("frame", df)
        conn.execute(f"INSERT INTO {name} SELECT * FROM frame")  # noqa: S608 -- table names are this benchmark's constants
        conn.unregister("frame")
    conn.execute(
        "UPDATE orders SET total = t.s FROM (SELECT order_id, sum(quantity * unit_price) s "
        "FROM order_items GROUP BY order_id) t WHERE orders.order_id = t.order_id"
    )
    conn.execute("COMMIT")
    return {"customers": customers, "orders": len(orders), "order_items": len(items),
            "events": n_events, "products": products}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=30_000)
    ap.add_argument("--purchases", type=int, default=260_000)
    ap.add_argument("--products", type=int, default=3_000)
    ap.add_argument("--serve", type=int, default=200, help="customers for the latency probe")
    ap.add_argument("--batch", type=int, default=5_000, help="customers for the batch probe")
    ap.add_argument("--no-content", action="store_true", help="skip product text embeddings")
    args = ap.parse_args(argv)

    from assistant.data.schema import migrate
    from tools.context import ToolContext
    from tools.recommend import recommend_batch, recommend_for_customer, train_models

    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "store.duckdb"))
        migrate(conn)
        t0 = time.perf_counter()
        shop = synthetic_shop(
            conn, customers=args.customers, purchases=args.purchases, products=args.products
        )
        gen_s = time.perf_counter() - t0
        embedder = None
        if not args.no_content:
            from vectorstore.embeddings import load_embedder

            embedder = load_embedder("")
        models_dir = Path(tmp) / "models"
        t0 = time.perf_counter()
        summary = train_models(conn, embedder, models_dir)
        train_s = time.perf_counter() - t0
        # Second training: product embeddings come from the cache, as on a real retrain.
        t0 = time.perf_counter()
        train_models(conn, embedder, models_dir)
        retrain_s = time.perf_counter() - t0

        ctx = ToolContext(conn.cursor, role="marketer", models_dir=models_dir)
        ids = [r[0] for r in conn.execute("SELECT customer_id FROM customers").fetchall()]
        rng = np.random.default_rng(0)
        probe = rng.choice(ids, min(args.serve, len(ids)), replace=False).tolist()
        recommend_for_customer(ctx, probe[0], k=10)  # load models once
        lat = []
        for cid in probe:
            t0 = time.perf_counter()
            recommend_for_customer(ctx, cid, k=10)
            lat.append((time.perf_counter() - t0) * 1000)
        batch = rng.choice(ids, min(args.batch, len(ids)), replace=False).tolist()
        t0 = time.perf_counter()
        out = list(recommend_batch(ctx, batch, k=10))
        batch_s = time.perf_counter() - t0
        conn.close()

    lat.sort()
    report = {
        "shop": shop,
        "generate_s": round(gen_s, 1),
        "train_s": round(train_s, 2),
        "retrain_s": round(retrain_s, 2),
        "train_summary": summary,
        "serve_ms_p50": round(statistics.median(lat), 2),
        "serve_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 2),
        "batch_customers": len(out),
        "batch_per_s": round(len(out) / batch_s, 1),
    }
    per_customer_batch_ms = 1000 / report["batch_per_s"]
    report["batch_vs_single_ratio"] = round(report["serve_ms_p50"] / per_customer_batch_ms, 1)
    print(json.dumps(report, indent=2, default=str))
    print(
        f"batch scoring is {report['batch_vs_single_ratio']}x faster per customer than single calls "
        "(p50, reasons included in single calls)"
    )
    print(
        f"model fit on {shop['order_items']:,} purchased items / {shop['customers']:,} customers: "
        f"{summary['fit_s']} s; retrain with cached product embeddings: {report['retrain_s']} s "
        f"(ratio {report['retrain_s'] / 60:.2f} of a one-minute budget)"
    )
    return report


if __name__ == "__main__":
    main()
