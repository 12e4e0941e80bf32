"""The agent with the local planner: `ask` latency per tool, tool latency, peak memory.

Opens the app's Assistant on a demo workspace (built here at --scale, or an
existing one with --data-dir), then:

1. asks a fixed set of questions (two per tool) --repeat times and reports the
   `ask` latency p50/p95 grouped by the tool the planner called, next to that tool's
   own time inside the turn (the ratio is the planner + agent overhead);
2. calls customer_profile and product_insights directly for a sample of customers
   and products (the profile/insight panels of the app do this);
3. reports the peak RSS of this process, which holds the whole app: store, embedder,
   review index, recommender and the agents of every role.

Usage: python benchmarks/bench_agent.py [--scale 1.0] [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Two questions per tool, answerable on any demo scale (ids exist at scale >= 0.1).
QUESTIONS = [
    "What do buyers complain about for the Aurora headphones since March?",
    "Show me negative reviews about delivery",
    "How are the Aurora headphones doing with customers?",
    "Give me the sentiment breakdown for the Kitchen category",
    "Give me the buyer context for customer C00042",
    "who is C00001",
    "Which loyal customers who bought running shoes have gone quiet?",
    "list customers at risk of churning",
    "Give me an overview of our customer segments",
    "How many customers are in each RFM segment?",
    "What should we recommend to C00042?",
    "suggest 3 kitchen products for C00001",
    "What products are similar to P0016?",
    "show me 3 items like the Aurora headphones",
    "What is bought together with P0016?",
    "what do people also buy with the Aurora headphones?",
    "What was our revenue last quarter?",
    "How did the average rating of the Kitchen category move month by month?",
    "Do we sell electric kettles?",
    "what's the product id of the aurora power bank",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _build(path: Path, scale: float) -> None:
    from assistant.pipeline import build_demo, prepare
    from assistant.workspace import Workspace

    build_demo(path, seed=7, scale=scale)
    with Workspace.open(path) as ws:
        prepare(ws, progress=False, report=lambda _m: None)


def build_workspace(path: Path, scale: float) -> float:
    """Build in a child process, so the peak memory measured here is the app's alone."""
    import multiprocessing

    t0 = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_build, args=(path, scale))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the demo workspace failed (exit {child.exitcode})")
    return time.perf_counter() - t0


def ask_latencies(assistant, repeat: int) -> dict[str, dict[str, list[float]]]:
    """tool name -> {"ask": [ms], "tool": [ms]} over every question and repeat."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"ask": [], "tool": []})
    for _ in range(repeat):
        for question in QUESTIONS:
            t0 = time.perf_counter()
            answer = assistant.ask(question, role="marketer")
            ask_ms = (time.perf_counter() - t0) * 1000
            name = answer.tool_calls[-1].name if answer.tool_calls else "(no tool)"
            out[name]["ask"].append(ask_ms)
            out[name]["tool"].append(sum(c.duration_ms or 0 for c in answer.tool_calls))
            assistant.delete_thread(answer.thread_id)
    return out


def direct_tool_latencies(assistant, n: int) -> dict[str, list[float]]:
    from tools.customers import customer_profile
    from tools.insights import product_insights

    ctx = assistant.tool_context("support")
    cur = assistant.workspace.cursor()
    customers = [
        r[0]
        for r in cur.execute(
            "SELECT customer_id FROM customers ORDER BY hash(customer_id) LIMIT ?", [n]
        ).fetchall()
    ]
    products = [
        r[0]
        for r in cur.execute(
            "SELECT product_id FROM products ORDER BY hash(product_id) LIMIT ?", [n]
        ).fetchall()
    ]
    categories = [r[0] for r in cur.execute("SELECT DISTINCT category FROM products").fetchall()]
    timings: dict[str, list[float]] = defaultdict(list)
    for label, calls in (
        ("customer_profile", [lambda c=c: customer_profile(ctx, c) for c in customers]),
        ("product_insights (product)", [lambda p=p: product_insights(ctx, p) for p in products]),
        (
            "product_insights (category)",
            [lambda c=c: product_insights(ctx, category=c) for c in categories],
        ),
    ):
        calls[0]()  # first call loads caches; measure steady state
        for call in calls:
            t0 = time.perf_counter()
            call()
            timings[label].append((time.perf_counter() - t0) * 1000)
    return timings


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale when building")
    ap.add_argument("--data-dir", type=Path, default=None, help="use this workspace as is")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the question set")
    ap.add_argument("--samples", type=int, default=50, help="customers/products for tool timing")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        build_s = None
        if data_dir is None:
            data_dir = Path(tmp) / "ws"
            build_s = build_workspace(data_dir, args.scale)

        from assistant.agent import Assistant
        from assistant.config import load_settings

        t0 = time.perf_counter()
        assistant = Assistant.open(settings=load_settings(data_dir=data_dir, today="2026-11-01"))
        assistant.warm_up()
        warm_s = time.perf_counter() - t0
        try:
            asks = ask_latencies(assistant, args.repeat)
            direct = direct_tool_latencies(assistant, args.samples)
            reviews = assistant.workspace.cursor().execute("SELECT count(*) FROM reviews")
            n_reviews = reviews.fetchone()[0]
        finally:
            assistant.close()

    report = {
        "reviews": n_reviews,
        "questions": len(QUESTIONS) * args.repeat,
        "build_workspace_s": round(build_s, 1) if build_s else None,
        "open_and_warm_up_s": round(warm_s, 2),
        "ask_ms": {
            name: {
                "n": len(v["ask"]),
                "p50": round(pct(v["ask"], 0.5), 1),
                "p95": round(pct(v["ask"], 0.95), 1),
                "tool_p50": round(pct(v["tool"], 0.5), 1),
            }
            for name, v in sorted(asks.items())
        },
        "tool_ms": {
            name: {"n": len(v), "p50": round(pct(v, 0.5), 1), "p95": round(pct(v, 0.95), 1)}
            for name, v in direct.items()
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    all_ask = [x for v in asks.values() for x in v["ask"]]
    all_tool = [x for v in asks.values() for x in v["tool"]]
    print(f"agent on the demo shop ({n_reviews:,} reviews), local planner")
    print(
        "ratio ask p50 / its tools' p50 (planner + agent overhead): "
        f"{statistics.median(all_ask) / max(statistics.median(all_tool), 1e-3):.1f}x"
    )
    for name, row in report["ask_ms"].items():
        ratio = row["p50"] / row["tool_p50"] if row["tool_p50"] else float("nan")
        print(
            f"  ratio ask/tool {name:<24} {ratio:5.1f}x   "
            f"(machine-dependent: ask p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, "
            f"tool p50 {row['tool_p50']:.0f} ms, n={row['n']})"
        )
    print("absolute, machine-dependent:")
    for name, row in report["tool_ms"].items():
        print(f"  {name:<28} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  n={row['n']}")
    print(
        f"  ask over all questions      p50 {pct(all_ask, 0.5):7.1f} ms  "
        f"p95 {pct(all_ask, 0.95):7.1f} ms"
    )
    print(f"  open + warm up the app      {warm_s:.1f} s")
    print(f"  peak RSS of the app process {report['peak_rss_mb']:.0f} MB")
    print(json.dumps(report, default=str))
    return report


if __name__ == "__main__":
    main()
