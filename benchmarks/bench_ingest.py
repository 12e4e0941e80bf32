"""Ingest throughput vs DuckDB's raw read_csv of the same file.

Writes a canonical shop (customers, products, and N order rows, default 100,000)
as CSV, then times:

1. DuckDB reading the orders CSV into a table with read_csv (the floor: no validation);
2. our ingest of the orders file (staging, validation, FK checks, dedupe, upsert)
   into a workspace that already holds its customers;
3. re-ingesting the same file (everything unchanged);
4. the same orders as JSONL and Parquet.

Each round repeats all of it in fresh workspaces; the ratio to the raw read is
taken within a round (same machine load) and the median over rounds is shown.

Usage: python benchmarks/bench_ingest.py [--rows 100000] [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from assistant.data.ingest import ingest_paths  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402

STATUSES = ["completed"] * 8 + ["returned", "cancelled"]


def write_shop(folder: Path, rows: int, seed: int = 7) -> dict[str, Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    customers = max(rows // 10, 1)
    with open(folder / "customers.csv", "w") as fh:
        fh.write("customer_id,name,email,country,signup_at\n")
        for i in range(1, customers + 1):
            fh.write(f"C{i:07d},Customer {i},c{i}@example.com,DE,2024-01-01 00:00:00\n")
    start = datetime(2024, 1, 1)
    with open(folder / "orders.csv", "w") as fh:
        fh.write("order_id,customer_id,ordered_at,status,total\n")
        for i in range(1, rows + 1):
            at = start + timedelta(seconds=rng.randrange(0, 1000 * 86400))
            fh.write(
                f"O{i:08d},C{rng.randrange(1, customers + 1):07d},{at:%Y-%m-%d %H:%M:%S},"
                f"{rng.choice(STATUSES)},{rng.uniform(1, 500):.2f}\n"
            )
    con = duckdb.connect()
    for fmt, ext in (("JSON", "jsonl"), ("PARQUET", "parquet")):
        sub = folder / ext
        sub.mkdir(exist_ok=True)
        con.execute(
            f"COPY (SELECT * FROM read_csv($src)) TO $dst (FORMAT {fmt})",  # noqa: S608 -- format is a constant of this loop; paths are parameters
            {"src": str(folder / "orders.csv"), "dst": str(sub / ("orders." + ext))},
        )
    con.close()
    return {
        "customers": folder / "customers.csv",
        "orders": folder / "orders.csv",
        "jsonl": folder / "jsonl" / "orders.jsonl",
        "parquet": folder / "parquet" / "orders.parquet",
    }


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _one_round(base: Path, files: dict[str, Path], n: int, round_no: int) -> dict[str, tuple]:
    """Raw read_csv and each ingest once, in fresh workspaces; label -> (seconds, counts)."""
    out: dict[str, tuple] = {}
    con = duckdb.connect(str(base / f"raw-{round_no}.duckdb"))
    out["raw"] = (
        timed(
            lambda: con.execute(
                "CREATE OR REPLACE TABLE orders AS SELECT * FROM read_csv($src)",
                {"src": str(files["orders"])},
            )
        )[0],
        None,
    )
    con.close()
    for label, path in (
        ("CSV", files["orders"]),
        ("CSV again", files["orders"]),
        ("JSONL", files["jsonl"]),
        ("Parquet", files["parquet"]),
    ):
        fresh = label != "CSV again"
        ws_dir = base / f"ws-{round_no}-{label.replace(' ', '-')}"
        if fresh:
            with Workspace.open(ws_dir, create=True) as ws:
                ingest_paths(ws, [files["customers"]], progress=False)
        else:
            ws_dir = base / f"ws-{round_no}-CSV"
        with Workspace.open(ws_dir) as ws:
            secs, report = timed(lambda p=path, w=ws: ingest_paths(w, [p], progress=False))
            c = report.tables["orders"]
            assert c.loaded == n, (label, c.to_dict())
            assert report.quarantined == 0, report.quarantine_path
            out[label] = (secs, c)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Repeat everything this often; ratios are taken per round and the median shown.",
    )
    parser.add_argument("--keep", type=Path, default=None, help="Write files here and keep them.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        files = write_shop(base / "src", args.rows)
        n = args.rows
        rounds = [_one_round(base, files, n, i) for i in range(args.rounds)]

    raw = statistics.median(r["raw"][0] for r in rounds)
    print(f"orders rows: {n:,}; rounds: {len(rounds)} (medians; ratios per round, then median)")
    print(f"DuckDB raw read_csv into a table: {raw:6.2f} s  {n / raw:>12,.0f} rows/s")
    for label in ("CSV", "CSV again", "JSONL", "Parquet"):
        secs = statistics.median(r[label][0] for r in rounds)
        ratios = [r[label][0] / r["raw"][0] for r in rounds]
        c = rounds[-1][label][1]
        print(
            f"ingest {label:<10}: {secs:6.2f} s  {n / secs:>12,.0f} rows/s  "
            f"ratio to raw read_csv {statistics.median(ratios):5.1f}x "
            f"(range {min(ratios):.1f}-{max(ratios):.1f})  "
            f"(new {c.inserted:,}, unchanged {c.unchanged:,})"
        )


if __name__ == "__main__":
    main()
