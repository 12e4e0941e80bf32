"""Chinese analyst questions, read by the classes of assistant/planner/analyst.py.

A Chinese question names its figure, its ranking, its grouping and its comparison
with cue words that have a fixed English reading (销售额 -> revenue, 前五 -> top 5,
按渠道 -> by channel, 比上个月 -> compared with last month). ``rewrite`` looks up the
shop's own names first (categories through the alias table, brands, cities and
countries written in Chinese), then rewrites the cue words in the order of
prompts/analyst.zh.yaml into the vocabulary of prompts/analyst.yaml, so both
languages are read by one set of rules. What is left in Chinese (的, 我们, 有) carries
no cue and is dropped, after the Chinese periods (上个月, 今年, 第二季度) were read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from assistant import templates
from assistant.planner.numerals_zh import counted
from assistant.planner.resources import prompts
from assistant.templates import fill_all
from tools import aliases
from tools.context import ToolContext
from tools.resolve import catalog

VOCABULARY = "analyst.zh.yaml"
templates.declare(
    VOCABULARY,
    {
        templates.ANY: templates.DATA,
        "texts": {
            "cannot": {"what", "needs"},
            "which_metric": {"task", "subject"},
            "compare_what": set(),
            "compare_unknown": {"text"},
            "product_ambiguous": {"options"},
            "product_unknown": {"text"},
        },
    },
)

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Punctuation of Chinese text, read as the English punctuation the rules expect.
_PUNCTUATION = str.maketrans(
    {"，": ",", "。": " ", "？": " ", "！": " ", "：": " ", "；": ",", "（": " ", "）": " "}
)
# A name this short is a word of many others ("书" of 说明书): it names nothing alone.
MIN_NAME = 2


@dataclass
class Chinese:
    """A Chinese question in the analyst vocabulary, and what it names in the shop."""

    text: str  # English cue words and the Latin names the question typed
    dated: str  # the same before the Chinese left over was dropped: its periods are read
    names: list[dict[str, str]] = field(default_factory=list)  # {"category": "耳机"}, in order
    aspects: list[str] = field(default_factory=list)
    residue: str = ""  # the Chinese words no cue or name took, space-separated


class Vocabulary:
    """prompts/analyst.zh.yaml, compiled once."""

    def __init__(self) -> None:
        spec = prompts(VOCABULARY)
        self.cannot = [
            (re.compile(c["pattern"], re.I), c["what"], c["needs"]) for c in spec["cannot_answer"]
        ]
        self.review_words = re.compile(spec["review_words"])
        self.review_listing = re.compile(spec["review_listing"])
        self.audience = re.compile(spec["audience"])
        self.countries = dict(spec["countries"])
        self.channels = [(re.compile(p), words) for p, words in spec["channels"].items()]
        one, group, many = spec["one_of"], spec["group_of"], spec["list_of"]
        self.dimensions: list[tuple[re.Pattern, str]] = []
        time = ("day", "week", "month", "quarter", "year")
        # "哪些产品" before "哪个产品" before "按产品" before a bare "产品"; a time word
        # alone (月, 年) is a period's, never a grouping's.
        # "各品牌" and "按品牌" ask for every brand: plural, as "by brands" is read.
        for prefix, form, joined in ((many, 2, "which "), (one, 1, "which "), (group, 2, "by ")):
            for _, (pattern, singular, plural) in spec["dimensions"].items():
                english = singular if form == 1 else plural
                self.dimensions.append(
                    (re.compile(rf"(?:{prefix})\s*(?:{pattern})"), f" {joined}{english} ")
                )
        for dim, (pattern, _, plural) in spec["dimensions"].items():
            if dim not in time:
                self.dimensions.append((re.compile(pattern, re.I), f" {plural} "))
        for dim, pattern in spec["time_alone"].items():
            self.dimensions.append((re.compile(pattern), f" {spec['dimensions'][dim][2]} "))
        self.one_alone = re.compile(spec["one_alone"])
        self.forms = [(sg, pl) for _, sg, pl in spec["dimensions"].values()]
        self.rewrites = [(re.compile(p, re.I), english) for p, english in spec["rewrites"]]
        self.texts = spec["texts"]
        self.task_names = spec["task_names"]
        self.dimension_names = spec["dimension_names"]

    def text(self, key: str, **values: Any) -> str:
        return fill_all(self.texts[key], where=f"{VOCABULARY}:{key}", **values).strip()


@cache
def vocabulary() -> Vocabulary:
    return Vocabulary()


def cannot(question: str) -> tuple[str, str] | None:
    """(what, needs) of a question about data the store does not hold, else None."""
    v = vocabulary()
    if v.review_words.search(question):
        return None  # a review may mention a price, a courier or a stock-out
    for pattern, what, needs in v.cannot:
        if pattern.search(question):
            return what, needs
    return None


def asks_for_people(question: str) -> bool:
    """True when the question asks who (an audience), not how many or how much."""
    return bool(vocabulary().audience.search(question))


def lists_reviews(question: str) -> bool:
    """True when the question asks to see reviews, not for a figure."""
    return bool(vocabulary().review_listing.search(question))


def which_metric(task: str, subject: str) -> str:
    v = vocabulary()
    return v.text(
        "which_metric",
        task=v.task_names.get(task, task),
        subject=v.dimension_names.get(subject, subject),
    )


def rewrite(ctx: ToolContext, question: str) -> Chinese:
    """``question`` (Chinese) read into the English analyst vocabulary."""
    v = vocabulary()
    t = question.translate(_PUNCTUATION)
    t, names = _cut_names(ctx, t, v)
    t = counted(t).lower()
    for pattern, english in v.dimensions:
        t = pattern.sub(english, t)
    if v.one_alone.search(t):
        t = _one_of(t, v)
    for pattern, english in v.channels:
        t = pattern.sub(f" {english} channel ", t)
    for pattern, english in v.rewrites:
        t = pattern.sub(english, t)
    found = _aspects(ctx, t)
    dated = re.sub(r"\s+", " ", t).strip()
    text = re.sub(r"\s+", " ", _CJK_RUN.sub(" ", t)).strip()
    residue = " ".join(_CJK_RUN.findall(t))
    return Chinese(text=text, dated=dated, names=names, aspects=found, residue=residue)


def narrow(options: list[dict], residue: str) -> dict | None:
    """The one product among ``options`` whose title shares the most two-character
    words with the Chinese ``residue`` of the question ("水壶" of 电热水壶), or None
    when no title shares any or two share as many."""
    wanted = _bigrams(residue)
    scored = sorted(
        ((len(wanted & _bigrams(o.get("title", ""))), i) for i, o in enumerate(options)),
        reverse=True,
    )
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return options[scored[0][1]]


def _bigrams(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK_RUN.findall(text or "") for i in range(len(run) - 1)}


def _one_of(t: str, v: Vocabulary) -> str:
    """ "销售额最高的月份是哪个": the noun before 哪个 is the one asked for ("which
    month"), every other noun one thing, not a list."""
    at = [(t.find(f" {pl} "), sg, pl) for sg, pl in v.forms if f" {pl} " in t]
    if at:
        _, singular, plural = min(at)
        t = t.replace(f" {plural} ", f" which {singular} ", 1)
    for singular, plural in v.forms:
        t = t.replace(f" {plural} ", f" {singular} ")
    return t


def _cut_names(ctx: ToolContext, t: str, v: Vocabulary) -> tuple[str, list[dict[str, str]]]:
    """The shop's names written in Chinese, longest first, each taken out of the text
    (so 电子产品 is a category, not 产品), with what they name, in question order."""
    spans: list[tuple[int, int, dict[str, str]]] = []
    for name, value in sorted(_names(ctx, v).items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(re.escape(name), t):
            if any(s < m.end() and m.start() < e for s, e, _ in spans):
                continue
            spans.append((m.start(), m.end(), value))
    spans.sort(key=lambda s: s[0])
    out, last = [], 0
    for start, end, _ in spans:
        out.append(t[last:start])
        out.append(" ")
        last = end
    out.append(t[last:])
    return "".join(out), [value for _, _, value in spans]


def _names(ctx: ToolContext, v: Vocabulary) -> dict[str, dict[str, str]]:
    """Every Chinese name of the shop's categories, brands, cities and countries."""

    def load() -> dict[str, dict[str, str]]:
        data_dir = ctx.models_dir.parent if ctx.models_dir else None
        cat = catalog(ctx)
        out: dict[str, dict[str, str]] = {}
        for name in cat.category_names:
            for other in [name, *aliases.group("categories", name, data_dir)]:
                if CJK.search(other) and len(other) >= MIN_NAME:
                    out.setdefault(other, {"category": name})
        for brand in cat.brand_names:
            if CJK.search(brand) and len(brand) >= MIN_NAME:
                out.setdefault(brand, {"brand": brand})
        cur = ctx.cursor()
        try:
            cities = [r[0] for r in cur.execute("SELECT DISTINCT city FROM customers").fetchall()]
            codes = {
                str(r[0]).upper()
                for r in cur.execute("SELECT DISTINCT country FROM customers").fetchall()
                if r[0]
            }
        except Exception:  # noqa: BLE001 -- a store without these columns names none
            cities, codes = [], set()
        for city in cities:
            if city and CJK.search(city) and len(city) >= MIN_NAME:
                out.setdefault(city, {"city": city})
        for name, code in v.countries.items():
            if code.upper() in codes:
                out.setdefault(name, {"country": code.upper()})
        return out

    # Keyed by the catalog object, which is new whenever the products change.
    return ctx.cached(f"analyst_zh:names:{id(catalog(ctx))}", load)


def _aspects(ctx: ToolContext, t: str) -> list[str]:
    """Aspect ids whose Chinese terms (the taxonomy's and the alias table's) are in
    ``t``, in the order the question names them."""
    data_dir = ctx.models_dir.parent if ctx.models_dir else None
    table = aliases.aliases(data_dir)["aspects"]
    hits: list[tuple[int, str]] = []
    for a in ctx.aspect_taxonomy.aspects:
        terms = [*a.terms, *table.get(a.id, [])]
        for term in terms:
            if CJK.search(term) and len(term) >= MIN_NAME and (i := t.find(term)) >= 0:
                hits.append((i, a.id))
    out: list[str] = []
    for _, aspect_id in sorted(hits):
        if aspect_id not in out:
            out.append(aspect_id)
    return out
