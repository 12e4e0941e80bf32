"""Review labels from the text alone versus from sentences and stars (tools.review_label),
on real Amazon reviews the model was not trained on.

The shop model is trained on a fixed 80% of the Amazon 2018 sample (split by a hash of
each review's text); on the other 20% it prints agreement with the stars (accuracy and
macro-F1) of the text's own label ("before") and of the rule's label ("after"), and how
many held-out reviews the rule calls mixed or flags to look again.

    python benchmarks/bench_review_label.py [--every 1]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

AMAZON = ROOT.parent / "shared" / "data" / "amazon2018-fashion" / "AMAZON_FASHION_5.json.gz"
HELD_OUT_PERCENT = 20


def held_out(text: str) -> bool:
    return int(hashlib.sha1(("label|" + text).encode()).hexdigest()[:8], 16) % 100 < (
        HELD_OUT_PERCENT
    )


def measure(texts: list[str], ratings: list[int], embedder) -> dict:
    """Train on the non-held-out reviews, then compare labels on the held-out ones."""
    from tools.review_label import review_verdict, stars_label
    from tools.sentiment import embed_clauses, evaluate, train_model

    test = [i for i, t in enumerate(texts) if held_out(t)]
    train = [i for i, t in enumerate(texts) if not held_out(t)]
    per_text, c_vecs, vecs = embed_clauses([texts[i] for i in train], embedder)
    model = train_model(
        [texts[i] for i in train],
        vecs,
        [ratings[i] for i in train],
        embedder.name,
        clauses=(per_text, c_vecs),
    )
    t_texts = [texts[i] for i in test]
    t_stars = [ratings[i] for i in test]
    per_text, c_vecs, vecs = embed_clauses(t_texts, embedder)
    before, scores = model.predict(t_texts, vecs)
    flat = [c for cs in per_text for c in cs]
    c_scores = model.score(flat, c_vecs)
    verdicts, pos = [], 0
    for k, cs in enumerate(per_text):
        own = [float(x) for x in c_scores[pos : pos + len(cs)]]
        verdicts.append(review_verdict(t_stars[k], before[k], float(scores[k]), own))
        pos += len(cs)
    truth = [stars_label(r) for r in t_stars]
    after = [v.label for v in verdicts]
    high_mixed = [v for v, r in zip(verdicts, t_stars, strict=True) if v.mixed and r >= 4]
    return {
        "n_train": len(train),
        "n": len(test),
        "before": evaluate(truth, list(before)),
        "after": evaluate(truth, after),
        "mixed": sum(v.mixed for v in verdicts),
        "look_again": sum(v.look_again for v in verdicts),
        "mixed_4_5_stars": len(high_mixed),
        "mixed_4_5_stars_text_negative": sum(
            1
            for v, b, r in zip(verdicts, before, t_stars, strict=True)
            if v.mixed and r >= 4 and b == "negative"
        ),
        "mixed_4_5_stars_labelled_positive": sum(v.label == "positive" for v in high_mixed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="use every n-th review")
    args = parser.parse_args()
    if not AMAZON.exists():
        print(f"skipped: {AMAZON} is absent")
        return
    from bench_sentiment import load_amazon

    from vectorstore.embeddings import load_embedder

    texts, ratings = load_amazon(AMAZON)
    texts, ratings = texts[:: args.every], ratings[:: args.every]
    started = time.perf_counter()
    out = measure(texts, ratings, load_embedder(""))
    print(f"review label from text vs from sentences+stars, Amazon 2018 held-out (n={out['n']})")
    for side in ("before", "after"):
        m = out[side]
        print(
            f"  {side:6s} agreement with stars: accuracy {m['accuracy']:.4f}, "
            f"macro-F1 {m['macro_f1']:.4f} (n={m['n']})"
        )
    print(
        f"  mixed {out['mixed']}, look again {out['look_again']}; mixed at 4-5 stars "
        f"{out['mixed_4_5_stars']} (text alone said negative for "
        f"{out['mixed_4_5_stars_text_negative']}; rule: positive for "
        f"{out['mixed_4_5_stars_labelled_positive']})"
    )
    print(f"  {time.perf_counter() - started:.0f} s (train n={out['n_train']})")


if __name__ == "__main__":
    main()
