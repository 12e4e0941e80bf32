"""Names to ids: products by a few words of a title, a brand or a typo; categories
in any spelling ("Movies & TV", "Gift_Cards", "all beauty"); customer ids by looking
them up in the store, never by their shape.

Matching combines a lexical score (rapidfuzz over titles, brands and categories,
weighted by how rare each matched word is) with an embedding score (the same
sentence model as the review index) and reports a confidence, so a caller can ask a
clarifying question when two candidates are close.
"""

from __future__ import annotations

import math
import re
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from assistant.errors import NotFoundError, UserError
from tools.context import ToolContext, errors_as_data

# Above this many products titles are matched lexically only: embedding every title
# of a very large catalog on first use would stall the first question.
MAX_EMBEDDED_TITLES = 20_000
# Two candidates closer than this in confidence are reported as ambiguous.
AMBIGUITY_MARGIN = 0.08
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(str(text or "").lower())


def normalise(text: str) -> str:
    """'Gift_Cards', 'Movies & TV' and 'all beauty' become comparable word strings."""
    return " ".join(w for w in words(text.replace("&", " and ")) if w != "and")


@dataclass
class Catalog:
    """Products and categories held in memory for matching (one per tool context)."""

    ids: list[str]
    titles: list[str]
    brands: list[str]
    categories: list[str]
    category_names: list[str]  # distinct categories
    doc_words: list[set[str]]
    idf: dict[str, float]
    vocab: list[str]
    _embeddings: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._known = set(self.vocab)

    @classmethod
    def load(cls, cursor) -> Catalog:
        rows = cursor.execute(
            "SELECT product_id, coalesce(title, ''), coalesce(brand, ''), coalesce(category, '') "
            "FROM products ORDER BY product_id"
        ).fetchall()
        ids = [r[0] for r in rows]
        titles, brands, cats = [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
        doc_words = [set(words(f"{t} {b}")) for t, b in zip(titles, brands, strict=True)]
        df = Counter(w for ws in doc_words for w in ws)
        n = max(len(rows), 1)
        idf = {w: math.log(1 + n / c) for w, c in df.items()}
        category_names = sorted({c for c in cats if c})
        # Category words count as catalog words too ("movies" names "Movies & TV").
        vocab = set(df) | {w for c in category_names for w in words(c)}
        return cls(ids, titles, brands, cats, category_names, doc_words, idf, sorted(vocab))

    def embeddings(self, embedder) -> np.ndarray | None:
        if (
            self._embeddings is None
            and embedder is not None
            and len(self.ids) <= MAX_EMBEDDED_TITLES
        ):
            texts = [f"{b} {t}".strip() for t, b in zip(self.titles, self.brands, strict=True)]
            self._embeddings = np.asarray(embedder.encode(texts), dtype=np.float32)
        return self._embeddings

    def correct(self, word: str) -> str | None:
        """The catalog word a (possibly misspelt) query word stands for, or None."""
        if word in self.idf or word in self._known:
            return word
        if len(word) < 4 or not self.vocab:
            return None
        hit = process.extractOne(word, self.vocab, scorer=fuzz.ratio, score_cutoff=80)
        return hit[0] if hit else None


_THREADS_LOCK = threading.Lock()


@contextmanager
def _one_thread():
    """Torch on one thread for the span of a short query encode. On a busy 2-core
    machine a one-sentence encode takes ~40 ms on one thread but ~600 ms on two,
    because the intra-op threads wait for each other."""
    # Only when torch is already loaded: importing it (seconds) just to pin threads
    # cost every command whose vectors all came from the embedding cache.
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def encode_queries(embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of a few short query texts (questions, product mentions)."""
    with _one_thread():
        return np.asarray(embedder.encode(texts), dtype=np.float32)


def catalog(ctx: ToolContext) -> Catalog:
    return ctx.cached("catalog", lambda: Catalog.load(ctx.cursor()))


def _embedder(ctx: ToolContext):
    try:
        return ctx.embedder
    except RuntimeError:
        return None


# Words that do not distinguish a category ("All Beauty" is named by "beauty").
_CATEGORY_STOP = {"all", "and", "the", "other", "misc", "general", "more", "products"}


def _same_word(a: str, b: str) -> bool:
    return a.rstrip("s") == b.rstrip("s") or (min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 85)


def match_categories(cat: Catalog, text: str, limit: int = 3, cutoff: float = 75) -> list[dict]:
    """Categories named in ``text``: the whole of it, or every distinguishing word of the
    category somewhere in it (plurals and small typos allowed)."""
    query = normalise(text)
    if not query or not cat.category_names:
        return []
    qwords = query.split()
    out = []
    for name in cat.category_names:
        norm = normalise(name)
        cwords = [w for w in norm.split() if w not in _CATEGORY_STOP] or norm.split()
        covered = all(any(_same_word(c, q) for q in qwords) for c in cwords)
        score = max(fuzz.ratio(query, norm), 100.0 if covered else 0.0)
        if score >= cutoff:
            out.append({"category": name, "confidence": round(score / 100, 3)})
    out.sort(key=lambda c: (-c["confidence"], c["category"]))
    return out[:limit]


def find_product(ctx: ToolContext, text: str, k: int = 5) -> dict:
    """Products (and categories) a free-text mention most likely names, ranked."""
    text = (text or "").strip()
    if not text:
        raise UserError("find_product needs some words of the product's name, brand or id")
    k = max(1, min(int(k), 20))
    cat = catalog(ctx)
    if not cat.ids:
        raise NotFoundError("the store has no products", hint="ingest a catalog first")
    categories = match_categories(cat, text)
    exact = {i.lower(): n for n, i in enumerate(cat.ids)}
    if text.lower() in exact:
        best = [(exact[text.lower()], 1.0)]
    else:
        best = _rank(ctx, cat, text, k)
    candidates = [
        {
            "product_id": cat.ids[i],
            "title": cat.titles[i],
            "brand": cat.brands[i],
            "category": cat.categories[i],
            "confidence": round(float(score), 3),
        }
        for i, score in best
    ]
    ambiguous = len(candidates) > 1 and (
        candidates[0]["confidence"] - candidates[1]["confidence"] < AMBIGUITY_MARGIN
    )
    return {
        "query": text,
        "candidates": candidates,
        "categories": categories,
        "ambiguous": bool(ambiguous),
        "n": len(cat.ids),
        "evidence": {"products": [c["product_id"] for c in candidates]},
    }


def _rank(ctx: ToolContext, cat: Catalog, text: str, k: int) -> list[tuple[int, float]]:
    query_words = [w for w in words(text) if len(w) > 1 or w.isdigit()]
    corrected = [c for c in (cat.correct(w) for w in query_words) if c]
    unique = set(corrected)
    weight = sum(cat.idf.get(w, 0.0) for w in unique) or 1.0
    # Rare words weigh more, but every named word counts: "tempo 3" is not "tempo s".
    lexical = np.array(
        [
            0.5 * sum(cat.idf.get(w, 0.0) for w in unique if w in doc) / weight
            + 0.5 * sum(1 for w in unique if w in doc) / max(len(query_words), 1)
            for doc in cat.doc_words
        ],
        dtype=np.float32,
    )
    # Whole-string fuzzy score catches typos that defeat word matching.
    fuzzy = np.zeros(len(cat.ids), dtype=np.float32)
    choices = [f"{b} {t}" for t, b in zip(cat.titles, cat.brands, strict=True)]
    for _, score, idx in process.extract(
        text, choices, scorer=fuzz.token_set_ratio, limit=min(len(choices), 50)
    ):
        fuzzy[idx] = score / 100
    score = 0.6 * lexical + 0.2 * fuzzy
    emb = cat.embeddings(_embedder(ctx))
    if emb is not None:
        q = encode_queries(_embedder(ctx), [text])[0]
        score += 0.2 * np.clip(emb @ q, 0, 1)
    else:
        score /= 0.8
    order = np.argsort(-score, kind="stable")[:k]
    return [(int(i), float(min(score[i], 1.0))) for i in order if score[i] > 0]


def resolve_category(ctx: ToolContext, text: str) -> str:
    """The store's spelling of a category named in any spelling."""
    cat = catalog(ctx)
    hits = match_categories(cat, text, limit=5, cutoff=60)
    if hits and hits[0]["confidence"] >= 0.85:
        return hits[0]["category"]
    raise NotFoundError(
        f"no category matches {text!r}",
        suggestions=[h["category"] for h in hits] or cat.category_names[:5],
    )


def resolve_customer_id(ctx: ToolContext, text: str) -> str:
    """The customer id as stored: exact, then case-insensitive; else suggestions."""
    raw = (text or "").strip()
    if not raw:
        raise UserError("a customer id is needed")
    cur = ctx.cursor()
    row = cur.execute(
        "SELECT customer_id FROM customers WHERE customer_id = ? "
        "UNION ALL SELECT customer_id FROM customers WHERE lower(customer_id) = lower(?) LIMIT 1",
        [raw, raw],
    ).fetchone()
    if row:
        return row[0]
    raise NotFoundError(f"no such customer {raw!r}", suggestions=similar_ids(ctx, raw, "customers"))


def id_key(raw: str) -> str:
    """An id without case, separators or zero padding: "C-0042" and "c42" agree."""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", re.sub(r"[^a-z0-9]", "", raw.lower()))


def similar_ids(ctx: ToolContext, raw: str, table: str, limit: int = 5) -> list[str]:
    """Stored ids that look like ``raw`` (typo, missing zero padding, other case)."""
    column = {"customers": "customer_id", "products": "product_id"}[table]
    key = id_key(raw)
    ids = ctx.cached(
        f"ids:{table}",
        lambda: [r[0] for r in ctx.cursor().execute(f"SELECT {column} FROM {table}").fetchall()],  # noqa: S608 -- table and column come from the fixed customers/products map
    )
    # The same id with other zero padding or case first, then near misses (a typo, an
    # extra or missing character).
    padded = [i for i in ids if id_key(i) == key]
    hits = [
        h[0] for h in process.extract(raw, ids, scorer=fuzz.ratio, limit=limit, score_cutoff=70)
    ]
    return list(dict.fromkeys(padded + hits))[:limit]


def lookup_ids(ctx: ToolContext, tokens: list[str]) -> dict[str, dict[str, str]]:
    """Which of ``tokens`` are stored customer / product ids (case-insensitive)."""
    tokens = sorted({t for t in tokens if t})
    out: dict[str, dict[str, str]] = {"customers": {}, "products": {}}
    if not tokens:
        return out
    cur = ctx.cursor()
    lowered = [t.lower() for t in tokens]
    for table, column in (("customers", "customer_id"), ("products", "product_id")):
        rows = cur.execute(
            f"SELECT {column} FROM {table} WHERE lower({column}) IN (SELECT unnest(?))",  # noqa: S608 -- table and column are the loop's constants; values are parameters
            [lowered],
        ).fetchall()
        by_lower = {r[0].lower(): r[0] for r in rows}
        for t in tokens:
            if t.lower() in by_lower:
                out[table][t] = by_lower[t.lower()]
    return out


class FindProductArgs(BaseModel):
    text: str = Field(
        description="Words naming the product: part of its title, its brand, or its id."
    )
    k: int = Field(default=5, ge=1, le=20, description="How many candidates to return.")


def build_tools(ctx: ToolContext) -> list[BaseTool]:
    @errors_as_data
    def _find_product(text: str, k: int = 5) -> dict:
        """Resolve a product named in words (title fragment, brand, typo or id) to ranked
        candidates with a confidence, plus matching categories. Use before tools that
        need a product_id when the user named the product in words."""
        return find_product(ctx, text, k)

    return [
        StructuredTool.from_function(
            _find_product, name="find_product", args_schema=FindProductArgs
        )
    ]
