"""Every benchmark in one command, each in its own process, then one summary.

    python -m benchmarks [--scale demo|100k] [--quick] [--only ingest,agent] [--timeout S]

Scales:
  demo  the demo shop (~4.8k reviews) and 100k order lines
  100k  100k reviews and 1M order lines (indexing alone takes minutes on 2 cores)
--quick shrinks every size (a smoke run for CI or a first look).

The summary prints the ratios first (our code vs its floor, measured on the same
machine in the same run: comparable across machines), then the absolute figures,
which depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# benchmark -> scale -> arguments (the quick variant of each scale is listed separately)
PLANS: dict[str, dict[str, list[str]]] = {
    "ingest": {
        "demo": ["--rows", "100000"],
        "demo-quick": ["--rows", "20000"],
        "100k": ["--rows", "1000000"],
        "100k-quick": ["--rows", "200000"],
    },
    "index": {
        "demo": ["--scale", "1.0", "--queries", "36"],
        "demo-quick": ["--scale", "0.2", "--queries", "12", "--raw-sample", "500"],
        "100k": ["--scale", "22", "--queries", "36"],
        "100k-quick": ["--scale", "4.4", "--queries", "24"],
    },
    "sentiment": {
        "demo": ["--scale", "1.0"],
        "demo-quick": ["--scale", "0.25"],
        "100k": ["--scale", "22"],
        "100k-quick": ["--scale", "4.4"],
    },
    "recommend": {
        "demo": ["--customers", "4000", "--purchases", "33000", "--products", "300"],
        "demo-quick": [
            "--customers",
            "1000",
            "--purchases",
            "8000",
            "--products",
            "100",
            "--serve",
            "50",
            "--batch",
            "500",
            "--no-content",
        ],
        "100k": [],  # its defaults: 30k customers, 260k purchases, 3k products
        "100k-quick": ["--customers", "10000", "--purchases", "80000", "--products", "1000"],
    },
    "agent": {
        "demo": ["--scale", "1.0", "--repeat", "3"],
        "demo-quick": ["--scale", "0.1", "--repeat", "1", "--samples", "20"],
        "100k": ["--scale", "22", "--repeat", "2"],
        "100k-quick": ["--scale", "4.4", "--repeat", "1"],
    },
    "startup": {
        "demo": ["--scale", "1.0", "--runs", "3"],
        "demo-quick": ["--scale", "0.1", "--runs", "1"],
        "100k": ["--scale", "22", "--runs", "3"],
        "100k-quick": ["--scale", "4.4", "--runs", "1"],
    },
    "login": {
        "demo": ["--scale", "1.0"],
        "demo-quick": ["--scale", "0.1", "--seconds", "6", "--modes", "before,shipped"],
        "100k": ["--scale", "22"],
        "100k-quick": ["--scale", "4.4", "--seconds", "8"],
    },
    "mcp": {
        "demo": ["--scale", "1.0", "--repeat", "30"],
        "demo-quick": ["--scale", "0.1", "--repeat", "10"],
        "100k": ["--scale", "22", "--repeat", "30"],
        "100k-quick": ["--scale", "4.4", "--repeat", "10"],
    },
    "analyze": {
        "demo": [],
        "demo-quick": ["--rounds", "3"],
        "100k": ["--lines", "1000000"],
        "100k-quick": ["--lines", "200000", "--rounds", "3"],
    },
    # Real public text, fixed size: the scale does not apply.
    "injection": {"demo": [], "demo-quick": [], "100k": [], "100k-quick": []},
    "sentiment_real": {
        "demo": [],
        "demo-quick": ["--max-per-split", "300"],
        "100k": [],
        "100k-quick": ["--max-per-split", "300"],
    },
}
# A line carrying a ratio or a comparison: "ratio ...", "1.3x", "ours ... VADER ...".
RATIO = re.compile(r"ratio|\b\d+(?:\.\d+)?x\b|\bvs\b|VADER", re.IGNORECASE)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def ratio_lines(output: str) -> list[str]:
    """Lines with a ratio, and the rows of a table whose header names a ratio column."""
    lines = output.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if RATIO.search(line):
            out.append(line.strip())
            j = i + 1
            while j < len(lines) and lines[j].strip() and _indent(lines[j]) > _indent(line):
                out.append("  " + lines[j].strip())
                j += 1
            i = j
        else:
            i += 1
    return out


@dataclass
class Outcome:
    name: str
    args: list[str]
    code: int | None
    seconds: float
    output: str


def run_one(name: str, args: list[str], timeout: float) -> Outcome:
    script = HERE / f"bench_{name}.py"
    env = dict(os.environ, HF_HUB_OFFLINE="1", OPENBLAS_NUM_THREADS="1")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p
    )
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=HERE.parent,
        )
        code, output = proc.returncode, proc.stdout
        if proc.returncode:
            output += "\n" + "\n".join(proc.stderr.strip().splitlines()[-15:])
    except subprocess.TimeoutExpired as exc:
        code = None
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        output += f"\n(stopped after {timeout:.0f} s)"
    return Outcome(name, args, code, time.perf_counter() - started, output)


def summary(outcomes: list[Outcome], scale: str) -> str:
    lines = [f"# Benchmarks — scale {scale}", "", "## Ratios (same machine, same run)"]
    for o in outcomes:
        ratios = ratio_lines(o.output)
        lines.append(f"[{o.name}]")
        lines.extend(f"  {ln}" for ln in ratios or ["(no ratio reported)"])
    lines += ["", "## Absolute figures (machine-dependent)"]
    for o in outcomes:
        status = "ok" if o.code == 0 else ("timed out" if o.code is None else f"exit {o.code}")
        lines.append(
            f"[{o.name}] {status}, {o.seconds:.0f} s wall; bench_{o.name}.py {' '.join(o.args)}"
        )
        lines.extend(f"  {ln}" for ln in o.output.strip().splitlines())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["demo", "100k"], default="demo")
    ap.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    ap.add_argument("--only", default="", help="comma-separated subset: " + ",".join(PLANS))
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    ap.add_argument("--out", type=Path, default=None, help="also write the summary here")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(PLANS)
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(PLANS)}")
    key = args.scale + ("-quick" if args.quick else "")
    outcomes = []
    for name in names:
        if not (HERE / f"bench_{name}.py").exists():
            print(f"[{name}] skipped: benchmarks/bench_{name}.py is missing", file=sys.stderr)
            continue
        print(f"[{name}] running ({key}) ...", file=sys.stderr, flush=True)
        outcome = run_one(name, PLANS[name][key], args.timeout)
        print(f"[{name}] done in {outcome.seconds:.0f} s", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    text = summary(outcomes, key)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
