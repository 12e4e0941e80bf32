"""One resolver for every name or id a tool, the planner or a web panel receives:
products, categories, brands, customer ids, aspects and dates.

Before this module each tool matched names its own way, so "kitchn" found Kitchen in
one tool and was "not found" in the next. Now a name resolves to the same thing
wherever it is typed, and a miss carries the same suggestions.

The thresholds below are the only ones. Confidences are in [0, 1]; ratios are
rapidfuzz scores in [0, 100].

==========================  =====  ==================================================
WORD_TYPO_RATIO              80    a question word stands for a catalog word it is this
                                   close to ("skilet" -> "skillet"); words of 4+ letters
CATEGORY_WORD_RATIO          85    two words of 5+ letters are the same category word
                                   ("kitchn" ~ "kitchen"); plurals always are
NAME_ACCEPT                  0.85  a category or brand name is taken at this confidence
                                   (the whole name fuzzy-equal, or every distinguishing
                                   word of it named)
CATEGORY_LIST                0.75  categories listed beside find_product's candidates
PRODUCT_ACCEPT               0.45  find_product's top candidate is taken at this
                                   confidence (lexical + fuzzy + embedding score)
AMBIGUITY_MARGIN             0.08  two candidates closer than this: ask which one
CHOICE_FLOOR                 0.35  below PRODUCT_ACCEPT but at least this: offer the
                                   candidates as choices rather than "not found"; the
                                   best by one signal alone is offered from this score
ID_SUGGEST_RATIO             70    a stored id is suggested for a mistyped one
NAME_SUGGEST_SCORE           50    a name (category, brand, segment, aspect) is
                                   suggested for one that matched nothing (WRatio)
==========================  =====  ==================================================

Ids are recognised by looking them up, never by their shape: exact, then any case.
A tool never guesses further: "C001239" must not quietly become C01239, so a miss
suggests the ids that differ only in zero padding first, then near misses. A person
typing a question may shorten an id ("profile of C42"): the planner takes the one
stored id that the text abbreviates by leaving out zeros (``shorthand_id``).

Aspects come from the workspace's taxonomy, carried by the ToolContext
(``ctx.aspect_taxonomy``), so an aspect a shop adds is recognised in chat as well as
labelled. Dates: tools take ISO days, checked here; periods named in words ("since
March", "last quarter") are read by the planner (assistant/planner/periods.py),
which needs the pinned "today" of a conversation that a tool does not have.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from rapidfuzz import fuzz, process

from assistant.errors import NotFoundError, UserError
from tools import aliases as alias_table
from tools.bm25 import CJK_RUN
from tools.context import ToolContext
from vectorstore.embeddings import one_torch_thread
from vectorstore.model_scales import scale_for

WORD_TYPO_RATIO = 80
CATEGORY_WORD_RATIO = 85
NAME_ACCEPT = 0.85
CATEGORY_LIST = 0.75
PRODUCT_ACCEPT = 0.45
AMBIGUITY_MARGIN = 0.08
CHOICE_FLOOR = 0.35
# The signals a product mention is ranked by; the best candidate by each of them is
# always among the choices offered, whatever the blend ranks first.
SIGNALS = ("lexical", "fuzzy", "embedding")
ID_SUGGEST_RATIO = 70
NAME_SUGGEST_SCORE = 50
SUGGESTIONS = 5
# Above this many products titles are matched lexically only: embedding every title
# of a very large catalog on first use would stall the first question.
MAX_EMBEDDED_TITLES = 20_000

_WORD = re.compile(r"[a-z0-9]+")
_WORD_OR_CJK = re.compile(rf"{CJK_RUN.pattern}|[a-z0-9]+")
# Words that do not distinguish a category ("All Beauty" is named by "beauty").
_CATEGORY_STOP = {"all", "and", "the", "other", "misc", "general", "more", "products"}


# -- text ------------------------------------------------------------------------------
def words(text: str) -> list[str]:
    """Lower-case Latin words and numbers; Chinese runs cut into words (jieba, loaded on
    the first Chinese text: an English catalog never pays for it)."""
    text = str(text or "").lower()
    if not CJK_RUN.search(text):
        return _WORD.findall(text)
    out = []
    for tok in _WORD_OR_CJK.findall(text):
        out.extend(cjk_words(tok) if CJK_RUN.fullmatch(tok) else [tok])
    return out


def cjk_words(run: str, search: bool = False) -> list[str]:
    """The words of a run of Chinese characters; with ``search`` also the dictionary
    words inside longer ones ("电热水壶" -> 电热, 热水, 水壶, 电热水壶), so a title's long
    compound still meets the short word a question uses."""
    from tools.bm25 import _segmenter  # the one jieba instance (loaded once, thread-safe)

    seg = _segmenter()
    return [w for w in (seg.lcut_for_search(run) if search else seg.lcut(run)) if w.strip()]


def is_cjk(word: str) -> bool:
    return bool(CJK_RUN.search(word))


_JOINED = re.compile(r"^([a-z]+)(\d+)$|^(\d+)([a-z]+)$")


def split_joined(text: str, cat: Catalog) -> str:
    """ "tempo3" -> "tempo 3" when the joined word is not a catalog word but its letters
    are: people drop the space in model names."""
    out = []
    for w in words(text):
        m = _JOINED.match(w)
        if m and w not in cat._known:
            letters = m[1] or m[4]
            if len(letters) >= 3 and (letters in cat._known or cat.correct(letters)):
                out.append(" ".join(p for p in m.groups() if p))
                continue
        out.append(w)
    return " ".join(out)


def normalise(text: str) -> str:
    """'Gift_Cards', 'Movies & TV', 'running-shoes' and 'all beauty' become comparable
    word strings."""
    return " ".join(w for w in words(str(text or "").replace("&", " and ")) if w != "and")


def id_key(raw: str) -> str:
    """An id without case, separators or zero padding: "C-0042" and "c42" agree."""
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", re.sub(r"[^a-z0-9]", "", str(raw).lower()))


def same_word(a: str, b: str) -> bool:
    """Singular and plural, or a small typo in a longer word ("kitchn", "kitchens")."""
    return a.rstrip("s") == b.rstrip("s") or (
        min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= CATEGORY_WORD_RATIO
    )


def suggest(text: str, choices: list[str], limit: int = SUGGESTIONS) -> list[str]:
    """The choices most like ``text``, for a "not found" message."""
    if not choices:
        return []
    found = process.extract(
        str(text or ""), choices, scorer=fuzz.WRatio, processor=str.casefold, limit=limit
    )
    return [c for c, score, _ in found if score >= NAME_SUGGEST_SCORE]


# -- the catalog in memory ------------------------------------------------------------
@dataclass
class Catalog:
    """Products and categories held in memory for matching (one per catalog version)."""

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
        self.brand_names = sorted({b for b in self.brands if b})

    @classmethod
    def load(cls, cursor) -> Catalog:
        rows = cursor.execute(
            "SELECT product_id, coalesce(title, ''), coalesce(brand, ''), coalesce(category, '') "
            "FROM products ORDER BY product_id"
        ).fetchall()
        ids = [r[0] for r in rows]
        titles, brands, cats = [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
        doc_words = [_title_words(f"{t} {b}") for t, b in zip(titles, brands, strict=True)]
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
        # Two Chinese words a character apart are different words (水壶, 水杯).
        if len(word) < 4 or not self.vocab or is_cjk(word):
            return None
        hit = process.extractOne(word, self.vocab, scorer=fuzz.ratio, score_cutoff=WORD_TYPO_RATIO)
        return hit[0] if hit else None


def _title_words(text: str) -> set[str]:
    out = set()
    for w in words(text):
        out.add(w)
        if is_cjk(w):
            out.update(cjk_words(w, search=True))
    return out


def catalog(ctx: ToolContext) -> Catalog:
    """The catalog as stored now: reloaded when products are added or changed, so a
    long-running app sees a new ingest (one cheap fingerprint query per call)."""
    cur = ctx.cursor()
    version = cur.execute(
        "SELECT count(*), sum(hash(product_id, title, brand, category)) FROM products"
    ).fetchone()
    holder: dict = ctx.cached("catalog", dict)
    with ctx.cached("catalog_lock", threading.Lock):
        if holder.get("version") != version:
            holder.update(version=version, catalog=Catalog.load(cur))
        return holder["catalog"]


def encode_queries(embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of a few short query texts (questions, product mentions)."""
    with one_torch_thread():
        return np.asarray(embedder.encode(texts), dtype=np.float32)


