"""Target-dependent aspect polarity: how a sentence feels about one term in it.

Scoring the whole clause that mentions a term gives the clause's mood, which is not
always the term's: "the screen is fine, the keyboard is awful" has two targets and
"I bought it for the battery" none. This head (tools/heads/general-aspect, fitted on
SemEval-14 train by tools.train_general_heads) reads features centred on the term. The
tuned encoder (tools.aspect_encoder) reads the term better and is used where it is
shipped; this head is the fallback without it and the bench's previous row:

- the encoder's own contextual vectors of the term's tokens, read in its sentence
  (what the sentence says *about* those words), and the sentence's mean token vector;
- the embedding of the clause that holds the term (contrast words end a clause, so
  "but" limits the scope) and of a window of WINDOW words either side;
- VADER's scores of the clause, the window and the sentence, and the term's position.

Cost is one encoder pass per sentence plus two short texts per term: linear in length.
"""

from __future__ import annotations

import re

import numpy as np

from tools.aspects import clip_text, split_clauses
from tools.sentiment import vader_features

ASPECT_LABELS = ("negative", "neutral", "positive")
WINDOW = 3
# Sentences are read up to this many tokens for the term's contextual vector.
MAX_TOKENS = 256


def _window(text: str, start: int, end: int, k: int = WINDOW) -> str:
    left = text[:start].split()[-k:]
    right = text[end:].split()[:k]
    return " ".join([*left, text[start:end], *right])


def _clause(text: str, start: int, end: int) -> str:
    """The clause of ``text`` holding the span, found by its words (clauses are
    stripped pieces of the text, so their offsets are searched for in order)."""
    pos = 0
    for clause in split_clauses(text):
        at = text.find(clause, pos)
        if at < 0:
            continue
        if at <= start < at + len(clause) or at < end <= at + len(clause):
            return clause
        pos = at + len(clause)
    return text


def term_token_vectors(embedder, items: list[tuple[str, int, int]]) -> np.ndarray:
    """Per (sentence, start, end): mean contextual vector of the term's tokens and the
    sentence's mean token vector, each L2-normalised, from the encoder's transformer."""
    import torch

    st = embedder.model
    tokenizer, transformer = st.tokenizer, st[0].auto_model
    dim = int(transformer.config.hidden_size)
    out = np.zeros((len(items), 2 * dim), np.float32)
    with torch.inference_mode():
        for lo in range(0, len(items), 32):
            batch = items[lo : lo + 32]
            enc = tokenizer(
                [t for t, _, _ in batch],
                return_offsets_mapping=True,
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping")
            hidden = transformer(**enc).last_hidden_state
            mask = enc["attention_mask"].bool()
            for j, (_, start, end) in enumerate(batch):
                span = (offsets[j, :, 0] < end) & (offsets[j, :, 1] > start)
                span &= offsets[j, :, 1] > offsets[j, :, 0]
                if not bool(span.any()):
                    span = mask[j]
                term = hidden[j][span].mean(0).numpy()
                whole = hidden[j][mask[j]].mean(0).numpy()
                out[lo + j, :dim] = term / (np.linalg.norm(term) or 1.0)
                out[lo + j, dim:] = whole / (np.linalg.norm(whole) or 1.0)
    return out


def aspect_features(embedder, items: list[tuple[str, int, int]]) -> np.ndarray:
    """The aspect head's input for each (sentence, start, end) of a term."""
    if not items:
        raise ValueError("aspect_features needs at least one (text, start, end)")
    items = [(clip_text(t), s, e) for t, s, e in items]
    for t, s, e in items:
        if not 0 <= s < e <= len(t):
            raise ValueError(f"term span {s}:{e} is outside its text ({len(t)} chars)")
    clauses = [_clause(t, s, e) for t, s, e in items]
    windows = [_window(t, s, e) for t, s, e in items]
    sentences = [t for t, _, _ in items]
    tokens = term_token_vectors(embedder, items)
    c_vec = np.asarray(embedder.encode(clauses), np.float32)
    w_vec = np.asarray(embedder.encode(windows), np.float32)
    position = np.array([[s / max(1, len(t))] for t, s, _ in items], np.float32)
    return np.hstack(
        [
            tokens,
            c_vec,
            w_vec,
            2.0 * vader_features(clauses),
            2.0 * vader_features(windows),
            2.0 * vader_features(sentences),
            position,
        ]
    ).astype(np.float32)


def find_term(text: str, term: str) -> tuple[int, int] | None:
    """Where ``term`` first occurs in ``text`` as whole words (case-insensitive)."""
    body = re.escape(term.strip()).replace(r"\ ", r"\s+")
    m = re.search(rf"(?<![\w-]){body}(?![\w-])", text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None
