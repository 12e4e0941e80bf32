"""Real public evaluation data for review sentiment, split deterministically.

Two sources (read from a path, never copied into the repository):

- ``sentiment-human-rated``: tweets and movie-review snippets, each rated by 20 people
  on [-4, 4]. Binary truth: sentences with abs(mean) >= 0.5, positive if mean > 0.
- ``semeval14-absa-train``: SemEval-2014 Task 4 Laptops and Restaurants aspect terms,
  polarity positive / negative / neutral (``conflict`` dropped).

Every item goes to a split by a hash of its identity (source, id, text), so the split
is the same on every machine and does not move when other items are added:
``validation`` is for choosing models and thresholds, ``test`` is held out and only
reported; SemEval also has ``train`` (never used by the shipped model, which learns
from a shop's own stars).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import DataError

HUMAN_FILES = ("tweets_GroundTruth.txt", "movieReviewSnippets_GroundTruth.txt")
SEMEVAL_FILES = ("Laptops_Train.xml", "Restaurants_Train.xml")
# A rating this far from zero is a clear opinion (VADER paper's own cut-off).
HUMAN_MIN_ABS = 0.5
SEMEVAL_LABELS = ("negative", "neutral", "positive")


def bucket(key: str) -> int:
    """A stable number in [0, 100) for ``key``."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100


def human_split(key: str) -> str:
    # Half to choose on, half held out: both halves are thousands of sentences.
    return "validation" if bucket("human|" + key) < 50 else "test"


def semeval_split(key: str) -> str:
    b = bucket("semeval|" + key)
    return "train" if b < 50 else "validation" if b < 70 else "test"


@dataclass(frozen=True)
class Sentence:
    source: str
    id: str
    text: str
    label: str
    mean: float
    split: str


@dataclass(frozen=True)
class AspectTerm:
    source: str
    sentence_id: str
    text: str
    term: str
    start: int
    end: int
    label: str
    split: str


def load_human_rated(data_dir: Path) -> list[Sentence]:
    """Binary-labelled sentences of both files; ``data_dir`` is ``.../sentiment-human-rated``."""
    out: list[Sentence] = []
    for name in HUMAN_FILES:
        path = Path(data_dir) / name
        if not path.exists():
            raise DataError(f"{path}: not found (expected the human-rated sentiment file)")
        source = name.split("_")[0]
        with path.open(encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, start=1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 3:
                    if line.strip():
                        raise DataError(f"{path}:{n}: expected 'id<TAB>mean<TAB>text'")
                    continue
                sid, raw_mean, text = parts[0], parts[1], "\t".join(parts[2:]).strip()
                try:
                    mean = float(raw_mean)
                except ValueError:
                    raise DataError(
                        f"{path}:{n}: mean rating {raw_mean!r} is not a number"
                    ) from None
                if abs(mean) < HUMAN_MIN_ABS or not text:
                    continue
                label = "positive" if mean > 0 else "negative"
                split = human_split(f"{source}|{sid}|{text}")
                out.append(Sentence(source, sid, text, label, mean, split))
    return out


def load_semeval(data_dir: Path) -> list[AspectTerm]:
    """Aspect terms of both domains, ``conflict`` dropped; split by sentence, so every
    term of one sentence is in the same split."""
    out: list[AspectTerm] = []
    for name in SEMEVAL_FILES:
        path = Path(data_dir) / name
        if not path.exists():
            raise DataError(f"{path}: not found (expected a SemEval-2014 Task 4 XML file)")
        source = name.split("_")[0].lower()
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise DataError(f"{path}: not valid XML: {exc}") from exc
        for sent in root.iter("sentence"):
            sid = sent.get("id", "")
            text = sent.findtext("text") or ""
            split = semeval_split(f"{source}|{sid}|{text}")
            for at in sent.iter("aspectTerm"):
                label = at.get("polarity")
                if label not in SEMEVAL_LABELS:
                    continue
                out.append(
                    AspectTerm(
                        source,
                        sid,
                        text,
                        at.get("term", ""),
                        int(at.get("from", 0)),
                        int(at.get("to", 0)),
                        label,
                        split,
                    )
                )
    return out


def human_fit_role(s: Sentence) -> str:
    """Within the validation half: ``fit`` (what the shipped sentence head learns from)
    or ``check`` (a fifth kept back to score it and to choose its settings, and the
    tests' fixed sample). The test half is neither: it is only reported."""
    if s.split != "validation":
        return "test"
    return "check" if bucket(f"humancheck|{s.source}|{s.id}|{s.text}") < 20 else "fit"


def semeval_fit_role(t: AspectTerm) -> str:
    """Like :func:`human_fit_role` for SemEval: ``train`` and 70% of
    ``validation`` are ``fit`` (what the final aspect model learns from, once its
    settings were chosen on the whole validation split with ``train`` alone); the
    other 30% of ``validation``, by sentence, is ``check`` (its score and the tests'
    fixed sample). ``test`` is neither: it is only reported."""
    if t.split == "test":
        return "test"
    if t.split == "train":
        return "fit"
    key = f"semevalcheck|{t.source}|{t.sentence_id}|{t.text}"
    return "check" if bucket(key) < 30 else "fit"