def _embedder(ctx: ToolContext):
    try:
        return ctx.embedder
    except RuntimeError:
        return None


# -- categories and brands ----------------------------------------------------------
def match_categories(
    cat: Catalog, text: str, limit: int = 3, cutoff: float = CATEGORY_LIST
) -> list[dict]:
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
        covered = all(any(same_word(c, q) for q in qwords) for c in cwords)
        score = max(fuzz.ratio(query, norm), 100.0 if covered else 0.0)
        if score >= cutoff * 100:
            out.append({"category": name, "confidence": round(score / 100, 3)})
    # The exact spelling first when two categories are both covered ("Shoes" and
    # "Running Shoes" by "running shoes").
    out.sort(key=lambda c: (-c["confidence"], normalise(c["category"]) != query, c["category"]))
    return out[:limit]


def names_only(text: str, name: str) -> bool:
    """Whether every word of ``text`` is a word of ``name`` (plural, typo allowed):
    "kitchn" names Kitchen and nothing more; "kitchen scale" names more."""
    qwords, nwords = normalise(text).split(), normalise(name).split()
    return bool(qwords) and all(
        q in _CATEGORY_STOP or any(same_word(q, n) for n in nwords) for q in qwords
    )


def data_dir(ctx: ToolContext):
    """The workspace directory (where its aliases.yaml lives), when the context has one."""
    return ctx.models_dir.parent if ctx.models_dir else None


