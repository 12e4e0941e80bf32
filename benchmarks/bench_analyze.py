"""analyze vs DuckDB's bare time for the same SQL.

Builds a synthetic shop in a temporary store (default 33k order lines, the demo's size;
``--lines 1000000`` is the 100k scale: 1M order lines, 100k reviews), then for a mix of
analyst questions (rankings, bottom N with min_n, counts, change against the previous
period, group-bys, aspect shares, the verified filter, conversion, segments) times:

1. ``analyze(...)``: checking and resolving the request, compiling, running, shaping;
2. the same SQL statements analyze ran, executed bare on a DuckDB cursor and fetched.

The two alternate in each round (same machine load); the ratio is the median analyze
time over the median bare time, per question and over all calls. Goal: <= 1.5x, and an
analyze p95 under 0.5 s at the 100k scale.

Usage: python benchmarks/bench_analyze.py [--lines 33000] [--rounds 15] [--seed 1]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from assistant.data.schema import migrate  # noqa: E402
from tools import metric_layer as ml  # noqa: E402
from tools.analyze import analyze  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from tools.sentiment import ASPECTS_TABLE  # noqa: E402

CATEGORIES = [
    "Headphones", "Running Shoes", "Kitchen", "Books", "Toys", "Garden", "Beauty",
    "Office", "Cameras", "Outdoor", "Pet Supplies", "Home Decor",
]  # fmt: skip
COUNTRIES = ["DE", "FR", "GB", "US", "CN", "ES", "IT", "NL"]
CHANNELS = ["organic_search", "paid_search", "social", "email", "direct", "referral"]
ASPECTS = ["price", "quality", "delivery", "battery", "sound", "comfort", "size_fit"]

# Every size follows the number of order lines, in the demo shop's proportions.
SHOP_SQL = [
    """INSERT INTO products SELECT 'P' || lpad(i::VARCHAR, 5, '0'),
         'Item ' || i, 'Brand' || (i % 40), ($cats)[1 + i % 12],
         round(5 + (h(i, $seed, 0) % 20000) / 100.0, 2), 'EUR', NULL, TIMESTAMP '2023-06-01'
       FROM range($products) t(i)""",
    """INSERT INTO customers SELECT 'C' || lpad(i::VARCHAR, 7, '0'), 'Customer ' || i, NULL,
         NULL, ($countries)[1 + h(i, $seed, 1) % 8], 'City' || (h(i, $seed, 2) % 50),
         TIMESTAMP '2023-06-01', ($channels)[1 + h(i, $seed, 3) % 6]
       FROM range($customers) t(i)""",
    """INSERT INTO orders SELECT 'O' || lpad(i::VARCHAR, 8, '0'),
         'C' || lpad((h(i, $seed, 4) % $customers)::VARCHAR, 7, '0'),
         TIMESTAMP '2024-01-01' + to_seconds((h(i, $seed, 5) % (1035 * 86400))::BIGINT),
         CASE WHEN h(i, $seed, 6) % 10 < 8 THEN 'completed'
              WHEN h(i, $seed, 6) % 10 = 8 THEN 'returned' ELSE 'cancelled' END, NULL
       FROM range($orders) t(i)""",
    # Popularity is skewed: u^2 over the catalog puts most lines on few products.
    """INSERT INTO order_items
       SELECT DISTINCT ON (order_id, product_id) order_id, product_id, quantity, unit_price
       FROM (SELECT 'O' || lpad((i * $orders // $lines)::VARCHAR, 8, '0') AS order_id,
                    'P' || lpad(floor($products * pow((h(i, $seed, 7) % 10000) / 10000.0, 2))
                        ::INTEGER::VARCHAR, 5, '0') AS product_id,
                    1 + h(i, $seed, 8) % 3 AS quantity,
                    round(5 + (h(i, $seed, 9) % 20000) / 100.0, 2) AS unit_price
             FROM range($lines) t(i))""",
    """INSERT INTO reviews SELECT 'R' || lpad(i::VARCHAR, 8, '0'),
         'P' || lpad(floor($products * pow((h(i, $seed, 10) % 10000) / 10000.0, 2))
             ::INTEGER::VARCHAR, 5, '0'),
         'C' || lpad((h(i, $seed, 11) % $customers)::VARCHAR, 7, '0'),
         [1, 2, 3, 4, 4, 5, 5, 5][1 + h(i, $seed, 12) % 8], 'Title', 'Text of a review',
         TIMESTAMP '2024-01-05' + to_seconds((h(i, $seed, 13) % (1030 * 86400))::BIGINT),
         h(i, $seed, 14) % 100 < 93, 0, 'en'
       FROM range($reviews) t(i)""",
    """INSERT INTO review_sentiment SELECT review_id,
         CASE WHEN rating <= 2 THEN 'negative' WHEN rating = 3 THEN 'neutral' ELSE 'positive' END,
         rating / 5.0, 'h', 'bench' FROM reviews""",
    """INSERT INTO review_aspects SELECT
         'R' || lpad((h(i, $seed, 15) % $reviews)::VARCHAR, 8, '0'),
         ($aspects)[1 + h(i, $seed, 16) % 7], NULL,
         CASE WHEN h(i, $seed, 17) % 4 = 0 THEN 'negative' ELSE 'positive' END, 0.5, NULL, 'bench'
       FROM range($reviews * 2) t(i)""",
    """INSERT INTO events SELECT 'E' || lpad(i::VARCHAR, 9, '0'),
         'C' || lpad((h(i, $seed, 18) % $customers)::VARCHAR, 7, '0'),
         'P' || lpad(floor($products * pow((h(i, $seed, 19) % 10000) / 10000.0, 2))
             ::INTEGER::VARCHAR, 5, '0'),
         ['view', 'view', 'view', 'view', 'view', 'view', 'cart', 'search'][1 + h(i, $seed, 20) % 8],
         TIMESTAMP '2024-01-01' + to_seconds((h(i, $seed, 21) % (1035 * 86400))::BIGINT), NULL
       FROM range($events) t(i)""",
    """INSERT INTO tickets SELECT 'T' || lpad(i::VARCHAR, 7, '0'),
         'C' || lpad((h(i, $seed, 22) % $customers)::VARCHAR, 7, '0'), NULL,
         TIMESTAMP '2024-01-10' + to_seconds((h(i, $seed, 23) % (1020 * 86400))::BIGINT),
         ['open', 'closed', 'closed', 'closed', 'pending'][1 + h(i, $seed, 24) % 5],
         'Subject', 'Text'
       FROM range($tickets) t(i)""",
]

QUESTIONS: list[tuple[str, dict]] = [
    ("top 10 products by revenue, a year", dict(
        metric="revenue", by=["product"], since="2025-11-01", until="2026-10-31")),
    ("bottom 10 products by return rate", dict(
        metric="return_rate", by=["product"], order="asc", min_n=20)),
    ("reviews in a month (count)", dict(
        metric="review_count", since="2026-03-01", until="2026-03-31")),
    ("rating change by category vs last quarter", dict(
        metric="average_rating", by=["category"], since="2026-07-01", until="2026-09-30",
        compare="previous", sort="change", order="asc")),
    ("revenue by month", dict(metric="revenue", by=["month"])),
    ("revenue by category and month, a quarter", dict(
        metric="revenue", by=["category", "month"], since="2026-07-01", until="2026-09-30")),
    ("orders by channel", dict(metric="orders", by=["channel"])),
    ("customers by segment", dict(metric="customers", by=["segment"])),
    ("delivery complaint share, shop-wide", dict(
        metric="aspect_complaint_share", filters={"aspect": "delivery"})),
    ("complaint share by aspect", dict(metric="aspect_complaint_share", by=["aspect"])),
    ("verified rating by category", dict(
        metric="average_rating", by=["category"], filters={"verified": True})),
    ("conversion by channel", dict(metric="conversion_rate", by=["channel"])),
    ("Kitchen units by country vs year before", dict(
        metric="units", by=["country"], filters={"category": "Kitchen"},
        since="2026-01-01", until="2026-06-30", compare="year_before")),
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def build(conn: duckdb.DuckDBPyConnection, lines: int, seed: int) -> dict:
    migrate(conn)
    conn.execute(ASPECTS_TABLE)
    # A signed pseudo-random number per (row, seed, column): hash() is unsigned.
    conn.execute("CREATE TEMP MACRO h(a, b, c) AS (hash(a, b, c) % 1000000007)::BIGINT")
    sizes = {
        "lines": lines,
        "orders": max(1, lines * 10 // 21),
        "customers": max(10, lines // 8),
        "products": max(30, lines // 110),
        "reviews": max(10, lines // 10),
        "events": lines * 13 // 10,
        "tickets": max(5, lines // 55),
    }
    literals = {
        "$cats": "[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]",
        "$countries": "[" + ", ".join(f"'{c}'" for c in COUNTRIES) + "]",
        "$channels": "[" + ", ".join(f"'{c}'" for c in CHANNELS) + "]",
        "$aspects": "[" + ", ".join(f"'{a}'" for a in ASPECTS) + "]",
        "$seed": str(int(seed)),
        **{f"${k}": str(v) for k, v in sizes.items()},
    }
    for sql in SHOP_SQL:
        # Longest names first: $lines must not be cut by a shorter key.
        for key in sorted(literals, key=len, reverse=True):
            sql = sql.replace(key, literals[key])
        conn.execute(sql)
    return {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 -- constant names
        for t in ("order_items", "orders", "reviews", "review_aspects", "events", "customers")
    }


def captured_queries(ctx: ToolContext, args: dict) -> list[ml.Query]:
    """The statements one analyze call runs (the data span is cached after the first)."""
    seen: list[ml.Query] = []
    real = ml.run

    def recording(*a, **k):
        out = real(*a, **k)
        seen.extend(out.queries)
        return out

    ml.run = recording
    try:
        analyze(ctx, **args)
    finally:
        ml.run = real
    return seen


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=33_000, help="order lines (1000000 = 100k scale)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        t0 = time.perf_counter()
        counts = build(conn, args.lines, args.seed)
        print(f"shop built in {time.perf_counter() - t0:.1f} s: " + ", ".join(
            f"{k} {v:,}" for k, v in counts.items()))  # fmt: skip
        ctx = ToolContext(conn.cursor, role="marketer")
        bare_cur = conn.cursor()
        statements = {}
        for name, q in QUESTIONS:
            analyze(ctx, **q)  # warm: catalog, segments, data span, DuckDB caches
            statements[name] = captured_queries(ctx, q)
        # What analyze registers on its cursor, built once per store generation by both.
        bare_cur.register(ml.SEGMENTS_VIEW, ctx.cached("metric_layer:segments", lambda: None))
        for name in ml.layer().derived:
            bare_cur.register(name, ml.derived_table(ctx, ml.layer(), name))

        ours: dict[str, list[float]] = {n: [] for n, _ in QUESTIONS}
        bare: dict[str, list[float]] = {n: [] for n, _ in QUESTIONS}
        for _ in range(args.rounds):
            for name, q in QUESTIONS:
                t = time.perf_counter()
                analyze(ctx, **q)
                ours[name].append(time.perf_counter() - t)
                t = time.perf_counter()
                for s in statements[name]:
                    bare_cur.execute(s.sql, s.params).fetchall()
                bare[name].append(time.perf_counter() - t)
        conn.close()

    print(f"\nanalyze vs bare DuckDB, {args.rounds} rounds x {len(QUESTIONS)} questions")
    print(f"{'question':44} {'analyze ms':>11} {'p95':>7} {'bare ms':>8} {'ratio':>6}")
    ratios = []
    for name, _ in QUESTIONS:
        a, b = statistics.median(ours[name]), statistics.median(bare[name])
        ratios.append(a / b)
        print(
            f"  {name:42} {a * 1000:11.1f} {pct(ours[name], 0.95) * 1000:7.1f} "
            f"{b * 1000:8.1f} {a / b:5.2f}x"
        )
    every_ours = [t for v in ours.values() for t in v]
    every_bare = [t for v in bare.values() for t in v]
    overall = statistics.median(every_ours) / statistics.median(every_bare)
    summed = sum(every_ours) / sum(every_bare)
    p95 = pct(every_ours, 0.95)
    print(
        f"ratio analyze/bare: median of calls {overall:.2f}x, total time {summed:.2f}x, "
        f"worst question {max(ratios):.2f}x (goal <= 1.5x)"
    )
    print(
        f"analyze over all {len(every_ours)} calls: median {statistics.median(every_ours) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms (goal at 100k: < 500 ms); bare p95 "
        f"{pct(every_bare, 0.95) * 1000:.1f} ms"
    )
    return {"ratio_median": overall, "ratio_total": summed, "p95_s": p95}


if __name__ == "__main__":
    main()
