"""Start-up: the first web answer after "ready", and `insight ask` from a cold process.

    python benchmarks/bench_startup.py [--scale 1.0] [--data-dir WS] [--runs 3]

Targets (issue 16): the first answer after the app says ready within 1.5 s, and
`insight ask` from a cold process within 3 s on an idle machine. Both are printed
as measured, with the load average at the time: on a shared machine they are not
the idle figures. Ratios compare runs made here, in this run:
  - cold `insight ask` with the workspace's embedding cache filled vs emptied
  - first answer after ready vs the same question asked warm again
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.bench_agent import build_workspace  # noqa: E402

ASKED = "Which products get the most complaints about battery?"
NOVEL = "How many orders did we get in the last 30 days?"
FIRST = "What do buyers say about delivery for the Headphones category?"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def cold_ask(data_dir: Path, question: str) -> float:
    """Wall time of one `insight ask` in a fresh interpreter, start to exit."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", question, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE.parent,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"insight ask failed: {proc.stderr[-800:]}")
    return seconds


def first_answer_after_ready(data_dir: Path) -> dict:
    from assistant.agent import Assistant
    from assistant.config import load_settings
    from assistant.webapp import handlers
    from assistant.webapp.readiness import warm_up

    t0 = time.perf_counter()
    bot = Assistant.open(settings=load_settings(data_dir=data_dir))
    try:
        ready = warm_up(bot)
        ready_s = time.perf_counter() - t0

        def turn() -> float:
            started = time.perf_counter()
            *_, last = handlers.chat_turn(bot, FIRST, [], None, role="marketer")
            if not last[2].startswith("Answered by"):
                raise SystemExit(f"no answer after ready: {last[2]}")
            return time.perf_counter() - started

        first = turn()
        again = [turn() for _ in range(3)]
    finally:
        bot.close()
    return {"ready_s": ready_s, "warm_up_s": ready.seconds, "first_s": first, "again_s": again}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data-dir", type=Path, default=None, help="use this workspace as is")
    ap.add_argument("--runs", type=int, default=3, help="cold runs per condition")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "ws"
            build_workspace(data_dir, args.scale)
        cache = data_dir / "cache" / "embeddings.sqlite"

        print(f"at start: {load()}")
        emptied, filled, novel = [], [], []
        for _ in range(args.runs):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{cache}{suffix}").unlink(missing_ok=True)
            emptied.append(cold_ask(data_dir, ASKED))
            filled.append(cold_ask(data_dir, ASKED))
            novel.append(cold_ask(data_dir, NOVEL + f" ({len(novel)})"))
        web = first_answer_after_ready(data_dir)
        print(f"at end: {load()}")

    med = statistics.median
    again = med(web["again_s"])
    report = {
        "cold_ask_cache_emptied_s": [round(x, 2) for x in emptied],
        "cold_ask_cache_filled_s": [round(x, 2) for x in filled],
        "cold_ask_new_question_s": [round(x, 2) for x in novel],
        "ready_s": round(web["ready_s"], 2),
        "first_answer_after_ready_s": round(web["first_s"], 3),
        "warm_answer_s": [round(x, 3) for x in web["again_s"]],
    }
    print("ratios (this run, this machine):")
    print(
        f"  ratio cold ask, cache filled / emptied      {med(filled) / med(emptied):5.2f}x "
        f"(n={args.runs} each)"
    )
    print(f"  ratio cold ask, new question / emptied      {med(novel) / med(emptied):5.2f}x")
    print(f"  ratio first answer after ready / warm p50   {web['first_s'] / again:5.2f}x (n=3)")
    print("absolute, machine-dependent (targets are for an idle machine):")
    print(f"  cold insight ask, cache emptied   median {med(emptied):6.2f} s")
    print(f"  cold insight ask, cache filled    median {med(filled):6.2f} s   target <= 3 s")
    print(f"  cold insight ask, new question    median {med(novel):6.2f} s   target <= 3 s")
    print(f"  app open + warm-up until ready           {web['ready_s']:6.2f} s")
    print(f"  first answer after ready                 {web['first_s']:6.2f} s   target <= 1.5 s")
    print(f"  same question again, warm         median {again:6.2f} s")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