def _category_aliases(ctx: ToolContext, cat: Catalog) -> tuple[re.Pattern | None, list[str | None]]:
    """One pattern of every other-language name of the shop's categories (the alias
    table's groups that hold a category the shop has) and of the product kinds its
    titles use, longest first; the group name ``c<i>`` of a match says which shop name
    it stands for (None: a name the shop itself uses)."""
    table = alias_table.aliases(data_dir(ctx))

    def build():
        shop = {normalise(c): c for c in cat.category_names}
        alternatives, targets = [], []
        for canonical, others in table["categories"].items():
            names = [canonical, *others]
            own = next((shop[normalise(n)] for n in names if normalise(n) in shop), None)
            if own is None:
                continue
            for name in names:
                if name.strip():
                    # The shop's own names are matched too (and kept), so a longer own
                    # name wins over an alias inside it (厨房用品 holds 厨房).
                    targets.append(None if normalise(name) in shop else own)
                    alternatives.append(name)
        # A name that is a category here stays one (耳机 -> Headphones, not the kind).
        taken = {a.casefold() for a in alternatives}
        for canonical, others in table["kinds"].items():
            names = [n for n in [canonical, *others] if n.strip()]
            used = [n for n in names if _titles_use(cat, n)]
            if not used:
                continue  # nothing the shop sells goes by this kind
            for name in names:
                if name.casefold() not in taken:
                    taken.add(name.casefold())
                    targets.append(None if name in used else used[0])
                    alternatives.append(name)
        if not alternatives:
            return None, []
        order = sorted(range(len(alternatives)), key=lambda i: -len(alternatives[i]))
        body = "|".join(f"(?P<c{i}>{_name_pattern(alternatives[i])})" for i in order)
        return re.compile(body, re.I), targets

    return ctx.cached(f"category_aliases:{id(cat)}:{id(table)}", build)


def _name_pattern(name: str) -> str:
    """A name as a regex: Chinese anywhere (it sits between other characters), other
    names as whole words, any space between their words, a plural ending allowed."""
    if is_cjk(name):
        return re.escape(name)
    body = re.escape(name).replace(r"\ ", r"\s+")
    return rf"(?<![\w-]){body}(?:e?s)?(?![\w-])"


def _titles_use(cat: Catalog, name: str) -> bool:
    """Whether every word of ``name`` is a word of the shop's titles (singular or plural
    alike: "kettle" is used by "Electric Kettles")."""
    ws = words(name)
    return bool(ws) and all(
        w in cat.idf
        or (not is_cjk(w) and (f"{w}s" in cat.idf or f"{w}es" in cat.idf))
        or (not is_cjk(w) and w.endswith("s") and w[:-1] in cat.idf)
        for w in ws
    )


