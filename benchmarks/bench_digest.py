"""Digest benchmark: are the demo shop's planted defects reported, and how much else is?

For each seed, a demo shop is built (``build_demo(..., seed=s)`` and the sentiment and
aspect labels; no index) and the digest runs once per calendar month against the month
before. The manifest lists the planted defects (product, aspect, start day).

- recall: planted defects reported with the right product, aspect and start month (the
  item's ``since``) in some month's digest: a complaint spike, or a return wave or
  rating drop whose buyers complain most about that aspect;
- precision: of the product items naming an aspect, the share that describe a planted
  defect (right product and aspect, start month the defect's);
- other items per month: items not about a defect product or its category, per digest;
- seconds per digest.

    .venv/bin/python -m benchmarks.bench_digest [--seeds 7,11,23,42,99] [--workdir DIR]

Measured 2026-11-29 (32 monthly digests per seed, 2024-03..2026-10; rules as shipped,
tuned on seeds 7 and 11 only):
  seeds 7, 11 (tuning):            recall 5/6, product items right 6/14
  seeds 23, 42, 99, 101, 202:      recall 8/15 (53%), product items right 13/34 (38%)
  all 7 seeds: 0.29 items per monthly digest not about a defect product or its category,
  0.4 to 1.6 s per digest on 2 busy cores.
Misses are mostly the right product in the right month under another aspect (defect
reviews also complain about price or service), or a return wave dated from the order
day a few days before the month turns.

Workspaces are kept in --workdir (default: a temporary directory) and reused when
their manifest's seed matches, so a second run only re-runs the digests.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def months(first: str, last: str) -> list[tuple[date, date]]:
    out = []
    d = date.fromisoformat(first + "-01")
    stop = date.fromisoformat(last + "-01")
    while d <= stop:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        out.append((d, nxt - timedelta(days=1)))
        d = nxt
    return out


def shop(workdir: Path, seed: int) -> Path:
    from assistant.demo.build import MANIFEST
    from assistant.pipeline import build_demo, label_sentiment
    from assistant.workspace import Workspace

    path = workdir / f"seed{seed}"
    manifest = path / MANIFEST
    if manifest.exists() and json.loads(manifest.read_text())["seed"] == seed:
        if (path / ".labelled").exists():
            return path
    build_demo(path, seed=seed)
    with Workspace.open(path) as ws:
        label_sentiment(ws, report=lambda _m: None)
    (path / ".labelled").write_text("yes")
    return path


def score(items_by_month: dict[str, list[dict]], defects: list[dict], categories: dict) -> dict:
    """Recall, precision and the other items of one shop's monthly digests."""
    found = set()
    spikes = hits = others = 0
    defect_products = {d["product_id"] for d in defects}
    defect_categories = {categories[p] for p in defect_products}
    for items in items_by_month.values():
        for it in items:
            where = it["where"]
            if where["level"] == "product" and it["aspect"]:
                spikes += 1
                match = [
                    d
                    for d in defects
                    if d["product_id"] == where["id"]
                    and d["aspect"] == it["aspect"]
                    and (it["since"] or "")[:7] == d["since"][:7]
                ]
                if match:
                    hits += 1
                    found.add(match[0]["product_id"])
            about_defect = (where["level"] == "product" and where["id"] in defect_products) or (
                where["level"] == "category" and where["id"] in defect_categories
            )
            if not about_defect:
                others += 1
    return {
        "defects": len(defects),
        "recalled": len(found),
        "spike_items": spikes,
        "spike_items_right": hits,
        "other_items": others,
        "months": len(items_by_month),
    }


def run_seed(path: Path, periods: list[tuple[date, date]]) -> tuple[dict, float, dict]:
    from assistant.demo.build import MANIFEST
    from assistant.workspace import Workspace
    from tools.digest import digest

    manifest = json.loads((path / MANIFEST).read_text())
    out: dict[str, list[dict]] = {}
    elapsed = 0.0
    with Workspace.open(path, read_only=True) as ws:
        ctx = ws.tool_context("admin")
        categories = dict(
            ctx.cursor().execute("SELECT product_id, category FROM products").fetchall()
        )
        for start, end in periods:
            t0 = time.perf_counter()
            result = digest(ctx, since=start.isoformat(), until=end.isoformat())
            elapsed += time.perf_counter() - t0
            out[start.isoformat()[:7]] = result["items"]
    return score(out, manifest["defects"], categories), elapsed / max(1, len(periods)), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,11,23,42,99")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--first", default="2024-03", help="first month digested (YYYY-MM)")
    parser.add_argument("--last", default="2026-10", help="last month digested (YYYY-MM)")
    parser.add_argument("--show", action="store_true", help="print every item reported")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_digest_"))
    workdir.mkdir(parents=True, exist_ok=True)
    periods = months(args.first, args.last)
    total = {"defects": 0, "recalled": 0, "spike_items": 0, "spike_items_right": 0}
    others, n_months, seconds = 0, 0, []
    print(f"digest benchmark: {len(seeds)} seeds x {len(periods)} monthly digests")
    for seed in seeds:
        path = shop(workdir, seed)
        s, per_digest, items = run_seed(path, periods)
        for key in total:
            total[key] += s[key]
        others += s["other_items"]
        n_months += s["months"]
        seconds.append(per_digest)
        print(
            f"seed {seed:>4}: recall {s['recalled']}/{s['defects']}, product items "
            f"{s['spike_items_right']}/{s['spike_items']} right, "
            f"{s['other_items'] / s['months']:.2f} other items per month, "
            f"{per_digest:.2f} s per digest"
        )
        if args.show:
            for month, month_items in items.items():
                for it in month_items:
                    print(f"    {month} [{it['kind']}] {it['title']} since {it['since']}")
    recall = total["recalled"] / total["defects"] if total["defects"] else 0.0
    precision = total["spike_items_right"] / total["spike_items"] if total["spike_items"] else 1.0
    print(
        f"all seeds: recall {recall:.1%} ({total['recalled']}/{total['defects']} planted defects), "
        f"precision {precision:.1%} ({total['spike_items_right']}/{total['spike_items']} "
        f"product items with an aspect), {others / max(1, n_months):.2f} other items per "
        f"monthly digest ({n_months} digests), "
        f"{sum(seconds) / len(seconds):.2f} s per digest"
    )


if __name__ == "__main__":
    main()
