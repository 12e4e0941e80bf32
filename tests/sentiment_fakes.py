"""Small synthetic shops and a counting bag-of-words embedder for sentiment tests.

The embedder stands in for MiniLM where a test is about training, storage or cost,
not about language: it is deterministic, fast, and records what it was asked to encode.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

POSITIVE = [
    "Love it, the sound is great",
    "Excellent quality and fast delivery",
    "Works perfectly, very happy",
    "Comfortable fit, would buy again",
    "Great value, the battery lasts for days",
    "Beautiful design and sturdy build",
]
NEGATIVE = [
    "Broke after a week, waste of money",
    "Terrible quality, returned it",
    "The battery died after two days",
    "Awful fit and it smells bad",
    "Stopped working, very disappointed",
    "Cheap plastic, cracked on arrival",
]
NEUTRAL = [
    "It is a pair of headphones",
    "Arrived on Tuesday in a box",
    "Average product, does what it says",
    "Okay for the price I guess",
    "The colour is blue as listed",
    "Medium size, standard packaging",
]


class CountingEmbedder:
    """Hashed bag of words, L2-normalised; ``calls`` keeps every batch's text lengths."""

    name = "bag-of-words-test"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[list[int]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append([len(t) for t in texts])
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    @property
    def chars_encoded(self) -> int:
        return sum(sum(c) for c in self.calls)

    @property
    def longest_text(self) -> int:
        return max((max(c) for c in self.calls if c), default=0)


def synthetic_reviews(counts: dict[int, int], seed: int = 0) -> list[tuple[str, int, str]]:
    """(review_id, rating, text) with ``counts[stars]`` reviews per star rating."""
    rng = np.random.default_rng(seed)
    rows = []
    for stars, n in sorted(counts.items()):
        bank = NEGATIVE if stars <= 2 else NEUTRAL if stars == 3 else POSITIVE
        for k in range(n):
            a, b = rng.choice(len(bank), 2, replace=False)
            rows.append((f"R{stars}-{k:04d}", stars, f"{bank[a]}. {bank[b]}."))
    return rows


def insert_reviews(conn, rows: list[tuple[str, int | None, str]]) -> None:
    conn.executemany(
        "INSERT INTO reviews (review_id, product_id, rating, title, text, created_at) "
        "VALUES (?, 'P1', ?, '', ?, TIMESTAMP '2026-01-01')",
        rows,
    )
