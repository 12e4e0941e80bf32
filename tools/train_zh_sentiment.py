"""Train the Chinese sentiment head (tools/sentiment_zh.py) on the train part of the
Chinese hotel reviews corpus and report its accuracy on the held-out part.

    python -m tools.train_zh_sentiment PATH/hotel_reviews.csv [--out tools/] [--cache F]

The head reads whole reviews (a review's label) and single clauses (a review's
``mixed`` flag, its aspects). The corpus labels reviews only, so clauses get weak
labels: a clause of a review that turns nowhere (no 但是, 不过, 虽然, 除了... see
CONTRAST_MARKED) is taken to share its review's label. Trained on reviews alone the
head read short clauses of praise as complaints; the weak clauses teach it short text.

The held-out part is fixed by a hash of each review's text (sentiment_zh.split_of)
before anything is fitted; it is encoded and scored once, after training, and never
used to choose anything. A validation part, fixed by another hash, is carved from the
train part to choose the regularisation strength, the weight of the clauses and the
clause intercept shift; the head is then refitted on the whole train part. Writes
sentiment_zh.npz (weights) and sentiment_zh.json (provenance: data file and its
sha256, split rules, sizes, choices, held-out review and clause accuracy).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.errors import DataError
from tools.aspects import split_clauses
from tools.model_files import save_json_atomic, save_npz_atomic
from tools.sentiment_zh import (
    HELD_OUT_PERCENT,
    MAX_CHARS,
    MODEL,
    PROVENANCE,
    WEIGHTS,
    clip,
    split_of,
)

# Share of the train part set aside to choose C, the clause weight and the shift.
VALIDATION_PERCENT = 20
# A review that turns or concedes anywhere may praise in one clause and complain in
# another: its clauses get no weak label. Broader than the clause splitter's cuts
# (tools/clauses_zh.py): "除了早餐，都很好" concedes without being cut.
CONTRAST_MARKED = re.compile(
    r"但|不过|可是|然而|只是|就是|虽|尽管|除了|唯一|美中不足|缺点|不足|还好|倒是|至于|"
    r"总体|总的来说|总之|如果|要是|否则|\bbut\b",
    re.IGNORECASE,
)
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A clause of fewer CJK characters ("好", "OK") says too little to label.
MIN_CLAUSE_CJK = 2
CS = (0.3, 1.0, 3.0, 10.0, 30.0)
# Total weight of the clause examples relative to the reviews'.
CLAUSE_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
# Chosen settings may lose at most this much validation review accuracy against the
# best head trained on reviews alone.
REVIEW_TOLERANCE = 0.01


def read_corpus(path: Path) -> list[tuple[str, int]]:
    """(text, label) rows of a ``label,review`` CSV; a bad row is an error naming its line."""
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != ["label", "review"]:
            raise DataError(f"{path}: expected the header 'label,review', got {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) != 2 or row[0] not in ("0", "1"):
                raise DataError(f"{path}, line {line}: expected a 0/1 label and a review")
            if row[1].strip():
                rows.append((row[1].strip(), int(row[0])))
    return rows


def split(rows):
    train = [(t, y) for t, y in rows if split_of(t) == "train"]
    test = [(t, y) for t, y in rows if split_of(t) == "test"]
    return train, test


def is_validation(text: str) -> bool:
    """Inside the train part: set aside to choose settings, by a hash independent of
    split_of's."""
    b = int(hashlib.sha1(("zh-hotel-val|" + text).encode("utf-8")).hexdigest()[:8], 16) % 100
    return b < VALIDATION_PERCENT


