"""What a question names: customer and product ids (looked up in the store, whatever
their shape), product and category mentions, aspects, periods, rating ranges,
sentiment, counts and audience filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant.planner.entities_zh import read_zh
from assistant.planner.language import question_language
from assistant.planner.periods import MONTHS, Period, parse_period
from assistant.planner.resources import prompts
from assistant.templates import DATA, declare_translation
from tools import resolve
from tools.bm25 import CJK_RUN
from tools.context import ToolContext
from tools.resolve import catalog, is_cjk, lookup_ids, match_categories, similar_ids, words

# The Chinese planner texts have the contract of the English ones (prompts/planner.yaml).
declare_translation("planner.zh.yaml", "planner.yaml", search_words=DATA)

_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "twenty": 20}  # fmt: skip
_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty)"
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z0-9]")
# Tokens with digits that are not ids: dates, quarters, ordinals, star ratings, amounts.
_NOT_ID = re.compile(
    r"^(q[1-4]|\d+(st|nd|rd|th|s|k|d|m|y)|\d+-?stars?|\d{4}-\d{2}(-\d{2})?|\d+)$", re.I
)
NEGATIVE = re.compile(r"\b(complain\w*|negative|unhappy|dislik\w*|problems?|issues?|bad|angry|hate\w*|worst|disappoint\w*|poor|low[- ]rated|critic\w*)\b", re.I)  # fmt: skip
POSITIVE = re.compile(r"\b(positive|prais\w*|love[sd]?|happy|good|great|best things?|top[- ]rated|delighted|satisfied)\b", re.I)  # fmt: skip
CUSTOMER_PRONOUN = re.compile(r"\b(they|them|their|he|she|him|his|her|this (customer|buyer|person)|that (customer|buyer)|the (customer|buyer))\b", re.I)  # fmt: skip
PRODUCT_PRONOUN = re.compile(r"\b(it|its|this (product|item|one)|that (product|item|one)|the (product|item)|this|these)\b", re.I)  # fmt: skip


def _n(word: str) -> int:
    return int(word) if word.isdigit() else _NUM[word.lower()]


@dataclass
class Entities:
    customer_ids: list[str] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    unknown_ids: dict[str, list[str]] = field(default_factory=dict)  # raw -> suggestions
    mention: str = ""  # catalog words naming a product (for find_product)
    category: str | None = None
    aspects: list[str] = field(default_factory=list)
    period: Period = field(default_factory=Period)
    min_rating: int | None = None
    max_rating: int | None = None
    sentiment: str | None = None
    k: int | None = None
    min_spend: float | None = None
    inactive_days: int | None = None
    churn_risk: str | None = None
    segment: str | None = None
    viewed: bool = False  # "browsed X but never bought": the category is a viewed one
    metric: str | None = None
    group_by: str | None = None
    country: str | None = None
    exact_terms: list[str] = field(default_factory=list)  # unknown codes: search them verbatim
    masked: str = ""  # the question with the names of things replaced, for intent matching
    topic: str = ""  # remaining content words: what to search reviews for
    customer_pronoun: bool = False
    product_pronoun: bool = False
    lang: str = "en"  # the question's language (assistant/planner/language.py)
    aspect_terms: list[str] = field(default_factory=list)  # the question's words for its aspects


def _ignore_words() -> set[str]:
    spec = prompts("planner.yaml")
    months = set(MONTHS)
    return (
        set(spec["ignore_words"].split())
        | months
        | set(prompts("planner.zh.yaml")["ignore_words"].split())
    )


def _ratings(t: str, e: Entities) -> None:
    if m := re.search(rf"\b(?:below|under|less than|fewer than)\s+{_N}\s*stars?", t):
        e.max_rating = _n(m[1]) - 1
    elif m := re.search(rf"\b(?:above|over|more than)\s+{_N}\s*stars?", t):
        e.min_rating = _n(m[1]) + 1
    elif m := re.search(
        rf"\b(?:at least)\s+{_N}\s*stars?|\b{_N}\s*stars?\s*(?:or|and)\s*(?:more|above|up|higher)|\b{_N}\+\s*stars?",
        t,
    ):
        e.min_rating = _n(next(g for g in m.groups() if g))
    elif m := re.search(
        rf"\b(?:at most)\s+{_N}\s*stars?|\b{_N}\s*stars?\s*(?:or|and)\s*(?:less|below|lower|fewer)",
        t,
    ):
        e.max_rating = _n(next(g for g in m.groups() if g))
    elif m := re.search(rf"\b{_N}\s*(?:-|to)\s*{_N}[- ]?stars?", t):
        e.min_rating, e.max_rating = sorted((_n(m[1]), _n(m[2])))
    elif m := re.search(rf"\b{_N}[- ]?stars?\b|\brated\s+{_N}\b", t):
        e.min_rating = e.max_rating = _n(m[1] or m[2])
    elif re.search(r"\b(low[- ]rated|bad reviews|poor ratings?|worst reviews)\b", t):
        e.max_rating = 2
    for name in ("min_rating", "max_rating"):
        value = getattr(e, name)
        if value is not None:
            setattr(e, name, max(1, min(5, value)))


def _audience(t: str, e: Entities) -> None:
    if m := re.search(
        r"\b(?:spent|spend(?:ing)?|spenders? of)\s+(?:more than|over|above|at least|>)\s*[$€£]?\s*(\d[\d,]*)",
        t,
    ):
        e.min_spend = float(m[1].replace(",", ""))
    if m := re.search(
        rf"\b(?:not|n't|no|without)\s+(?:\w+\s+){{0,3}}(?:for|in|within)\s+(?:the\s+(?:last|past)\s+)?{_N}\s*(day|week|month|year)s?",
        t,
    ) or re.search(rf"\binactive\s+(?:for\s+)?{_N}\s*(day|week|month|year)s?", t):
        e.inactive_days = _n(m[1]) * {"day": 1, "week": 7, "month": 30, "year": 365}[m[2]]
    elif re.search(
        r"\b(gone quiet|went quiet|inactive|lapsed|dormant|stopped (buying|ordering)|haven'?t (bought|ordered)|hasn'?t (bought|ordered)|not come back|hasn'?t come back|haven'?t come back)\b",
        t,
    ):
        e.inactive_days = 90
    if re.search(
        r"\b(browsed|viewed|looked at|window[- ]shopp\w*)\b.*\b(never|not|n't|without)\b", t
    ):
        e.viewed = True
    if re.search(r"\b(at risk|churn\w*|likely to leave)\b", t):
        e.churn_risk = "high"
    # Segment names of tools/rfm.py; the tool resolves any spelling of them.
    for pattern, segment in (
        (r"\bcan'?t lose\b", "Can't lose them"),
        (r"\bchampions?\b|\bvips?\b|\bbest customers\b|\btop customers\b", "Champions"),
        (r"\bpotential loyalists?\b", "Potential loyalist"),
        (r"\bloyal\b", "Loyal"),
        (r"\bat[- ]risk\b(?! of churn)", "At risk"),
        (r"\bnew customers?\b|\bnewcomers?\b|\bfirst[- ]time buyers?\b", "New"),
        (r"\bhibernating\b|\bdormant\b", "Hibernating"),
        (r"\bpromising\b", "Promising"),
        (r"\babout to sleep\b", "About to sleep"),
        (r"\bneed(s)? attention\b", "Need attention"),
        (r"\bprospects?\b|\bnever (bought|ordered)\b", "Prospect"),
    ):
        if re.search(pattern, t):
            e.segment = segment
            break


def _metrics(t: str, e: Entities) -> None:
    for pattern, metric in (
        (r"\baverage rating|avg rating|mean rating|\bratings?\b|\bstars\b", "average_rating"),
        (r"\bhow many reviews|number of reviews|review count|review volume", "review_count"),
        (r"\breturn rate|\breturns\b|\breturned\b", "return_rate"),
        (r"\bunits\b|\bhow many .* sold\b|\bsold\b|\bquantity", "units"),
        (r"\bhow many orders|number of orders|\borders\b", "orders"),
        (r"\brevenue|\bsales\b|\bturnover|\bincome|\bearn|\bmoney|\bsell", "revenue"),
    ):
        if re.search(pattern, t):
            e.metric = metric
            break
    for pattern, group in (
        (r"month by month|per month|monthly|each month|by month|over time|trend|move", "month"),
        (r"week by week|per week|weekly|by week", "week"),
        (r"by category|per category|each category|across categories", "category"),
        (r"by country|per country|each country|across countries", "country"),
        (r"by product|per product|top[- ]selling|best[- ]sell|which products sold", "product"),
    ):
        if re.search(pattern, t):
            e.group_by = group
            break


def _countries(ctx: ToolContext) -> dict[str, str]:
    def load():
        rows = (
            ctx.cursor()
            .execute("SELECT DISTINCT country FROM customers WHERE country IS NOT NULL")
            .fetchall()
        )
        return {r[0].lower(): r[0] for r in rows if r[0]}

    return ctx.cached("planner:countries", load)


_CONTRACTIONS = [
    (re.compile(r"\b(can)'?t\b", re.I), r"\1 not"),
    (re.compile(r"\bwon'?t\b", re.I), "will not"),
    (re.compile(r"\b(\w+)n't\b", re.I), r"\1 not"),
    (re.compile(r"\b(\w+)'(s|re|ve|ll|d)\b", re.I), r"\1"),
]


def expand_contractions(text: str) -> str:
    """ "haven't" -> "have not", "C01006's" -> "C01006": so no word is mistaken for a product."""
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def extract(ctx: ToolContext, question: str, today: date | None = None) -> Entities:
    e = Entities(lang=question_language(question))
    question = expand_contractions(question)
    t = question.lower()
    has_cjk = bool(CJK_RUN.search(question))
    e.period = parse_period(question, today)
    e.aspects, aspect_words = resolve.find_aspects(ctx, question)
    e.aspect_terms = resolve.aspect_terms(ctx, question)
    _ratings(t, e)
    _audience(t, e)
    _metrics(t, e)
    if NEGATIVE.search(t) or (e.max_rating is not None and e.max_rating <= 2):
        e.sentiment = "negative"
    elif POSITIVE.search(t) or (e.min_rating is not None and e.min_rating >= 4):
        e.sentiment = "positive"
    if has_cjk:
        read_zh(_without(question, e.period.text), e)
    t_k = re.sub(rf"\b{_N}[- ]?stars?\b", " ", t)  # "5 star reviews" is a rating, not a count
    if m := re.search(
        rf"\btop\s+{_N}\b|\b{_N}\s+(?:\w+\s+)?(?:products|items|recommendations|suggestions|customers|reviews|similar|alternatives|ideas|examples|quotes|buyers)\b|\b(?:give me|show me|list)\s+{_N}\b",
        t_k,
    ):
        e.k = max(1, min(50, _n(next(g for g in m.groups() if g))))
    e.customer_pronoun = bool(CUSTOMER_PRONOUN.search(question))
    e.product_pronoun = bool(PRODUCT_PRONOUN.search(question))

    tokens = _TOKEN.findall(question)
    found = lookup_ids(
        ctx, [tok for tok in tokens if len(tok) >= 2 and not tok.isalpha() or len(tok) >= 6]
    )
    id_words: set[str] = set()
    for tok in tokens:
        if tok in found["customers"] and found["customers"][tok] not in e.customer_ids:
            e.customer_ids.append(found["customers"][tok])
            id_words.add(tok.lower())
        elif tok in found["products"] and found["products"][tok] not in e.product_ids:
            e.product_ids.append(found["products"][tok])
            id_words.add(tok.lower())
        elif (
            re.search(r"\d", tok)
            and re.search(r"[A-Za-z]", tok)
            and len(tok) >= 3
            and not _NOT_ID.match(tok)
            and not _model_name(ctx, tok)
        ):
            id_words.add(tok.lower())
            _resolve_unknown(ctx, tok, e)

    countries = _countries(ctx)
    names = {k.lower(): v for k, v in prompts("planner.yaml").get("countries", {}).items()}
    for tok in tokens:
        code = names.get(tok.lower()) or (tok if tok.isupper() else None)
        if code and code.lower() in countries:
            e.country = countries[code.lower()]
            id_words.add(tok.lower())
    if has_cjk:
        for name, code in (prompts("planner.zh.yaml").get("countries") or {}).items():
            if name in question and code.lower() in countries:
                e.country = countries[code.lower()]
                id_words.add(name)
    ignore = _ignore_words() | id_words | set(words(e.period.text))
    cat = catalog(ctx)
    mention, topic = [], []
    named: set[str] = set(id_words)
    category_words = {w for c in cat.category_names for w in words(c)}
    previous_kept = False
    # Names of categories in another language become the shop's own (耳机 -> Headphones
    # in an English shop); a Chinese period ("上个月") is not a name.
    text = resolve.localise_categories(ctx, _without(question, e.period.text))
    # "tempo3" is "tempo 3": model names typed without their space.
    for w in words(resolve.split_joined(text, cat) if not has_cjk else _split_joined_zh(text, cat)):
        cjk = is_cjk(w)
        keep, short = None, w.isdigit() or len(w) < (2 if cjk else 3)
        if short:
            # Model numbers and letters count inside a name ("Tempo 3", "Classic S");
            # short category words anywhere ("TV").
            if w in category_words and w not in ignore:
                keep = w
            elif previous_kept and w in cat.idf and (w.isdigit() or w not in ignore):
                keep = w
        elif cjk and _COUNTED.fullmatch(w):
            keep = None  # "五条", "一星": a count or a rating, read above
        elif w in aspect_words and (cjk or not previous_kept):
            # An aspect word is part of a name only inside one ("Power Bank"); a Chinese
            # one never is (耳机电池 is the headphones' battery).
            keep = None
        elif w not in ignore:
            fixed = cat.correct(w)
            keep = fixed if fixed and fixed not in ignore else None
            if not fixed:
                topic.append(w)
        if keep:
            mention.append(keep)
            named.add(w)
        previous_kept = bool(keep)
    e.topic = " ".join([*e.exact_terms, *topic])
    e.masked = _mask(question, named, e)
    if mention:
        cats = match_categories(cat, " ".join(mention), cutoff=resolve.NAME_ACCEPT)
        covered = set()
        if cats:
            covered = set(words(cats[0]["category"].replace("&", " ")))
            covered |= {w.rstrip("s") for w in covered}
        rest = [w for w in mention if w not in covered and w.rstrip("s") not in covered]
        if cats and not rest:
            e.category = cats[0]["category"]
        elif cats and len(rest) >= 2:
            # "Stridex Tempo 3 running shoes": the category words add nothing that
            # tells two Stridex shoes apart; brand and model do.
            e.mention = " ".join(dict.fromkeys(rest))
        else:
            e.mention = " ".join(dict.fromkeys(mention))
    return e


# A Chinese number with its measure word ("五条", "一星", "前10", "3个"): never a name or
# a search word.
_COUNTED = re.compile(r"前?[\d一二两三四五六七八九十百]+(?:条|个|星|颗星|款|位|件|名|种|项|分)?")


def _without(text: str, part: str) -> str:
    """``text`` with the words of a period it names taken out (Chinese periods only:
    English ones are dropped word by word through the ignore list)."""
    if part and CJK_RUN.search(part) and part in text:
        return text.replace(part, " ")
    return text


def _split_joined_zh(text: str, cat) -> str:
    """split_joined on the Latin parts of a Chinese question, the Chinese left as it is."""
    return re.sub(r"[A-Za-z0-9]+", lambda m: resolve.split_joined(m.group(0), cat), text)


def _mask(question: str, named: set[str], e: Entities) -> str:
    """The question with product words and ids replaced by what they are, so that intent
    matching sees "what is bought together with the product" whatever the product is."""
    out, last = [], None
    for tok in re.findall(r"[A-Za-z0-9][A-Za-z0-9_\-]*|[^\sA-Za-z0-9]+", question):
        low = tok.lower()
        if low in named:
            kind = "customer" if any(low == c.lower() for c in e.customer_ids) else "product"
            if e.category and not e.mention and kind == "product":
                kind = e.category
            if last != kind:
                article = out and out[-1].lower() in ("the", "a", "an", "this", "that", "our")
                out.append(
                    "product"
                    if kind == "product" and article
                    else "this product"
                    if kind == "product"
                    else kind
                )
            last = kind
            continue
        last = None
        out.append(tok)
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(out))


def _model_name(ctx: ToolContext, tok: str) -> bool:
    """ "tempo3": a model name typed without its space, not an id."""
    return resolve.split_joined(tok, catalog(ctx)) != " ".join(words(tok))


def _resolve_unknown(ctx: ToolContext, tok: str, e: Entities) -> None:
    """An id-like word that is not stored as written: the one id it abbreviates
    (C42 -> C00042, see resolve.shorthand_id), else a clarifying question."""
    for table, bucket in (("customers", e.customer_ids), ("products", e.product_ids)):
        found = resolve.shorthand_id(ctx, tok, table)
        if found is not None:
            if found not in bucket:
                bucket.append(found)
            return
    e.unknown_ids[tok] = similar_ids(ctx, tok, "customers")[:3]
    e.exact_terms.append(tok)
