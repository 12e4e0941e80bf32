"""A cold `insight ask` imports only what answering needs (issue 16, item 8).

Timing is measured in benchmarks/bench_startup.py, never asserted here; what can be
asserted is what a fresh interpreter imported: no torch, sentence-transformers or
scikit-learn for a question whose vector is not cached (the numpy encoder reads it),
no pandas or scipy for a question whose tools do not use them, no chromadb when no
review is searched, nor for a filtered review search whose keyword corpus and vectors
the index sync saved on disk.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from conftest import ROOT

HEAVY = {
    "torch",
    "sentence_transformers",
    "transformers",
    "sklearn",
    "pandas",
    "scipy",
    "chromadb",
}

_CODE = """
import json, sys
from assistant.cli import main
sys.argv = ["insight", "ask", sys.argv[1], "--json", "--data-dir", sys.argv[2]]
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
print("LOADED " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _cold_ask(question: str, data_dir) -> tuple[dict, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OPENBLAS_NUM_THREADS", None)  # as a user's shell runs it
    done = subprocess.run(
        [sys.executable, "-c", _CODE, question, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    loaded = set(json.loads(lines[-1].removeprefix("LOADED ")))
    answer = json.loads("\n".join(lines[:-1]))
    return answer, loaded


def test_a_new_question_about_orders_loads_no_heavy_library(workspace_copy):
    # A question no earlier process asked (a period of a random length): its vector is
    # in no cache, so the encoder has to run.
    days = random.SystemRandom().randint(20, 300)
    question = f"How many orders did we get in the last {days} days?"
    answer, loaded = _cold_ask(question, workspace_copy)
    assert [c["name"] for c in answer["tool_calls"]] == ["sales_metrics"], answer
    assert answer["backend"] == "local"
    assert loaded & HEAVY == set()
    # The numpy encoder read the question, and its vector is now in the workspace cache.
    assert "tokenizers" in loaded


def test_a_new_review_search_reads_the_saved_corpus_without_chroma(workspace_copy):
    # The demo's index sync saved the keyword corpus and vectors (tools/bm25_store.py):
    # a filtered search in a fresh process reads them and never imports chromadb,
    # scipy (the old sparse matrix) or any other heavy library.
    index_dir = workspace_copy / "index"
    saved = {p.name: p.stat().st_mtime_ns for p in index_dir.glob("bm25*.npz")}
    assert set(saved) == {"bm25.npz", "bm25-vectors.npz"}
    nonce = random.SystemRandom().randint(1, 10**9)
    question = f"What do buyers say about the battery of the Aurora Pulse? (ref {nonce})"
    answer, loaded = _cold_ask(question, workspace_copy)
    search = [c for c in answer["tool_calls"] if c["name"] == "search_reviews"]
    assert search and search[0]["args"].get("product_id") == "P0016", answer["tool_calls"]
    assert answer["evidence"]["reviews"], answer
    assert loaded & HEAVY == set()
    # Read, not rewritten.
    assert {p.name: p.stat().st_mtime_ns for p in index_dir.glob("bm25*.npz")} == saved
