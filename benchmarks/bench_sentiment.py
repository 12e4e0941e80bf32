"""Sentiment accuracy and macro-F1 against star ratings: our model vs VADER.

Stars are mapped 1-2 negative, 3 neutral, 4-5 positive. Three measurements, all on
the same reviews for both models:

1. demo shop, stratified 20% hold-out (model trained on the other 80%);
2. real Amazon 2018 fashion reviews, with the model trained on the demo shop
   (transfer: what a shop gets with no in-domain labels);
3. real Amazon 2018 fashion reviews, stratified 20% hold-out of the model trained on
   the other 80% of them (what the shop's own ratings buy).

Usage: python benchmarks/bench_sentiment.py [--data-dir WS] [--scale 1.0] [--amazon PATH]
                                            [--lengths-only]
Without --data-dir a demo shop is built in a temporary directory.

Then the cost of one review by length (single-line text made of real Amazon review
sentences): label + aspects (classifier, VADER, clause embeddings, aspect matching)
and the review-index embedding, at 1 KB, 10 KB, 100 KB and 1 MB, with the cost per
KB relative to 1 KB; beside them, in the same run, the two unbounded steps the cap
removes (VADER on a whole text, the old contrast regex on a whitespace run).

Measured 2026-11-28 (demo seed 7, scale 1.0; Amazon: 3,072 distinct reviews with text):

    demo shop, 20% hold-out (n=952)          ours acc 0.982 F1 0.965   VADER acc 0.815 F1 0.587
    Amazon, model trained on demo (n=3072)   ours acc 0.764 F1 0.596   VADER acc 0.822 F1 0.500
    Amazon, 20% hold-out (n=615)             ours acc 0.968 F1 0.929   VADER acc 0.818 F1 0.485

Cost by review length, measured 2026-11-29 (--lengths-only; best of 3 runs of n=1
review each; 2 cores shared with six other jobs, so absolute times are inflated and
only the ratios within one run mean anything):

    label + aspects (classifier, first 5,000 chars analysed)
        1 KB 6.7 s/review   10 KB 19.0 s   100 KB 13.5 s   1 MB 14.6 s
        per-KB cost relative to 1 KB: 1.000, 0.283, 0.020, 0.002 (flat per review past the cap)
    index document embedding
        1 KB 0.81 s   10 KB 1.29 s   100 KB 1.52 s   1 MB 1.62 s; per KB 1.000, 0.159, 0.019, 0.002
    VADER on a whole text, uncapped (what the cap avoids)
        1 KB 1.3 ms   5 KB 145 ms   10 KB 395 ms   20 KB 1.35 s; per KB 1.0, 22.2, 30.3, 51.7
    contrast regex on a whitespace run of 1,000 / 2,500 / 5,000 spaces
        before the fix 99 ms, 618 ms, 2.42 s (per KB 1.0, 2.5, 4.9: quadratic); now 0.1-0.3 ms

The demo's review text is built from a small phrase bank (about 680 distinct clauses),
so the demo-trained model transfers poorly to real text; trained on a shop's own real
reviews it beats VADER by a wide margin.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.aspects import MAX_TEXT_CHARS, load_taxonomy  # noqa: E402
from tools.indexing import review_document  # noqa: E402
from tools.sentiment import (  # noqa: E402
    _VADER,
    VaderScorer,
    embed_clauses,
    evaluate,
    review_text,
    sentiment_with_aspects,
    stars_to_label,
    train_model,
)

LENGTHS = (1_000, 10_000, 100_000, 1_000_000)
# Before the fix the contrast regex began with \s*, which rescanned whitespace runs.
OLD_CONTRAST = re.compile(
    r"\s*(?:,\s*)?\b(?:but|although|though|whereas|except that|except|"
    r"even though|on the other hand|(?<=,\s)yet|(?<=,\s)while)\b\s*",
    re.IGNORECASE,
)

AMAZON = (
    Path(__file__).resolve().parents[2] / "shared/data/amazon2018-fashion/AMAZON_FASHION_5.json.gz"
)


def load_amazon(path: Path) -> tuple[list[str], list[int]]:
    """Distinct reviews with text; exact duplicates (same reviewer, item, text) dropped."""
    seen, texts, ratings = set(), [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            text = review_text(r.get("summary"), r.get("reviewText"))
            key = (r.get("reviewerID"), r.get("asin"), text)
            if not r.get("reviewText") or key in seen:
                continue
            seen.add(key)
            texts.append(text)
            ratings.append(int(r["overall"]))
    return texts, ratings


def load_demo(data_dir: Path | None, scale: float) -> tuple[list[str], list[int]]:
    import duckdb

    if data_dir is None:
        from assistant.pipeline import build_demo

        data_dir = Path(tempfile.mkdtemp()) / "ws"
        build_demo(data_dir, seed=7, scale=scale)
    conn = duckdb.connect(str(data_dir / "store.duckdb"), read_only=True)
    rows = conn.execute(
        "SELECT title, text, rating FROM reviews WHERE rating IS NOT NULL ORDER BY review_id"
    ).fetchall()
    conn.close()
    return [review_text(t, x) for t, x, _ in rows], [int(r) for _, _, r in rows]


def line(name: str, res: dict) -> None:
    m, v = res["model"], res["vader"]
    print(
        f"{name:<44} n={m['n']:>5}  ours acc={m['accuracy']:.3f} F1={m['macro_f1']:.3f}"
        f"   VADER acc={v['accuracy']:.3f} F1={v['macro_f1']:.3f}"
    )


def _timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _per_kb_table(title: str, sizes, seconds) -> None:
    print(title)
    base = seconds[0] / (sizes[0] / 1000)
    for size, sec in zip(sizes, seconds, strict=True):
        per_kb = sec / (size / 1000)
        print(
            f"  {size / 1000:>8,.1f} KB  {sec * 1000:>10.1f} ms/review  "
            f"{per_kb * 1000:>9.3f} ms/KB  per-KB ratio to {sizes[0] / 1000:g} KB: "
            f"{per_kb / base:.3f}"
        )


def length_scaling(embedder, amazon: Path) -> None:
    """Cost of one review by its length, with the analysed prefix capped."""
    if amazon.exists():
        texts, ratings = load_amazon(amazon)
    else:
        texts = ["Great sound but the battery died after two days, awful."] * 200
        ratings = [1, 5] * 100
    corpus = " ".join(t.replace("\n", " ") for t in texts)
    model = None
    if amazon.exists():
        # A model trained on 600 real reviews, so the classifier path is measured too.
        _, _, vecs = embed_clauses(texts[:600], embedder)
        model = train_model(texts[:600], vecs, ratings[:600], embedder.name)
    taxonomy = load_taxonomy()
    # Warm up (first calls load tokenizer tables and start torch's threads).
    sentiment_with_aspects([corpus[:2000]], model=model, embedder=embedder, taxonomy=taxonomy)
    cache_size, embedder.cache_size = embedder.cache_size, 0  # every clause encoded
    try:
        docs, label_s, index_s = [], [], []
        for size in LENGTHS:
            text = (corpus * (size // len(corpus) + 1))[:size]
            docs.append(text)
            label_s.append(
                _timed(
                    lambda t=text: sentiment_with_aspects(
                        [t], model=model, embedder=embedder, taxonomy=taxonomy
                    ),
                    repeat=3,
                )
            )
            index_s.append(
                _timed(lambda t=text: embedder.encode([review_document("", t)]), repeat=3)
            )
    finally:
        embedder.cache_size = cache_size
    which = "classifier" if model is not None else "VADER"
    _per_kb_table(
        f"one review, label + aspects ({which}; first {MAX_TEXT_CHARS} chars analysed), n=1 x3",
        LENGTHS,
        label_s,
    )
    _per_kb_table("one review, index document embedding, n=1 x3", LENGTHS, index_s)
    # Unbounded: what the cap avoids (the same run, so the ratios compare).
    raw = (1_000, 5_000, 10_000, 20_000)
    _per_kb_table(
        "VADER on the whole text, uncapped (quadratic)",
        raw,
        [_timed(lambda n=n: _VADER.polarity_scores(corpus[:n])) for n in raw],
    )
    runs = (1_000, 2_500, 5_000)
    # A run with no contrast word after it: every offset failed after rescanning the run.
    old = [_timed(lambda n=n: OLD_CONTRAST.split("a" + " " * n + "b")) for n in runs]
    from tools.aspects import _CONTRAST

    new = [_timed(lambda n=n: _CONTRAST.split("a" + " " * n + "b")) for n in runs]
    _per_kb_table("contrast regex on a whitespace run, before the fix", runs, old)
    _per_kb_table("contrast regex on a whitespace run, now", runs, new)


LABELLED = Path(__file__).resolve().parents[1] / "tests/data/demo_aspect_clauses.tsv"


def hand_labelled_clauses(model, embedder) -> None:
    """Polarity of the hand-labelled demo clauses (demo seed 7): previous (review head
    scoring a clause) vs ours (clause head) vs VADER."""
    from dataclasses import replace

    from tools.aspects import polarity

    lines = [ln for ln in LABELLED.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    rows = [ln.split("\t") for ln in lines[1:]]
    clauses, truth = [r[3] for r in rows], [r[2] for r in rows]
    vecs = embedder.encode(clauses)
    print("hand-labelled demo clauses, polarity accuracy (ours vs previous vs VADER)")
    for name, scorer in (
        ("VADER", VaderScorer()),
        ("previous (review head)", replace(model, clause_clf=None)),
        ("ours (clause head)", model),
    ):
        pred = [polarity(float(s)) for s in scorer.score(clauses, vecs)]
        acc = sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth)
        print(f"  {name:<28} n={len(truth)}  accuracy {acc:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--amazon", type=Path, default=AMAZON)
    ap.add_argument(
        "--lengths-only", action="store_true", help="only the cost-by-review-length part"
    )
    args = ap.parse_args()

    from vectorstore.embeddings import load_embedder

    embedder = load_embedder("")
    t0 = time.perf_counter()
    if args.lengths_only:
        length_scaling(embedder, args.amazon)
        print(f"total {time.perf_counter() - t0:.1f}s")
        return
    d_texts, d_ratings = load_demo(args.data_dir, args.scale)
    d_clauses, d_cvecs, d_vecs = embed_clauses(d_texts, embedder)
    t_train = time.perf_counter()
    demo_model = train_model(
        d_texts, d_vecs, d_ratings, embedder.name, clauses=(d_clauses, d_cvecs)
    )
    print(f"demo training (review + clause heads): {time.perf_counter() - t_train:.1f}s")
    line("demo shop, 20% hold-out", demo_model.metrics["holdout"])
    hand_labelled_clauses(demo_model, embedder)

    if args.amazon.exists():
        a_texts, a_ratings = load_amazon(args.amazon)
        _, _, a_vecs = embed_clauses(a_texts, embedder)
        truth = [stars_to_label(r) for r in a_ratings]
        ours, _ = demo_model.predict(a_texts, a_vecs)
        vader, _ = VaderScorer().predict(a_texts)
        line(
            "Amazon 2018 fashion, model trained on demo",
            {"model": evaluate(truth, ours), "vader": evaluate(truth, vader)},
        )
        amazon_model = train_model(a_texts, a_vecs, a_ratings, embedder.name)
        line("Amazon 2018 fashion, 20% hold-out", amazon_model.metrics["holdout"])
        dist = {lab: truth.count(lab) for lab in ("negative", "neutral", "positive")}
        print(f"Amazon label distribution: {dist}")
    else:
        print(f"Amazon 2018 sample not found at {args.amazon}; skipped")
    length_scaling(embedder, args.amazon)
    print(f"total {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
