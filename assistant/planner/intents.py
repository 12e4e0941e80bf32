"""Which tool(s) a question needs: nearest exemplar questions (prompts/intents.yaml,
embedded with the same sentence model as the reviews) plus keyword cues.

A question that asks for several things ("profile of C00042 and what to recommend
them") is split into clauses; each clause may add its own tool.

Chinese questions (assistant/planner/language.py) are scored against the Chinese
exemplars of prompts/intents.zh.yaml and the English ones together, always with the
multilingual embedder: an English shop's MiniLM reads Chinese as [UNK], so its scores
would say nothing. The English path never sees the Chinese exemplars.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from assistant.planner.language import question_language
from assistant.planner.resources import prompts
from assistant.templates import DATA, declare
from tools.catalog import encode_queries
from vectorstore.model_scales import scale_for

# Thresholds are per embedding model (vectorstore/model_scales.py): a cue is strong
# evidence but not decisive (intent_cue_bonus: a clause with a cue and a middling
# exemplar match beats a slightly closer exemplar without one); below
# intent_min_score a question looks like no tool's exemplars (with a cue,
# intent_min_score_cue is enough); a clause adds a second tool only at
# intent_clause_score.
OUT_OF_SCOPE = "out_of_scope"
# The Chinese exemplars are data, like the English ones.
declare("intents.zh.yaml", {"intents": DATA, OUT_OF_SCOPE: DATA})
_SPLIT = re.compile(
    r"\?|;|\.\s|\band then\b|\balso\b|\bplus\b|,?\s+\band\b\s+(?=what|which|who|how|show|give|list|suggest|recommend|tell|find|their|his|her|the|any)",
    re.I,
)
# Chinese clauses: question and sentence marks, and the words that join two requests
# ("C00042 的画像，还有应该推荐什么"). A comma alone does not split: Chinese runs
# conditions together with commas ("上个月，耳机的差评").
_SPLIT_ZH = re.compile(
    r"[？?；;。！!]|[，,]\s*(?:还有|以及|另外|并且|同时|然后)|以及|另外|"
    r"(?:还有|并且|然后|再|和)(?=给|看|推荐|列|找|说|告诉|查|他|她|它|该|应该|哪|什么|怎么|多少|有没有|谁)"
)


@dataclass(frozen=True)
class Intent:
    tool: str
    score: float
    cue: bool


class IntentModel:
    """Exemplar embeddings for one embedder and question language, built once and shared."""

    _lock = threading.Lock()
    _instances: dict[tuple[int, str], IntentModel] = {}

    def __init__(self, embedder, lang: str = "en") -> None:
        specs = [prompts("intents.yaml")]
        if lang == "zh":
            specs.append(prompts("intents.zh.yaml"))
        self.embedder = embedder
        self.lang = lang
        self.scale = scale_for(embedder, lang)
        self.cues: dict[str, list[re.Pattern]] = {}
        labels, texts = [], []
        for spec in specs:
            for tool, entry in spec["intents"].items():
                self.cues.setdefault(tool, [])
                self.cues[tool] += [re.compile(c, re.I) for c in entry.get("cues", [])]
                for ex in entry["examples"]:
                    labels.append(tool)
                    texts.append(ex)
            for ex in spec[OUT_OF_SCOPE]["examples"]:
                labels.append(OUT_OF_SCOPE)
                texts.append(ex)
        self.labels = np.array(labels)
        self.tools = list(specs[0]["intents"])
        self.vectors = np.asarray(embedder.encode(texts), dtype=np.float32)

    @classmethod
    def for_embedder(cls, embedder, lang: str = "en") -> IntentModel:
        with cls._lock:
            key = (id(embedder), lang)
            if key not in cls._instances:
                cls._instances[key] = cls(embedder, lang)
            return cls._instances[key]

    @classmethod
    def for_question(cls, embedder, question: str) -> IntentModel:
        """The model that reads ``question``: the shop's embedder for English, the
        multilingual one for Chinese (the shop's own when it is multilingual)."""
        if question_language(question) != "zh":
            return cls.for_embedder(embedder)
        return cls.for_embedder(multilingual(embedder), "zh")

    def _encode(self, texts: list[str]) -> np.ndarray:
        return encode_queries(self.embedder, texts)

    def rank(self, text: str, vector: np.ndarray | None = None) -> list[Intent]:
        """Tools ordered by score (exemplar similarity + cue bonus); out_of_scope included."""
        v = self._encode([text])[0] if vector is None else vector
        sims = self.vectors @ v
        out = []
        for tool in [*self.tools, OUT_OF_SCOPE]:
            best = np.sort(sims[self.labels == tool])[-2:]
            # Mean of the two nearest exemplars: one lucky neighbour is not enough.
            score = float(best.mean()) if len(best) else 0.0
            cue = any(p.search(text) for p in self.cues.get(tool, []))
            out.append(Intent(tool, score + (self.scale.intent_cue_bonus if cue else 0.0), cue))
        out.sort(key=lambda i: -i.score)
        return out

    def classify(self, question: str) -> tuple[list[Intent], list[Intent]]:
        """(chosen tools in the order asked, full ranking of the whole question)."""
        clauses = split_clauses(question, self.lang)
        texts = [question, *clauses] if len(clauses) > 1 else [question]
        vectors = self._encode(texts)
        whole = self.rank(question, vectors[0])
        chosen: list[Intent] = []
        top = whole[0]
        if top.tool != OUT_OF_SCOPE and (
            top.score >= self.scale.intent_min_score
            or (top.cue and top.score >= self.scale.intent_min_score_cue)
        ):
            chosen.append(top)
        for clause, vec in zip(texts[1:], vectors[1:], strict=True):
            best = self.rank(clause, vec)[0]
            if (
                best.tool == OUT_OF_SCOPE
                or best.score < self.scale.intent_clause_score
                or not best.cue
            ):
                continue
            if all(best.tool != c.tool for c in chosen):
                chosen.append(best)
        # Keep the order in which the clauses asked for things.
        position = {c.tool: _first_position(question, self.cues.get(c.tool, [])) for c in chosen}
        chosen.sort(key=lambda c: position[c.tool])
        return chosen, whole


def split_clauses(question: str, lang: str = "en") -> list[str]:
    """The parts of a question that may each ask for something."""
    if lang == "zh":
        # Chinese has no spaces to count words by: a clause needs a few characters.
        parts = [c.strip(" ，,、") for c in _SPLIT_ZH.split(question) if c]
        return [c for c in parts if len(c) >= 4]
    return [c.strip() for c in _SPLIT.split(question) if c and len(c.split()) >= 2]


_MULTILINGUAL: list = []
_MULTILINGUAL_LOCK = threading.Lock()


def multilingual(embedder):
    """``embedder`` when it reads Chinese, else the packaged multilingual model, loaded
    once per process (an English shop's index keeps its own model)."""
    from vectorstore.embeddings import E5, load_embedder

    if getattr(embedder, "name", "") == E5:
        return embedder
    with _MULTILINGUAL_LOCK:
        if not _MULTILINGUAL:
            _MULTILINGUAL.append(load_embedder(E5))
        return _MULTILINGUAL[0]


def _first_position(text: str, cues: list[re.Pattern]) -> int:
    hits = [m.start() for p in cues if (m := p.search(text))]
    return min(hits) if hits else len(text)


_TOKEN = re.compile(r"[A-Za-z]+")
# Words the period parser and argument extraction look for, so typos in them are fixed too.
_EXTRA_WORDS = (
    "quarter month year week weeks months years days since until before after last past "
    "january february march april june july august september october november december "
    "revenue spend spent stars star rating ratings rated negative positive complaints inactive"
)


class Speller:
    """Fixes typos in question words against the exemplar vocabulary (and catalog words)."""

    def __init__(self, extra: list[str] | None = None) -> None:
        spec = prompts("intents.yaml")
        texts = [ex for e in spec["intents"].values() for ex in e["examples"]]
        vocab = {w.lower() for t in texts for w in _TOKEN.findall(t)}
        vocab |= set(_EXTRA_WORDS.split()) | {w.lower() for w in extra or []}
        self.vocab = sorted(w for w in vocab if len(w) >= 3)
        self.known = set(self.vocab)

    def fix(self, text: str, keep: set[str] | None = None) -> str:
        from rapidfuzz import fuzz, process

        keep = keep or set()

        def repl(m: re.Match) -> str:
            word = m.group(0)
            low = word.lower()
            if len(low) < 4 or low in self.known or low in keep:
                return word
            hit = process.extractOne(low, self.vocab, scorer=fuzz.ratio, score_cutoff=87)
            return hit[0] if hit else word

        return _TOKEN.sub(repl, text)
