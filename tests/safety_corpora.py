"""Corpora for measuring the injection flags and PII redaction on text nobody here wrote.

Used by tests/test_safety_*.py and benchmarks/bench_injection.py. Every loader takes the
shared data root and returns None when its file is absent, so tests can skip and the
benchmark can say what it could not measure.

The BIPIA split is fixed by a hash of the category name, not by reading the goals: the
held-out categories were never looked at while the cues were tuned, and must stay that way
(add cues from the tuned split, the demo shop or your own examples, never from these).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parents[0].parent / "shared" / "data"
BIPIA = ("prompt-injection", "bipia_text_attack_train.json")
# 5 of the 15 categories (a third) are held out entirely.
HELD_OUT_CATEGORIES = 5


def _category_key(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def bipia_split(root: Path = SHARED_DATA) -> tuple[dict, dict] | None:
    """(tuned, held_out): BIPIA goals by category, split deterministically by category."""
    path = root.joinpath(*BIPIA)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    ranked = sorted(data, key=_category_key)
    held = set(ranked[:HELD_OUT_CATEGORIES])
    tuned = {c: goals for c, goals in data.items() if c not in held}
    held_out = {c: goals for c, goals in data.items() if c in held}
    return tuned, held_out


def own_attacks(split: str) -> dict[str, list[str]]:
    """Hand-written attacks from tests/data, by language. split: "tuned", "held_out" (written
    before any tuning) or "held_out_2" (written after tuning, before being measured)."""
    data = yaml.safe_load((HERE / "data" / f"injection_{split}.yaml").read_text(encoding="utf-8"))
    if data.get("split") != split:
        raise ValueError(f"tests/data/injection_{split}.yaml: 'split' must be {split!r}")
    return {lang: list(texts) for lang, texts in data["attacks"].items()}


def _amazon_fashion(root: Path) -> list[str] | None:
    path = root / "amazon2018-fashion" / "AMAZON_FASHION_5.json.gz"
    if not path.exists():
        return None
    seen, texts = set(), []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            # One text per review, as the shop shows it: title line, then the body. The 5-core
            # file repeats a review once per product variant, so exact repeats count once.
            text = "\n".join(
                part for f in ("summary", "reviewText") if (part := (row.get(f) or "").strip())
            )
            if text and text not in seen:
                seen.add(text)
                texts.append(text)
    return texts


def _vader(root: Path, name: str) -> list[str] | None:
    path = root / "sentiment-human-rated" / f"{name}_GroundTruth.txt"
    if not path.exists():
        return None
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[2].strip():
            texts.append(parts[2].strip())
    return texts


def _semeval(root: Path) -> list[str] | None:
    texts = []
    for name in ("Laptops_Train.xml", "Restaurants_Train.xml"):
        path = root / "semeval14-absa-train" / name
        if not path.exists():
            return None
        texts += [el.text.strip() for el in ET.parse(path).iter("text") if el.text]
    return texts


def _hotel(root: Path) -> list[str] | None:
    path = root / "chinese-hotel-reviews" / "hotel_reviews.csv"
    if not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["review"].strip() for row in csv.DictReader(fh) if row["review"].strip()]


def real_corpora(root: Path = SHARED_DATA) -> dict[str, list[str] | None]:
    """Every real review or sentence in the shared data, by corpus (None when absent)."""
    return {
        "amazon-fashion": _amazon_fashion(root),
        "tweets": _vader(root, "tweets"),
        "movie-snippets": _vader(root, "movieReviewSnippets"),
        "semeval-absa": _semeval(root),
        "hotel-zh": _hotel(root),
    }
