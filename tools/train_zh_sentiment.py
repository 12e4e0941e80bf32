"""Train the Chinese sentiment head (tools/sentiment_zh.py) on the train part of the
Chinese hotel reviews corpus and report its accuracy on the held-out part.

    python -m tools.train_zh_sentiment PATH/hotel_reviews.csv [--out tools/]

The held-out part is fixed by a hash of each review's text (sentiment_zh.split_of)
before anything is fitted; it is encoded and scored once, after training, and never
used to choose anything. Regularisation strength is chosen by 5-fold cross-validation
inside the train part. Writes sentiment_zh.npz (weights) and sentiment_zh.json
(provenance: data file and its sha256, split rule, sizes, held-out accuracy).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.errors import DataError
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


def encode(embedder, texts: list[str]) -> np.ndarray:
    return embedder.encode([clip(t) for t in texts])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache (sqlite)")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegressionCV

    from vectorstore.embeddings import load_embedder

    rows = read_corpus(args.csv)
    train, test = split(rows)
    embedder = load_embedder(MODEL, cache_path=args.cache)
    t0 = time.perf_counter()
    x_train = encode(embedder, [t for t, _ in train])
    y_train = np.array([y for _, y in train])
    clf = LogisticRegressionCV(Cs=[0.1, 0.3, 1, 3, 10, 30], cv=5, max_iter=2000, scoring="accuracy")
    clf.fit(x_train, y_train)
    # Only now is the held-out part encoded and scored.
    x_test = encode(embedder, [t for t, _ in test])
    y_test = np.array([y for _, y in test])
    accuracy = float((clf.predict(x_test) == y_test).mean())
    seconds = time.perf_counter() - t0
    save_npz_atomic(
        args.out / WEIGHTS,
        {
            "coef": clf.coef_.ravel().astype(np.float32),
            "intercept": np.asarray(clf.intercept_, np.float32),
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
            "train_n": len(train),
            "train_positive_share": round(float(y_train.mean()), 4),
            "held_out_n": len(test),
            "held_out_accuracy": round(accuracy, 4),
            "C": float(clf.C_[0]),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "script": "tools/train_zh_sentiment.py",
        },
    )
    print(
        f"train n={len(train)}  held-out n={len(test)}  held-out accuracy={accuracy:.3f}  "
        f"C={clf.C_[0]}  ({seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
