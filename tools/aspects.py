"""Aspect-based sentiment: which aspects a text talks about and how it feels about each.

Texts are cut into clauses at sentence ends and contrast words ("great screen but the
battery is awful" -> two clauses), so a polarity belongs to the clause that mentions
the aspect, not to the review's overall mood. An aspect is detected in a clause when
one of its example terms occurs there, or when the clause's embedding is close to
the aspect's description ("died after two days" -> battery without the word).
Polarity comes from a sentiment scorer (tools.sentiment) run on that clause; the
scorer's lexicon part handles negation ("not bad at all", "never had a problem").

Only the first MAX_TEXT_CHARS characters of a text are analysed (:func:`clip_text`),
so the cost per review is bounded whatever its length, and every pattern here runs
in time linear in the text it reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml

from assistant.errors import DataError, UserError
from tools.clauses_zh import split_chinese
from vectorstore.model_scales import MINILM_SCALE, Scale, scale_for

# The cosine similarity a clause needs to an aspect description to count without a
# term, and how far ahead of the runner-up it must be, are per embedding model:
# vectorstore/model_scales.py (aspect_similarity, aspect_margin).
# Scores within this band of zero are neutral (VADER's customary cut-off).
NEUTRAL_BAND = 0.05

# Texts are analysed up to this many characters (about 900 words, longer than 99% of
# real reviews): VADER's cost grows with the square of the length, and a 50 MB
# single-line review would otherwise never finish labelling.
MAX_TEXT_CHARS = 5000
# A clipped text ends at the last whitespace within this many characters of the cut.
_CLIP_BACKOFF = 200

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[.!?])(?=[A-Z])")
# Contrast markers that start a new clause in the middle of a sentence. "however" is
# left out on purpose: mid-sentence (", however,") it does not separate topics.
# No leading \s*: tried at every offset of a long whitespace run it rescanned the run
# (quadratic; 40,000 spaces took a minute). Pieces are stripped anyway.
_CONTRAST = re.compile(
    r"(?:,\s*)?\b(?:but|although|though|whereas|except that|except|"
    r"even though|on the other hand|(?<=,\s)yet|(?<=,\s)while)\b\s*",
    re.IGNORECASE,
)
_LEADING_CONCESSIVE = re.compile(r"^(?:although|though|even though|while|whereas)\b", re.I)


_CJK_TERM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Scorer(Protocol):
    """Anything that scores texts in [-1, 1] (tools.sentiment provides two)."""

    name: str

    def score(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class Aspect:
    id: str
    description: str
    terms: tuple[str, ...]
    pattern: re.Pattern = field(compare=False, repr=False)


@dataclass(frozen=True)
class Taxonomy:
    aspects: tuple[Aspect, ...]
    source: str
    digest: str

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.aspects]

    def get(self, aspect_id: str) -> Aspect:
        for a in self.aspects:
            if a.id == aspect_id:
                return a
        raise UserError(f"unknown aspect {aspect_id!r}", hint="aspects: " + ", ".join(self.ids))


def _term_pattern(terms: tuple[str, ...]) -> re.Pattern:
    # Longest first so "battery life" wins over "battery"; whole words only, except
    # Chinese terms, which sit between other characters ("耳机的电池不行").
    alts = sorted({t.lower() for t in terms}, key=len, reverse=True)
    body = "|".join(
        re.escape(t)
        if _CJK_TERM.search(t)
        else rf"(?<![\w-]){re.escape(t)}(?![\w-])".replace(r"\ ", r"\s+")
        for t in alts
    )
    return re.compile(rf"(?:{body})", re.IGNORECASE)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The aspect taxonomy from ``path`` (if it exists) or the packaged tools/aspects.yaml."""
    if path is not None and Path(path).exists():
        source, raw = str(path), Path(path).read_text(encoding="utf-8")
    else:
        source = "tools/aspects.yaml"
        raw = resources.files("tools").joinpath("aspects.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise DataError(f"{source}: not valid YAML: {exc}") from exc
    items = data.get("aspects") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise DataError(f"{source}: expected a top-level 'aspects:' list")
    aspects, seen = [], set()
    for i, item in enumerate(items, start=1):
        where = f"{source}: aspect #{i}"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise DataError(f"{where}: each aspect needs an 'id' string")
        aid = item["id"].strip()
        if aid in seen:
            raise DataError(f"{where}: duplicate aspect id {aid!r}")
        seen.add(aid)
        desc = item.get("description")
        terms = item.get("terms") or []
        if not isinstance(desc, str) or not desc.strip():
            raise DataError(f"{where} ({aid}): needs a 'description'")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise DataError(f"{where} ({aid}): 'terms' must be a list of strings")
        terms_t = tuple(str(t).strip() for t in terms) or (aid.replace("_", " "),)
        aspects.append(Aspect(aid, desc.strip(), terms_t, _term_pattern(terms_t)))
    return Taxonomy(tuple(aspects), source, hashlib.sha1(raw.encode()).hexdigest()[:10])


def workspace_taxonomy(data_dir: str | Path | None) -> Taxonomy:
    """The workspace's own ``aspects.yaml`` if it has one, else the packaged taxonomy."""
    return load_taxonomy(Path(data_dir) / "aspects.yaml" if data_dir else None)


def clip_text(text: str) -> str:
    """The part of ``text`` that is analysed: all of it up to MAX_TEXT_CHARS, else its
    first MAX_TEXT_CHARS characters, cut back to a word boundary when one is near."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    head = text[:MAX_TEXT_CHARS]
    if not text[MAX_TEXT_CHARS].isspace():
        m = re.search(r"\s\S*\Z", head[-_CLIP_BACKOFF:])
        if m:
            head = head[: len(head) - _CLIP_BACKOFF + m.start()]
    return head.rstrip()


def split_clauses(text: str) -> list[str]:
    """Sentences of the analysed part of ``text`` (see :func:`clip_text`), further cut
    at contrast words; empty pieces dropped."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(clip_text(text or "")):
        sentence = sentence.strip()
        if not sentence:
            continue
        # "Although the sound is great, the battery dies": the concession ends at the comma.
        if _LEADING_CONCESSIVE.match(sentence) and "," in sentence:
            head, tail = sentence.split(",", 1)
            pieces = [head, *_CONTRAST.split(tail)]
        else:
            pieces = _CONTRAST.split(sentence)
        pieces = [c for piece in pieces for c in split_chinese(piece)]
        for piece in pieces:
            piece = _LEADING_CONCESSIVE.sub("", piece.rstrip()).strip(" ,;:-")
            if re.search(r"\w", piece):
                out.append(piece)
    return out


def polarity(score: float) -> str:
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


class AspectVectors(np.ndarray):
    """Aspect description vectors that carry the similarity thresholds of the model
    that made them, so whoever holds the vectors compares on the right scale."""

    scale: Scale = MINILM_SCALE

    def __array_finalize__(self, obj) -> None:
        self.scale = getattr(obj, "scale", MINILM_SCALE)


def aspect_matrix(taxonomy: Taxonomy, embedder) -> np.ndarray:
    """One normalised vector per aspect (its description); cache it per taxonomy."""
    vecs = np.asarray(embedder.encode([a.description for a in taxonomy.aspects]), np.float32).view(
        AspectVectors
    )
    vecs.scale = scale_for(embedder)
    return vecs


def _embedding_aspect(sims: np.ndarray, scale: Scale) -> int | None:
    order = np.argsort(-sims)
    best = int(order[0])
    runner = float(sims[order[1]]) if len(order) > 1 else -1.0
    if sims[best] >= scale.aspect_similarity and sims[best] - runner >= scale.aspect_margin:
        return best
    return None


def clause_aspects(
    clauses: list[str],
    clause_vecs: np.ndarray | None,
    taxonomy: Taxonomy,
    aspect_vecs,
    scale: Scale | None = None,
) -> list[list[tuple[str, str, str]]]:
    """Per clause: (aspect_id, term, how) found by term match, else by similarity
    (on the scale of the model that made ``aspect_vecs``, unless ``scale`` is given)."""
    scale = scale or getattr(aspect_vecs, "scale", MINILM_SCALE)
    sims = None
    if clause_vecs is not None and aspect_vecs is not None and len(clauses):
        sims = clause_vecs @ np.asarray(aspect_vecs).T
    result = []
    for i, clause in enumerate(clauses):
        found = []
        for aspect in taxonomy.aspects:
            m = aspect.pattern.search(clause)
            if m:
                found.append((aspect.id, m.group().lower(), "term"))
        if not found and sims is not None:
            best = _embedding_aspect(sims[i], scale)
            if best is not None:
                found.append((taxonomy.aspects[best].id, "", "similarity"))
        result.append(found)
    return result


def analyze_aspects(
    texts: list[str], *, taxonomy: Taxonomy, scorer: Scorer, embedder=None, aspect_vecs=None
) -> list[list[dict]]:
    """For each text, one dict per aspect mention: aspect, term, polarity, score, clause.

    An aspect mentioned in several clauses of one text is reported once, with the
    strongest-scoring clause (a review that says the battery is "fine" and later that
    it "died" is a battery complaint).
    """
    per_text = [split_clauses(t) for t in texts]
    flat = [c for clauses in per_text for c in clauses]
    vecs = np.asarray(embedder.encode(flat), np.float32) if embedder is not None and flat else None
    if vecs is not None and aspect_vecs is None:
        aspect_vecs = aspect_matrix(taxonomy, embedder)
    scores = scorer.score(flat, vecs) if flat else np.zeros(0)
    found = clause_aspects(flat, vecs, taxonomy, aspect_vecs)
    out, pos = [], 0
    for clauses in per_text:
        best: dict[str, dict] = {}
        for j, clause in enumerate(clauses):
            s = float(scores[pos + j])
            for aspect_id, term, how in found[pos + j]:
                prev = best.get(aspect_id)
                if prev is None or abs(s) > abs(prev["score"]):
                    best[aspect_id] = {
                        "aspect": aspect_id,
                        "term": term,
                        "polarity": polarity(s),
                        "score": round(s, 4),
                        "clause": clause,
                        "matched_by": how,
                    }
        out.append(list(best.values()))
        pos += len(clauses)
    return out


def term_polarity(
    text: str, term: str, *, taxonomy: Taxonomy, scorer: Scorer, embedder=None, aspect_vecs=None
) -> dict:
    """Polarity towards ``term`` (a word or an aspect id) in ``text``: the clause that
    mentions it is scored, not the whole text. Without a literal mention, the clause
    closest in meaning to the term is used (needs an embedder)."""
    return term_polarities([(text, term)], taxonomy=taxonomy, scorer=scorer, embedder=embedder)[0]


@dataclass(frozen=True)
class _Mention:
    term: str
    aspect: Aspect | None
    pattern: re.Pattern
    hits: list[str]
    how: str  # "term" (the words are there) or "similarity" (the closest clause)


def _find_mention(text: str, term: str, taxonomy: Taxonomy, embedder) -> _Mention:
    term = (term or "").strip()
    if not term:
        raise UserError("an aspect term must not be empty")
    clauses = split_clauses(text) or [clip_text(text or "")]
    aspect = next((a for a in taxonomy.aspects if a.id == term.lower()), None)
    pattern = aspect.pattern if aspect else _term_pattern((term,))
    hits = [c for c in clauses if pattern.search(c)]
    if not hits and aspect is None:
        # A term from the taxonomy's vocabulary ("charge") also finds its aspect's words.
        owner = next((a for a in taxonomy.aspects if a.pattern.fullmatch(term)), None)
        if owner is not None:
            aspect = owner
            pattern = owner.pattern
            hits = [c for c in clauses if pattern.search(c)]
    how = "term"
    if not hits and embedder is not None:
        vecs = np.asarray(embedder.encode([*clauses, aspect.description if aspect else term]))
        sims = vecs[:-1] @ vecs[-1]
        if float(sims.max()) >= scale_for(embedder).aspect_similarity:
            hits, how = [clauses[int(np.argmax(sims))]], "similarity"
    if aspect is None:
        aspect = next((a for a in taxonomy.aspects if a.pattern.fullmatch(term)), None)
    return _Mention(term, aspect, pattern, hits, how)


def term_polarities(
    pairs: list[tuple[str, str]], *, taxonomy: Taxonomy, scorer: Scorer, embedder=None
) -> list[dict]:
    """:func:`term_polarity` for each (text, term), the target-dependent model called
    once for all of them (a batched call costs half as much per term)."""
    mentions = [_find_mention(text, term, taxonomy, embedder) for text, term in pairs]
    target_scores = getattr(scorer, "target_scores", None)
    spans, owners = [], []
    if target_scores is not None and embedder is not None:
        for i, ((text, _), m) in enumerate(zip(pairs, mentions, strict=True)):
            if m.how == "term":
                # Target-dependent: how the sentence feels about these words, not the
                # clause's mood.
                for clause in m.hits:
                    spans.append(_sentence_span(clip_text(text or ""), clause, m.pattern))
                    owners.append(i)
    targeted = target_scores(spans, embedder) if spans else None
    by_owner: dict[int, list[float]] = {}
    if targeted is not None:
        for i, s in zip(owners, targeted, strict=True):
            by_owner.setdefault(i, []).append(float(s))
    out = []
    for i, m in enumerate(mentions):
        base = {"aspect": m.aspect.id if m.aspect else None, "term": m.term}
        if not m.hits:
            out.append(
                {**base, "polarity": None, "score": None, "clause": None, "mentioned": False}
            )
            continue
        scores = by_owner.get(i)
        if scores is None:
            scores = scorer.score(m.hits, np.asarray(embedder.encode(m.hits)) if embedder else None)
        k = int(np.argmax(np.abs(scores)))
        s = float(scores[k])
        out.append(
            {
                **base,
                "polarity": polarity(s),
                "score": round(s, 4),
                "clause": m.hits[k],
                "mentioned": True,
                "matched_by": m.how,
            }
        )
    return out


def _sentence_span(text: str, clause: str, pattern: re.Pattern) -> tuple[str, int, int]:
    """The sentence of ``text`` holding ``clause``, and where the term sits in it."""
    for sentence in _SENTENCE_END.split(text):
        if clause in sentence:
            at = sentence.index(clause)
            m = pattern.search(clause)
            return sentence, at + m.start(), at + m.end()
    m = pattern.search(clause)
    return clause, m.start(), m.end()