def localise_categories(ctx: ToolContext, text: str) -> str:
    """``text`` with each other-language name of a shop category or product kind
    replaced by the shop's own name (tools/aliases.yaml): 耳机 -> Headphones and 水壶 ->
    kettle in an English shop, "Running Shoes" -> 跑鞋 and "kettle" -> 电热水壶 in a
    Chinese one. Names the shop itself uses are left as they are."""
    text = str(text or "")
    if not text:
        return text
    pattern, targets = _category_aliases(ctx, catalog(ctx))
    if pattern is None:
        return text

    def repl(m: re.Match) -> str:
        target = targets[int(m.lastgroup[1:])]
        return m.group(0) if target is None else f" {target} "

    return re.sub(r"[ \t]{2,}", " ", pattern.sub(repl, text)).strip()


def category(ctx: ToolContext, text: str) -> str:
    """The store's spelling of a category named in any spelling or language (through
    the alias table)."""
    raw = str(text or "").strip()
    if not raw:
        raise UserError("a category name is needed")
    cat = catalog(ctx)
    hits = match_categories(cat, localise_categories(ctx, raw), limit=SUGGESTIONS, cutoff=0)
    accepted = [h for h in hits if h["confidence"] >= NAME_ACCEPT]
    if accepted:
        exact = [h for h in accepted if normalise(h["category"]) == normalise(raw)]
        close = [
            h for h in accepted if accepted[0]["confidence"] - h["confidence"] < AMBIGUITY_MARGIN
        ]
        if exact or len(close) == 1:
            return (exact or accepted)[0]["category"]
        raise NotFoundError(
            f"category {raw!r} could be any of: " + ", ".join(h["category"] for h in close),
            suggestions=[h["category"] for h in close],
        )
    raise NotFoundError(
        f"no category matches {raw!r}",
        suggestions=suggest(raw, cat.category_names) or cat.category_names[:SUGGESTIONS],
    )


def brand(ctx: ToolContext, text: str) -> str:
    """The store's spelling of a brand named in any case or with a small typo."""
    raw = str(text or "").strip()
    if not raw:
        raise UserError("a brand name is needed")
    names = catalog(ctx).brand_names
    query = normalise(raw)
    scored = sorted(
        ((fuzz.ratio(query, normalise(b)) / 100, b) for b in names), key=lambda s: (-s[0], s[1])
    )
    exact = [b for s, b in scored if s == 1.0]
    if exact:
        return exact[0]
    if scored and scored[0][0] >= NAME_ACCEPT:
        close = [b for s, b in scored if scored[0][0] - s < AMBIGUITY_MARGIN]
        if len(close) == 1:
            return close[0]
    raise NotFoundError(f"no brand matches {raw!r}", suggestions=suggest(raw, names))


# -- products ------------------------------------------------------------------------
def products(ctx: ToolContext, text: str, k: int = 5) -> dict:
    """Products (and categories) a free-text mention most likely names, ranked: the
    engine of find_product, and the suggestions of every product id that is not found."""
    text = str(text or "").strip()
    k = max(1, min(int(k), 20))
    cat = catalog(ctx)
    if not cat.ids:
        raise NotFoundError("the store has no products", hint="ingest a catalog first")
    found = known_id(ctx, text, "products") if text else None
    leaders: dict[int, list[str]] = {}
    if found is not None:
        best = [(cat.ids.index(found), 1.0)]
    else:
        # Named in the shop's own words: 水壶 ranks the kettles of an English shop.
        best, leaders = _rank(ctx, cat, split_joined(localise_categories(ctx, text), cat), k)
    candidates = [
        {
            "product_id": cat.ids[i],
            "title": cat.titles[i],
            "brand": cat.brands[i],
            "category": cat.categories[i],
            "confidence": round(float(score), 3),
            "best_by": leaders.get(i, []),
        }
        for i, score in best
    ]
    ambiguous = len(candidates) > 1 and (
        candidates[0]["confidence"] - candidates[1]["confidence"] < AMBIGUITY_MARGIN
    )
    return {
        "query": text,
        "candidates": candidates,
        "categories": match_categories(cat, localise_categories(ctx, text)),
        "ambiguous": bool(ambiguous),
        "n": len(cat.ids),
        "evidence": {"products": [c["product_id"] for c in candidates]},
    }


