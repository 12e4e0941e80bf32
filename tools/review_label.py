"""A review's label from what its sentences say and the stars its author gave.

The text model reads words; the stars are the author's own verdict. Each alone
misleads on a mixed review: "Great sound. Battery died in a week." at 4 stars reads
as a complaint to a model that weighs the last sentence, and as plain praise to the
stars. The rule, applied in order:

1. No stars: the text's label.
2. The text's label equals the stars' label (1-2 negative, 3 neutral, 4-5 positive):
   that label ("agree").
3. The text clearly and uniformly says the opposite pole of the stars (its score at
   least STRONG away from zero and no sentence on the stars' side): the text's label,
   flagged ``look_again``: a 1-star review of nothing but praise is a slip of the
   finger, sarcasm or a complaint about something the text never names, and someone
   should read it.
4. 3 stars and a text that is clearly one-sided (rule 3's test, either pole): the
   text's label ("text"); lukewarm stars over a clear text add nothing.
5. Otherwise the stars decide ("stars"): the text is weak, or mixed (a 4-star review
   with a strongly negative sentence stays positive, and is shown as mixed).

Independently of the label, a review is ``mixed`` when one of its sentences is
positive and another negative, at least MIXED_MIN from zero each, and one of them
STRONG: the label says where the review lands, ``mixed`` that it praises and
complains at once (shown with its sentence labels).
"""

from __future__ import annotations

from dataclasses import dataclass

# A score (in [-1, 1]) at least this far from zero is a clear reading.
STRONG = 0.5
# A sentence counts towards ``mixed`` from this far from zero: below it a clause is
# too faint ("it arrived") to call the review two-sided.
MIXED_MIN = 0.2
# Chinese clauses, read by the packaged head (tools/sentiment_zh.py, its clause
# intercept chosen on validation clauses), keep both thresholds: on 442 validation
# hotel reviews a stricter Chinese rule (both sides at least 0.5) flagged reviews that
# turn nowhere barely less often (0.19 against 0.21 of 122) but lost a fifth of the
# flags on reviews with a contrast or concession word (0.52 against 0.67 of 320).
# Bumped whenever the rule changes, so stored labels are recomputed.
RULE_VERSION = 1
BASES = ("text", "agree", "stars", "look_again")


def stars_label(rating: int | float) -> str:
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


@dataclass(frozen=True)
class Verdict:
    label: str
    mixed: bool
    basis: str  # one of BASES: what decided the label

    @property
    def look_again(self) -> bool:
        return self.basis == "look_again"


def is_mixed(sentence_scores: list[float]) -> bool:
    pos = [s for s in sentence_scores if s >= MIXED_MIN]
    neg = [s for s in sentence_scores if s <= -MIXED_MIN]
    return bool(pos and neg) and (max(pos) >= STRONG or min(neg) <= -STRONG)


def _one_sided(text_label: str, text_score: float, sentence_scores: list[float]) -> bool:
    """The text says ``text_label`` clearly, and no sentence says the other pole."""
    if text_label == "positive":
        return text_score >= STRONG and not any(s <= -MIXED_MIN for s in sentence_scores)
    if text_label == "negative":
        return text_score <= -STRONG and not any(s >= MIXED_MIN for s in sentence_scores)
    return False


def review_verdict(
    rating: int | float | None,
    text_label: str,
    text_score: float,
    sentence_scores: list[float],
) -> Verdict:
    """The label of one review by the rule above. ``sentence_scores`` are its clauses'
    scores (one clause: the review's own)."""
    if text_label not in ("negative", "neutral", "positive"):
        raise ValueError(f"text label {text_label!r} is not negative, neutral or positive")
    mixed = len(sentence_scores) > 1 and is_mixed(sentence_scores)
    if rating is None:
        return Verdict(text_label, mixed, "text")
    stars = stars_label(rating)
    if text_label == stars:
        return Verdict(stars, mixed, "agree")
    if _one_sided(text_label, text_score, sentence_scores):
        return Verdict(text_label, mixed, "text" if stars == "neutral" else "look_again")
    return Verdict(stars, mixed, "stars")