def weak_clauses(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(clause, label of its review) for the clauses of reviews that split into two or
    more clauses and turn nowhere (a one-clause review is already a review example)."""
    out = []
    for text, label in rows:
        if CONTRAST_MARKED.search(text):
            continue
        clauses = split_clauses(text)
        if len(clauses) < 2:
            continue
        out += [(c, label) for c in clauses if len(_CJK.findall(c)) >= MIN_CLAUSE_CJK]
    return out


def encode(embedder, texts: list[str]) -> np.ndarray:
    return embedder.encode([clip(t) for t in texts])


def _balanced(y: np.ndarray, total: float) -> np.ndarray:
    """Weights summing to ``total``, half on each class."""
    w = np.zeros(len(y))
    for label in (0, 1):
        mask = y == label
        if mask.any():
            w[mask] = total / 2 / mask.sum()
    return w


def _fit(x_rev, y_rev, x_cl, y_cl, c: float, clause_weight: float):
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([x_rev, x_cl]) if clause_weight else x_rev
    y = np.concatenate([y_rev, y_cl]) if clause_weight else y_rev
    w = _balanced(y_rev, len(y_rev))
    if clause_weight:
        w = np.concatenate([w, _balanced(y_cl, clause_weight * len(y_rev))])
    # Weights scaled to mean 1 so C means the same with and without clauses.
    w = w * len(w) / w.sum()
    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(x, y, sample_weight=w)
    return clf


def balanced_accuracy(p: np.ndarray, y: np.ndarray, shift: float = 0.0) -> float:
    """Mean of per-class accuracy of ``logit + shift >= 0``: clauses are not balanced."""
    z = np.log(p / (1 - p)) + shift
    hits = (z >= 0) == (y == 1)
    return float(np.mean([hits[y == label].mean() for label in (0, 1) if (y == label).any()]))


def choose_shift(p: np.ndarray, y: np.ndarray) -> float:
    """The intercept shift for clauses that maximises their balanced accuracy (ties:
    the smallest shift), on a grid of 0.05."""
    grid = np.round(np.arange(-2.0, 2.0001, 0.05), 2)
    scores = [balanced_accuracy(p, y, s) for s in grid]
    best = max(scores)
    return float(min((abs(s), s) for s, v in zip(grid, scores, strict=True) if v == best)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (sqlite)")
    args = parser.parse_args(argv)

    from vectorstore.embeddings import load_embedder

    rows = read_corpus(args.csv)
    train, test = split(rows)
    fit = [r for r in train if not is_validation(r[0])]
    val = [r for r in train if is_validation(r[0])]
    embedder = load_embedder(MODEL, cache_path=args.cache)
    t0 = time.perf_counter()

    def xy(pairs):
        return encode(embedder, [t for t, _ in pairs]), np.array([y for _, y in pairs])

    x_fit, y_fit = xy(fit)
    x_val, y_val = xy(val)
    xc_fit, yc_fit = xy(weak_clauses(fit))
    xc_val, yc_val = xy(weak_clauses(val))

    trials = []
    for c in CS:
        for cw in CLAUSE_WEIGHTS:
            clf = _fit(x_fit, y_fit, xc_fit, yc_fit, c, cw)
            review = float((clf.predict(x_val) == y_val).mean())
            clause = balanced_accuracy(clf.predict_proba(xc_val)[:, 1], yc_val)
            trials.append((c, cw, review, clause))
            print(f"  C={c:<5} clause weight={cw:<4} val review {review:.3f}  clause {clause:.3f}")
    floor = max(t[2] for t in trials if t[1] == 0) - REVIEW_TOLERANCE
    c, cw, val_review, val_clause = max(
        (t for t in trials if t[2] >= floor), key=lambda t: (t[3], t[2])
    )
    chosen = _fit(x_fit, y_fit, xc_fit, yc_fit, c, cw)
    shift = choose_shift(chosen.predict_proba(xc_val)[:, 1], yc_val)

    x_train, y_train = np.vstack([x_fit, x_val]), np.concatenate([y_fit, y_val])
    xc_train, yc_train = np.vstack([xc_fit, xc_val]), np.concatenate([yc_fit, yc_val])
    clf = _fit(x_train, y_train, xc_train, yc_train, c, cw)

    # Only now is the held-out part encoded and scored.
    x_test, y_test = xy(test)
    xc_test, yc_test = xy(weak_clauses(test))
    accuracy = float((clf.predict(x_test) == y_test).mean())
    pc_test = clf.predict_proba(xc_test)[:, 1]
    clause_accuracy = balanced_accuracy(pc_test, yc_test, shift)
    seconds = time.perf_counter() - t0
    intercept = float(clf.intercept_[0])
    save_npz_atomic(
        args.out / WEIGHTS,
        {
            "coef": clf.coef_.ravel().astype(np.float32),
            "intercept": np.asarray([intercept], np.float32),
            "clause_intercept": np.asarray([intercept + shift], np.float32),
        },
    )
    save_json_atomic(
        args.out / PROVENANCE,
        {
            "model": "logistic regression over embedding vectors",
            "embedding_model": MODEL,
            "max_chars": MAX_CHARS,
            "data": args.csv.name,
            "data_sha256": hashlib.sha256(args.csv.read_bytes()).hexdigest(),
            "labels": "1 positive, 0 negative",
            "split": f"sha1('zh-hotel|' + text) % 100 < {HELD_OUT_PERCENT} is held out",
            "validation": (
                f"train reviews with sha1('zh-hotel-val|' + text) % 100 < "
                f"{VALIDATION_PERCENT}: choose C, clause weight and clause shift"
            ),
            "clause_examples": (
                "weak labels: clauses (tools.aspects.split_clauses, at least "
                f"{MIN_CLAUSE_CJK} CJK characters) of multi-clause reviews without a "
                "contrast or concession word, labelled as their review"
            ),
            "train_n": len(train),
            "train_clause_n": len(yc_train),
            "train_positive_share": round(float(y_train.mean()), 4),
            "C": c,
            "clause_weight": cw,
            "clause_shift": shift,
            "validation_review_accuracy": round(val_review, 4),
            "validation_clause_balanced_accuracy": round(val_clause, 4),
            "held_out_n": len(test),
            "held_out_accuracy": round(accuracy, 4),
            "held_out_clause_n": len(yc_test),
            "held_out_clause_balanced_accuracy": round(clause_accuracy, 4),
            "held_out_clause_accuracy_note": "against weak labels (the review's label)",
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "script": "tools/train_zh_sentiment.py",
        },
    )
    print(
        f"train n={len(train)} (+{len(yc_train)} clauses)  C={c}  clause weight={cw}  "
        f"clause shift={shift:+.2f}\nheld-out reviews n={len(test)} accuracy={accuracy:.3f}  "
        f"held-out clauses n={len(yc_test)} balanced accuracy={clause_accuracy:.3f} "
        f"(weak labels)  ({seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