def _rank(
    ctx: ToolContext, cat: Catalog, text: str, k: int
) -> tuple[list[tuple[int, float]], dict[int, list[str]]]:
    """The k best products by the blended score, then the best by each signal alone
    when the blend left it out: (index, blended score) pairs, and which signals each
    index leads."""
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
    signals = {"lexical": lexical, "fuzzy": fuzzy}
    emb = cat.embeddings(_embedder(ctx))
    if emb is not None:
        q = encode_queries(_embedder(ctx), [text])[0]
        floor = scale_for(_embedder(ctx)).resolve_floor  # per model: see model_scales
        semantic = np.clip((emb @ q - floor) / (1 - floor), 0, 1)
        score += 0.2 * semantic
        signals["embedding"] = semantic
    else:
        score /= 0.8
    order = [int(i) for i in np.argsort(-score, kind="stable")[:k] if score[i] > 0]
    leaders: dict[int, list[str]] = {}
    for name in SIGNALS:
        values = signals.get(name)
        if values is None or not len(values) or values.max() <= 0:
            continue
        # Ties go to the better blended score, so "best by lexical" is one product.
        top = int(np.lexsort((-score, -values))[0])
        leaders.setdefault(top, []).append(name)
        if top not in order:
            order.append(top)
    return [(i, float(min(score[i], 1.0))) for i in order], leaders


def product(ctx: ToolContext, raw: str) -> dict:
    """The product a tool's ``product_id`` names: {product_id, title, brand, category}.
    A miss suggests the ids it may stand for, then the products its words name, ranked
    exactly as find_product (and so the planner) ranks them."""
    text = str(raw or "").strip()
    if not text:
        raise UserError("a product id is needed")
    pid = known_id(ctx, text, "products")
    if pid is None:
        ranked = [c["product_id"] for c in products(ctx, text)["candidates"]]
        raise NotFoundError(
            f"no product with id {text!r}",
            suggestions=list(dict.fromkeys(similar_ids(ctx, text, "products") + ranked))[
                :SUGGESTIONS
            ],
            hint=None if ranked else "use find_product to turn a product name into its id",
        )
    row = (
        ctx.cursor()
        .execute(
            "SELECT product_id, title, brand, category FROM products WHERE product_id = ?", [pid]
        )
        .fetchone()
    )
    return dict(zip(("product_id", "title", "brand", "category"), row, strict=True))


@dataclass(frozen=True)
class Subject:
    """What a mention names once resolved: a product, a category, or neither yet."""

    kind: str  # "product" | "category" | "ambiguous" | "unknown"
    product_id: str | None = None
    category: str | None = None
    options: tuple[dict, ...] = ()  # close candidates, when ambiguous

    def as_args(self) -> dict:
        if self.kind == "product":
            return {"product_id": self.product_id}
        if self.kind == "category":
            return {"category": self.category}
        return {}


def pick_subject(found: dict, text: str, need_product: bool = False) -> Subject:
    """The product or category a find_product result points to: the category when the
    words name it and nothing more, else a confident, unambiguous product."""
    if found.get("error"):
        return Subject("unknown")
    candidates = found.get("candidates") or []
    categories = found.get("categories") or []
    top = candidates[0] if candidates else None
    best_cat = categories[0] if categories else None
    product_ok = top is not None and top["confidence"] >= PRODUCT_ACCEPT
    if best_cat and best_cat["confidence"] >= NAME_ACCEPT and not need_product:
        if names_only(text, best_cat["category"]) or not product_ok:
            return Subject("category", category=best_cat["category"])
    if not product_ok:
        if top is not None and top["confidence"] >= CHOICE_FLOOR:
            # A misspelt or partial name: offer what it most likely names.
            return Subject("ambiguous", options=tuple(choices(candidates, 1.0)))
        return Subject("unknown")
    if found.get("ambiguous"):
        return Subject("ambiguous", options=tuple(choices(candidates, AMBIGUITY_MARGIN)))
    return Subject("product", product_id=top["product_id"])


def choices(candidates: list[dict], margin: float) -> list[dict]:
    """The candidates to offer: those within ``margin`` of the best, then the best by
    each signal (title words, fuzzy title, meaning) if the blend ranked it lower."""
    if not candidates:
        return []
    top = candidates[0]["confidence"]
    close = [
        c for c in candidates if top - c["confidence"] < margin and c["confidence"] >= CHOICE_FLOOR
    ][:SUGGESTIONS]
    leaders = [
        c
        for c in candidates
        if c.get("best_by") and c not in close and c["confidence"] >= CHOICE_FLOOR
    ]
    return close + leaders


def subject(ctx: ToolContext, text: str, need_product: bool = False) -> Subject:
    """A product or category named in free text (a panel's search box, a mention)."""
    return pick_subject(products(ctx, text), text, need_product)


# -- ids -------------------------------------------------------------------------------
_ID_COLUMNS = {"customers": "customer_id", "products": "product_id"}


def _all_ids(ctx: ToolContext, table: str) -> list[str]:
    column = _ID_COLUMNS[table]
    # Table and column come from _ID_COLUMNS (a KeyError for anything else), never input.
    sql = f"SELECT {column} FROM {table}"  # noqa: S608
    return [r[0] for r in ctx.cursor().execute(sql).fetchall()]


def known_id(ctx: ToolContext, raw: str, table: str) -> str | None:
    """The stored id ``raw`` is, exactly or in another case; else None."""
    column = _ID_COLUMNS[table]
    raw = str(raw or "").strip()
    if not raw:
        return None
    row = (
        ctx.cursor()
        .execute(
            # Names from _ID_COLUMNS only; the id itself is a parameter.
            f"SELECT {column} FROM {table} WHERE {column} = ? "  # noqa: S608
            f"UNION ALL SELECT {column} FROM {table} WHERE lower({column}) = lower(?) LIMIT 1",
            [raw, raw],
        )
        .fetchone()
    )
    return row[0] if row else None


def shorthand_id(ctx: ToolContext, raw: str, table: str) -> str | None:
    """The one stored id that ``raw``, written by a person in a question, abbreviates by
    leaving out zero padding or separators ("C42" -> "C00042"); never a shorter id (an
    extra digit is a typo, not padding). None when there is not exactly one."""
    raw = str(raw or "").strip()
    key = id_key(raw)
    if not any(c.isdigit() for c in key):
        return None  # a word, not an id
    padded = [i for i in _all_ids(ctx, table) if id_key(i) == key and len(i) > len(raw)]
    return padded[0] if len(padded) == 1 else None


def similar_ids(ctx: ToolContext, raw: str, table: str, limit: int = SUGGESTIONS) -> list[str]:
    """Stored ids that look like ``raw`` (typo, missing zero padding, other case)."""
    key = id_key(raw)
    ids = _all_ids(ctx, table)
    # The same id with other zero padding or case first, then near misses (a typo, an
    # extra or missing character).
    padded = [i for i in ids if id_key(i) == key]
    hits = [
        h[0]
        for h in process.extract(
            raw, ids, scorer=fuzz.ratio, limit=limit, score_cutoff=ID_SUGGEST_RATIO
        )
    ]
    return list(dict.fromkeys(padded + hits))[:limit]


def customer_id(ctx: ToolContext, raw: str) -> str:
    """The customer id as stored (see known_id); else a miss with suggestions."""
    text = str(raw or "").strip()
    if not text:
        raise UserError("a customer id is needed")
    cid = known_id(ctx, text, "customers")
    if cid is None:
        raise NotFoundError(
            f"no such customer {text!r}", suggestions=similar_ids(ctx, text, "customers")
        )
    return cid


def lookup_ids(ctx: ToolContext, tokens: list[str]) -> dict[str, dict[str, str]]:
    """Which of ``tokens`` are stored customer / product ids (case-insensitive)."""
    tokens = sorted({t for t in tokens if t})
    out: dict[str, dict[str, str]] = {"customers": {}, "products": {}}
    if not tokens:
        return out
    cur = ctx.cursor()
    lowered = [t.lower() for t in tokens]
    for table, column in _ID_COLUMNS.items():
        rows = cur.execute(
            # Names from _ID_COLUMNS only; the tokens are a parameter.
            f"SELECT {column} FROM {table} WHERE lower({column}) IN (SELECT unnest(?))",  # noqa: S608
            [lowered],
        ).fetchall()
        by_lower = {r[0].lower(): r[0] for r in rows}
        for t in tokens:
            if t.lower() in by_lower:
                out[table][t] = by_lower[t.lower()]
    return out


# -- aspects ---------------------------------------------------------------------------
def _aspect_patterns(ctx: ToolContext) -> list[tuple[str, re.Pattern]]:
    taxonomy = ctx.aspect_taxonomy

    table = alias_table.aliases(data_dir(ctx))["aspects"]

    def build():
        out = []
        for a in taxonomy.aspects:
            names = {a.id.replace("_", " "), *a.terms, *table.get(a.id, [])}
            terms = sorted(names, key=len, reverse=True)
            # Whole words, except Chinese terms, which sit between other characters
            # ("耳机的电池不行").
            body = "|".join(
                re.escape(t) if is_cjk(t) else rf"\b{re.escape(t)}\b".replace(r"\ ", r"\s+")
                for t in terms
            )
            out.append((a.id, re.compile(f"({body})", re.I)))
        return out

    return ctx.cached(f"aspect_patterns:{taxonomy.digest}:{id(table)}", build)


def find_aspects(ctx: ToolContext, text: str) -> tuple[list[str], set[str]]:
    """Aspect ids of the workspace taxonomy named in ``text``, and the words naming them."""
    found, used = [], set()
    for aspect_id, pattern in _aspect_patterns(ctx):
        for m in pattern.finditer(text):
            if aspect_id not in found:
                found.append(aspect_id)
            used |= set(words(m.group(0)))
    # "customer service" names an aspect; a bare "customer" does not.
    if "customer_service" in found and "customer" in used and "service" not in used:
        found.remove("customer_service")
    return found, used


def aspect_terms(ctx: ToolContext, text: str) -> list[str]:
    """The words of ``text`` that name an aspect, as written ("电池", "battery life"), in
    order: what a search for that aspect in the question's own language looks for."""
    found = []
    for _, pattern in _aspect_patterns(ctx):
        found += [(m.start(), m.group(0)) for m in pattern.finditer(text)]
    return list(dict.fromkeys(t for _, t in sorted(found)))


def aspect_words(ctx: ToolContext) -> list[str]:
    """Every word of the taxonomy's ids and terms (a speller must leave them alone)."""
    return [w for a in ctx.aspect_taxonomy.aspects for t in (a.id, *a.terms) for w in words(t)]


def aspect(ctx: ToolContext, text: str, stored: list[str] | tuple[str, ...] = ()) -> str:
    """The aspect id ``text`` names: an id in any spelling ("Size & fit" -> size_fit), one
    of its terms ("sizing"), or a small typo; ``stored`` adds ids found in labelled data."""
    raw = str(text or "").strip()
    if not raw:
        raise UserError("an aspect name is needed")
    taxonomy = ctx.aspect_taxonomy
    ids = list(dict.fromkeys([*taxonomy.ids, *stored]))
    query = normalise(raw.replace("_", " "))
    by_name = {normalise(i.replace("_", " ")): i for i in ids}
    if query in by_name:
        return by_name[query]
    named = {a for a, p in _aspect_patterns(ctx) if p.fullmatch(raw.replace("_", " "))}
    if len(named) == 1:
        return named.pop()
    table = alias_table.aliases(data_dir(ctx))["aspects"]
    names = {
        **{normalise(t): a.id for a in taxonomy.aspects for t in a.terms},
        **{normalise(t): a for a in ids for t in table.get(a, [])},
        **by_name,
    }
    hits = process.extract(query, list(names), scorer=fuzz.ratio, limit=SUGGESTIONS)
    close = {names[h[0]] for h in hits if h[1] >= WORD_TYPO_RATIO}
    if len(close) == 1 and len(query) >= 4:
        return close.pop()
    raise NotFoundError(f"no aspect {raw!r}", suggestions=suggest(raw, ids))


# -- dates -----------------------------------------------------------------------------
def day(value, name: str) -> date | None:
    """A tool's date argument (YYYY-MM-DD; a timestamp's date part is fine)."""
    if value is None or str(value).strip() == "":
        return None
    try:
        parsed = date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise UserError(
            f"{name} must be a date YYYY-MM-DD; {value!r} is not a date", hint="e.g. 2026-03-01"
        ) from None
    if parsed == date.max:  # the day after it, used as an exclusive end, does not exist
        raise UserError(f"{name} {value!r} is out of range")
    return parsed


def period(since, until) -> tuple[date | None, date | None]:
    """A tool's since/until arguments as dates, checked to be in order."""
    start, end = day(since, "since"), day(until, "until")
    if start and end and start > end:
        raise UserError(f"since {start} is after until {end}")
    return start, end
