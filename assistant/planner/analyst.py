"""Analyst questions read into a frame, then into ``analyze`` / ``compare_products`` calls.

The classes: rankings and top N ("which product has the most returns", "lowest rated
categories"), counts ("how many reviews did we get in March"), comparisons ("compare
A and B", "A vs B"), change ("which products got worse this quarter", "this quarter vs
last"), group-by ("revenue by channel"), shop-wide aspect summaries ("summarise
complaints about delivery") and the verified-buyer filter. The vocabulary is data
(prompts/analyst.yaml); this module reads a question by its class, not by phrasing.

``read`` returns None when the question is not an analyst question (the exemplar
planner takes it), or a ``Reading``: tool calls, a question back, or a plain "I can't
answer that yet" naming what the store would need.

A question with Chinese in it is first read into this vocabulary by
assistant/planner/analyst_zh.py (prompts/analyst.zh.yaml): the same classes, one set of
rules; its clarifications and "暂时无法回答：" come back in Chinese.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from assistant import templates
from assistant.planner import analyst_zh
from assistant.planner.entities import Entities, expand_contractions, extract
from assistant.planner.intents import OUT_OF_SCOPE
from assistant.planner.language import question_language
from assistant.planner.periods import Period, _add_months, parse_period
from assistant.planner.resources import prompts
from assistant.templates import fill_all
from tools import resolve
from tools.context import ToolContext
from tools.resolve import catalog, normalise, words

VOCABULARY = "analyst.yaml"
TOOLS = frozenset({"analyze", "compare_products"})
templates.declare(
    VOCABULARY,
    {
        templates.ANY: templates.DATA,
        "texts": {
            "cannot": {"what", "needs"},
            "which_metric": {"task", "subject"},
            "compare_what": set(),
            "compare_unknown": {"text"},
        },
    },
)

# What the old metrics tool reads in full: a question it answers exactly keeps it.
SALES_METRICS = frozenset(
    {"revenue", "orders", "units", "return_rate", "average_rating", "review_count"}
)
SALES_GROUPS = frozenset({"day", "week", "month", "category", "product", "brand", "country"})
SALES_FILTERS = frozenset({"category", "product", "brand", "country"})
TIME_DIMENSIONS = ("day", "week", "month", "quarter", "year")
# Dimensions a ranking can be "of" without "by": "which brands", "top 5 categories".
RANKABLE = ("product", "category", "brand", "country", "city", "channel", "segment", "aspect")
_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty)"
_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20}  # fmt: skip
_PLURALS = r"(?:products|items|brands|categories|countries|cities|channels|segments|aspects|months|weeks)\b"
SINGLE_LIMIT = 5  # "which product has the most ..." shows the winner and the runners-up
DEFAULT_CHANGE_MONTHS = 3
# A rating that "got worse" from one review to another is noise, not a change.
CHANGE_MIN_REVIEWS = 5
# Figures a Chinese question may name with no ranking, count or grouping (see _frame).
ZH_PLAIN_METRICS = frozenset(
    {"revenue", "orders", "units", "average_rating", "return_rate", "customers", "views",
     "carts", "tickets", "open_tickets", "average_order_value", "cancel_rate", "conversion_rate"}
)  # fmt: skip
# The language of the question being read: its clarifications are in that language.
_LANG: ContextVar[str] = ContextVar("analyst_language", default="en")
# What a Chinese question names in the shop in Chinese (analyst_zh.rewrite), in order.
_NAMES: ContextVar[tuple[dict[str, str], ...]] = ContextVar("analyst_names", default=())
# The Chinese words a Chinese question left once its cues were read (水壶, 智能手表).
_RESIDUE: ContextVar[str] = ContextVar("analyst_residue", default="")


@dataclass
class Reading:
    """What the analyst reading of a question asks the planner to do."""

    kind: str  # "tools" | "clarify" | "cannot"
    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    period: Period | None = None  # the period the answer's dates stand for


@dataclass
class Frame:
    task: str  # rank | count | group | change | compare | summary | total
    metric: str | None = None
    by: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    compare: str = "none"
    sort: str = "value"
    order: str = "desc"
    limit: int | None = None
    min_n: int | None = None

    def args(self) -> dict[str, Any]:
        filters = dict(sorted(self.filters.items()))
        out: dict[str, Any] = {"metric": self.metric, "by": self.by, "filters": filters}
        for key in ("since", "until", "limit", "min_n"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.compare != "none":
            out["compare"] = self.compare
        if self.task in ("rank", "change", "summary") and self.by:
            out["sort"] = self.sort  # a ranking of months is by value, not in time order
        out["order"] = self.order
        return out


class Vocabulary:
    """prompts/analyst.yaml, compiled once."""

    def __init__(self) -> None:
        spec = prompts(VOCABULARY)
        rx = lambda p: re.compile(p, re.I)  # noqa: E731
        self.metrics = [(name, rx(p)) for name, p in spec["metrics"]]
        self.review_metrics = frozenset(spec["review_metrics"])
        self.analyze_only = frozenset(spec["analyze_only"])
        self.lower_is_better = frozenset(spec["lower_is_better"])
        self.dimensions = {k: v for k, v in spec["dimensions"].items()}
        self.time_words = {k: rx(v) for k, v in spec["time_words"].items()}
        self.group = rx(
            spec["group_words"]
            + "("
            + "|".join(f"(?P<{k}>{v})" for k, v in self.dimensions.items())
            + r")\b"
        )
        self.dimension_any = {k: rx(rf"\b{v}\b") for k, v in self.dimensions.items()}
        for key in (
            "rank_desc", "rank_asc", "rank_words", "judgement_words", "count_words",
            "compare_words", "compare_split", "change_down", "change_up", "change_any",
            "year_before", "previous", "relative", "summary_words", "verified_true",
            "verified_false", "review_listing", "min_n",
        ):  # fmt: skip
            setattr(self, key, rx(spec[key]))
        self.cannot = [(rx(c["pattern"]), c["what"], c["needs"]) for c in spec["cannot_answer"]]
        self.texts = spec["texts"]
        # Every word pattern of the vocabulary: stripped before the question is searched
        # for the products, categories and brands it names.
        self.all_patterns = [p for _, p in self.metrics] + [
            *self.time_words.values(),
            self.group,
            *self.dimension_any.values(),
            *(
                getattr(self, k)
                for k in (
                    "rank_desc", "rank_asc", "judgement_words", "count_words",
                    "compare_words", "change_down", "change_up", "change_any",
                    "year_before", "previous", "relative", "summary_words",
                    "verified_true", "verified_false",
                )
            ),
        ]  # fmt: skip

    def text(self, key: str, **values: Any) -> str:
        return fill_all(self.texts[key], where=f"{VOCABULARY}:{key}", **values).strip()


def known_words() -> list[str]:
    """Words of the analyst vocabulary the speller must leave alone."""
    return str(prompts(VOCABULARY)["known_words"]).split()


@cache
def vocabulary() -> Vocabulary:
    return Vocabulary()


def _n(word: str) -> int:
    return int(word) if word.isdigit() else _NUM[word.lower()]


def read(
    ctx: ToolContext,
    question: str,
    e: Entities,
    today: date | None,
    chosen: list[str],
    available: set[str],
) -> Reading | None:
    """The analyst reading of ``question`` (see the module docstring), or None."""
    v = vocabulary()
    lang = question_language(question)
    chinese = None
    if analyst_zh.CJK.search(question):
        # Chinese cue words, or Chinese names in a question mostly in Latin letters
        # ("对比 Aurora Pulse 和 Stridex Tempo 3"): read through the Chinese cues.
        if found := analyst_zh.cannot(question):
            what, needs = found
            return Reading("cannot", analyst_zh.vocabulary().text("cannot", what=what, needs=needs))
        chinese = analyst_zh.rewrite(ctx, expand_contractions(question))
        e = _chinese_entities(ctx, chinese, today)
        if lang == "zh" and (e.customer_ids or analyst_zh.asks_for_people(question)):
            # One customer's tickets or reviews, or an audience ("哪些客户…"): the
            # customer tools answer these, not a figure over the shop.
            return None
        chosen = []  # the exemplar tools were chosen from other entities: analyze reads it
    t = chinese.text if chinese else expand_contractions(question).lower()
    t = re.sub(r"[?!]+", " ", t)
    if chinese is not None and lang == "zh":
        listing = analyst_zh.lists_reviews(question)
    else:
        listing = bool(v.review_listing.search(t))
        reviewish = listing or bool(
            re.search(r"\b(reviews?|complain\w*|tickets?|mention\w*|say|said|feedback)\b", t)
        )
        if not reviewish:
            for pattern, what, needs in v.cannot:
                if pattern.search(t):
                    return Reading("cannot", v.text("cannot", what=what, needs=needs))
    lang_token = _LANG.set(lang)
    names_token = _NAMES.set(tuple(chinese.names) if chinese else ())
    residue_token = _RESIDUE.set(chinese.residue if chinese else "")
    try:
        return _read(ctx, t, e, today, chosen, available, listing)
    finally:
        _LANG.reset(lang_token)
        _NAMES.reset(names_token)
        _RESIDUE.reset(residue_token)


def _chinese_entities(
    ctx: ToolContext, chinese: analyst_zh.Chinese, today: date | None
) -> Entities:
    """The entities of a Chinese question, read from its English reading: the Latin
    names and ids it typed, its period (Chinese or from a rewritten comparison such as
    比上个月) and its aspects, Chinese terms included."""
    e = extract(ctx, chinese.text, today)
    e.period = parse_period(chinese.dated, today)
    e.aspects = list(dict.fromkeys([*chinese.aspects, *e.aspects]))
    return e


def _read(
    ctx: ToolContext,
    t: str,
    e: Entities,
    today: date | None,
    chosen: list[str],
    available: set[str],
    listing: bool,
) -> Reading | None:
    v = vocabulary()
    frame = _frame(ctx, t, e, today, v)
    if frame is None:
        return None
    if isinstance(frame, Reading):
        return _allowed(frame, available)
    if listing and frame.task in ("total", "group"):
        return None  # "show me reviews about ..." asks for quotes, not a figure
    if _plain(frame, chosen, e):
        return None
    if frame.metric is None:
        task = "rank" if frame.task == "rank" else "break down"
        if _LANG.get() == "zh":
            text = analyst_zh.which_metric(task, frame.by[0] if frame.by else "these")
            return Reading("clarify", text)
        subject = _plural(frame.by[0]) if frame.by else "these"
        return Reading("clarify", v.text("which_metric", task=task, subject=subject))
    calls: list[tuple[str, dict[str, Any]]] = [("analyze", frame.args())]
    period = e.period
    if (frame.since, frame.until) != (e.period.since, e.period.until):
        # The change reading moved the period (to the last full day, or off the words that
        # named the comparison): the period note must tell the dates the tool was given.
        named = e.period.text if e.period.since == frame.since else ""
        period = Period(frame.since, frame.until, named)
    if frame.task == "summary" and (not available or "search_reviews" in available):
        calls.append(("search_reviews", _quotes(frame)))
    reading = Reading("tools", calls=calls, period=period)
    return _allowed(reading, available)


def without_analyst_tools(chosen: list, ranking: list, scale) -> tuple[list, list]:
    """The exemplar choice with the analyst tools taken out: only ``read`` calls them,
    with arguments from the frame; a question it leaves goes to the next best tool if
    that clears the embedding model's thresholds (``scale``, vectorstore/model_scales)."""
    kept = [c for c in chosen if c.tool not in TOOLS]
    rest = [i for i in ranking if i.tool not in TOOLS]
    if chosen and not kept and rest and rest[0].tool != OUT_OF_SCOPE:
        top = rest[0]
        # The same bar the intent model sets for its own choice, per embedding model.
        if top.score >= scale.intent_min_score or (
            top.cue and top.score >= scale.intent_min_score_cue
        ):
            kept = [top]
    return kept, rest


def _allowed(reading: Reading, available: set[str]) -> Reading:
    if reading.kind != "tools" or not available:
        return reading
    calls = [(n, a) for n, a in reading.calls if n in available]
    if not calls:
        from tools.registry import PURPOSES

        missing = ", ".join(PURPOSES.get(n, n) for n, _ in reading.calls)
        have = ", ".join(PURPOSES.get(n, n) for n in sorted(available))
        spec = prompts("planner.yaml")["clarify"]["not_allowed"]
        return Reading(
            "clarify", fill_all(spec, where="not_allowed", tools=missing, available=have)
        )
    reading.calls = calls
    return reading


def _plural(dim: str) -> str:
    return {"category": "categories", "country": "countries", "city": "cities"}.get(dim, dim + "s")


def _plain(frame: Frame, chosen: list[str], e: Entities) -> bool:
    """True when the tool the exemplars chose reads the question just as the frame
    does: the old metrics tool with the same metric, grouping and filters (a total or a
    default breakdown), or the segment overview's customers per segment."""
    if chosen == ["sales_metrics"]:
        same_filters = {
            k: x for k, x in (("category", e.category), ("country", e.country)) if x
        } == {k: x for k, x in frame.filters.items() if k in ("category", "country")}
        return (
            frame.task in ("total", "group", "rank", "count")
            and (e.metric or "revenue") == frame.metric
            and (e.group_by or None) == (frame.by[0] if frame.by else None)
            and same_filters
            and frame.metric in SALES_METRICS
            and len(frame.by) <= 1
            and set(frame.by) <= SALES_GROUPS
            and set(frame.filters) <= SALES_FILTERS
            and all(not isinstance(x, list) for x in frame.filters.values())
            and frame.compare == "none"
            and frame.order == "desc"
            and frame.limit is None
            and frame.min_n is None
        )
    if chosen == ["segment_overview"]:
        return (
            frame.by == ["segment"]
            and frame.metric in (None, "customers")
            and not frame.filters
            and frame.since is None
        )
    return False


def _quotes(frame: Frame) -> dict[str, Any]:
    aspect = str(frame.filters.get("aspect", "")).replace("_", " ")
    negative = frame.metric == "aspect_complaint_share"
    args: dict[str, Any] = {
        "query": f"{aspect} complaints" if negative else aspect,
        "sentiment": "negative" if negative else "positive",
        "k": 3,
    }
    for key, arg in (("product", "product_id"), ("category", "category")):
        if isinstance(frame.filters.get(key), str):
            args[arg] = frame.filters[key]
    for key in ("since", "until"):
        if getattr(frame, key):
            args[key] = getattr(frame, key)
    return args


# -- the frame -------------------------------------------------------------------------
def _frame(
    ctx: ToolContext, t: str, e: Entities, today: date | None, v: Vocabulary
) -> Frame | Reading | None:
    ungrouped = v.group.sub(" ", t)
    top_n = (
        re.search(rf"\b(?:top|bottom|best|worst)\s+{_N}\b", t)
        or re.search(
            rf"\b{_N}\s+(?:\w+\s+)?(?:top|bottom|best|worst|highest|lowest|most|least|biggest)\b",
            t,
        )
        or re.search(
            rf"\b(?:which|what|the|our|name|list|show|give me)\s+{_N}\s+(?:\w+\s+)?{_PLURALS}",
            t,
        )
    )
    min_n = v.min_n.search(t)
    if min_n:
        t = t[: min_n.start()] + " " + t[min_n.end() :]  # "with at least 20 reviews" is no metric
    compare = bool(v.compare_words.search(t)) or len(e.product_ids) >= 2
    down, up = v.change_down.search(ungrouped), v.change_up.search(ungrouped)
    against = v.year_before.search(t) or v.previous.search(t)
    change = bool(down or up or (against and v.change_any.search(t)))
    desc, asc = v.rank_desc.search(t), v.rank_asc.search(t)
    rank = bool(desc or asc or top_n or re.search(r"\brank\w*\b|\bleaderboard\b", t))
    count = bool(v.count_words.search(t))
    summary = bool(e.aspects and v.summary_words.search(t))
    verified = v.verified_false.search(t) or v.verified_true.search(t)
    by = _by(t, v)
    metric = _metric(t, e, v)
    # A figure only the analyze tool holds, asked about plainly ("the average order value
    # in France"), unless the question is about one customer or an audience.
    only_here = metric in v.analyze_only and not e.customer_ids
    if _LANG.get() == "zh" and not e.customer_ids:
        # The exemplar tools read a Chinese question's figure from its Chinese words,
        # which they do not know: a figure named plainly (玩具类的平均评分) is read
        # here. Review words alone (评价如何) name no figure for sure.
        # A star rating names a filter ("五星好评"), not the average rating.
        plain = _metric(re.sub(r"\b\d[- ]?stars?\b", " ", t), e, v)
        only_here = only_here or plain in ZH_PLAIN_METRICS
    if "verified" in by:
        compare = False  # "verified vs unverified" is a grouping
    if not (compare or change or rank or count or summary or verified or by or only_here):
        return None
    complaints = re.search(r"\b(complain\w*|complaints?|gripes?|problems|issues)\b", t)
    if metric is None and complaints and not e.aspects and not by:
        metric = "aspect_complaint_share"  # "the most common complaints": by aspect
    frame = Frame(task="total", metric=metric)
    scope = _scope(ctx, t, e, today, v)
    if isinstance(scope, Reading):
        if not compare:
            return scope
        scope = {}
    frame.filters.update(scope)
    if e.aspects and (metric in v.review_metrics or metric is None):
        frame.filters["aspect"] = e.aspects[0]
        if metric is None or metric in ("negative_share", "review_count") and summary:
            frame.metric = "aspect_complaint_share"
    if verified:
        if re.search(v.dimensions["verified"], t, re.I):
            by = [*by, "verified"] if "verified" not in by else by
        else:
            frame.filters["verified"] = not v.verified_false.search(t)
        if frame.metric is None or frame.metric not in v.review_metrics:
            frame.metric = "average_rating" if frame.metric is None else frame.metric
    if min_n:
        frame.min_n = int(min_n[2])
    if (
        frame.metric == "review_count"
        and e.min_rating is not None
        and re.search(r"\d[- ]?stars?|\b(one|two|three|four|five)[- ]stars?", t)
    ):
        frame.filters["rating"] = list(range(e.min_rating, (e.max_rating or e.min_rating) + 1))
    frame.since, frame.until = e.period.since, e.period.until

    if compare and _period_compare(t, v):
        change = True  # "this quarter vs last": two periods, not two products
    if compare and not change:
        result = _comparison(ctx, t, e, today, frame, v)
        if result is not None:
            return result
    if change:
        _change(t, e, today, frame, v, bool(down), bool(up), by)
        return frame
    if summary and frame.metric in ("aspect_complaint_share", "aspect_praise_share"):
        frame.task = "summary"
        frame.by = ["product"]
        frame.limit = SINGLE_LIMIT
        return frame
    if rank:
        frame.task = "rank"
        subject = by or _rank_subject(t, v)
        if not subject:
            audience = re.search(r"\b(customers|buyers|shoppers|clients)\b", t)
            if audience and frame.metric != "aspect_complaint_share":
                return None  # "which customers spent most": an audience, not a metric
            subject = (
                ["aspect"]
                if frame.metric == "aspect_complaint_share" and not e.aspects
                else ["product"]
            )
        if subject == ["aspect"] and frame.metric in (None, "negative_share"):
            frame.metric = "aspect_complaint_share"
        frame.by = subject[:2]
        frame.order = _order(t, frame.metric, v, desc, asc)
        if top_n:
            frame.limit = max(1, min(50, _n(top_n[1])))
        elif not re.search(
            r"\b(products|items|categories|brands|countries|cities|channels|segments|aspects|topics|months|weeks|days|quarters|years)\b",
            t,
        ):
            frame.limit = SINGLE_LIMIT
        return frame
    if by:
        frame.task = "group"
        frame.by = by[:2]
        return frame
    if count or verified or summary or only_here:
        frame.task = "count" if count else "total"
        if frame.metric is None:
            return None
        return frame
    return None


def _metric(t: str, e: Entities, v: Vocabulary) -> str | None:
    for name, pattern in v.metrics:
        if not pattern.search(t):
            continue
        if name in ("aspect_complaint_share", "aspect_praise_share") and not e.aspects:
            continue
        return name
    return None


def _by(t: str, v: Vocabulary) -> list[str]:
    """Groupings named with "by", "per", "each", "across", or time words ("monthly")."""
    found: list[tuple[int, str]] = []
    for m in v.group.finditer(t):
        dim = next(k for k in v.dimensions if m.group(k))
        found.append((m.start(), dim))
        # "by country and month": the second grouping shares the first one's "by".
        rest = t[m.end() :]
        for other, pattern in v.dimension_any.items():
            if (
                re.match(rf"\s*(and|,|&)\s+(the\s+|by\s+|per\s+)?{pattern.pattern}", rest)
            ) and other != dim:
                found.append((m.start() + 1, other))
                break
    for dim, pattern in v.time_words.items():
        if m := pattern.search(t):
            found.append((m.start(), dim))
    if m := v.dimension_any["verified"].search(t):
        found.append((m.start(), "verified"))  # "verified vs unverified" needs no "by"
    out: list[str] = []
    for _, dim in sorted(found):
        if dim not in out:
            out.append(dim)
    return out


def _rank_subject(t: str, v: Vocabulary) -> list[str]:
    """What a ranking ranks: the first dimension word ("which brand", "categories")."""
    hits = []
    for dim in RANKABLE:
        if m := v.dimension_any[dim].search(t):
            hits.append((m.start(), dim))
    for dim in TIME_DIMENSIONS:
        if m := re.search(rf"\b(which|what|best|worst|busiest|top)\s+(\w+\s+)?{dim}s?\b", t):
            hits.append((m.start(), dim))
    return [min(hits)[1]] if hits else []


def _order(t: str, metric: str | None, v: Vocabulary, desc, asc) -> str:
    """desc or asc: "most", "top" and "highest" mean the highest value; "best" and
    "worst" mean the best or worst news, which for a return rate is the lowest value."""
    judged = v.judgement_words.search(t)
    first = min((m for m in (desc, asc) if m), key=lambda m: m.start(), default=None)
    if re.search(r"\bbottom\b", t):
        return "asc"
    if first is None:
        return "desc"
    high = first is desc
    if judged and judged.start() == first.start() and metric in v.lower_is_better:
        high = not high
    return "desc" if high else "asc"


def _change(
    t: str, e: Entities, today, frame: Frame, v: Vocabulary, down: bool, up: bool, by: list[str]
) -> None:
    frame.task = "change"
    year = v.year_before.search(t)
    frame.compare = "year_before" if year else "previous"
    if frame.metric is None:
        frame.metric = "average_rating"
    day = today or date.today()
    against = year or v.previous.search(t)
    named = e.period
    compared = (
        named.text
        and against
        and named.text in t[against.start() : against.end()]
        and re.match(r"(last|previous|prior|preceding|a year)\b", named.text.strip())
    )
    if compared and not year and named.until:
        # "compared with last month": the period since then, against that month; with
        # no data after it yet, that month against the one before.
        start = date.fromisoformat(named.until) + timedelta(days=1)
        if (day - start).days >= 7:
            named = Period(start.isoformat(), None, "")
    elif compared:
        named = Period()  # "compared with last year" names the comparison, not the period
    same = re.search(r"\bsame (quarter|month|week) (as |of )?(last|a) year\b", t)
    if same:
        named = parse_period(f"this {same[1]}", day)  # that period now, against a year before
    if named.since or named.until:
        frame.since, frame.until = named.since, named.until
    elif year:
        frame.since, frame.until = date(day.year, 1, 1).isoformat(), None
    else:
        frame.since, frame.until = _add_months(day, -DEFAULT_CHANGE_MONTHS).isoformat(), None
    # Up to the last full day: a period and the one it is compared with have equal length.
    last = (day - timedelta(days=1)).isoformat()
    if frame.until is None or frame.until > last:
        frame.until = last
    frame.sort = "relative_change" if v.relative.search(t) else "change"
    worse = bool(re.search(r"\b(worse|worsen\w*|deteriorat\w*)\b", t))
    better = bool(re.search(r"\b(better|improv\w*)\b", t))
    if worse or better:
        # Worse news is a lower rating but a higher return rate.
        increase = better != (frame.metric in v.lower_is_better)
    else:
        increase = up and not down
    frame.order = "desc" if increase else "asc"
    ranked = (
        by
        or _rank_subject(t, v)
        or (["product"] if re.search(r"\b(which|what|top|most|steepest|biggest)\b", t) else [])
    )
    frame.by = [d for d in (by or ranked) if d not in TIME_DIMENSIONS][:1] or []
    if frame.by:
        if frame.metric == "average_rating" and frame.min_n is None:
            frame.min_n = CHANGE_MIN_REVIEWS
        frame.limit = (
            SINGLE_LIMIT if not re.search(r"\b(products|items|categories|brands)\b", t) else 10
        )
        if m := re.search(rf"\b(?:top|bottom)\s+{_N}\b", t):
            frame.limit = _n(m[1])
    else:
        frame.sort, frame.order = "value", "desc"


def _period_compare(t: str, v: Vocabulary) -> bool:
    """ "this quarter vs last", "compared with last year": periods, not products."""
    return bool(v.year_before.search(t) or v.previous.search(t))


# -- what the question names ----------------------------------------------------------
def _stripped(t: str, v: Vocabulary) -> str:
    for pattern in v.all_patterns:
        t = pattern.sub(" ", t)
    return re.sub(r"\s+", " ", t).strip()


def _scope(ctx: ToolContext, t: str, e: Entities, today, v: Vocabulary) -> dict[str, Any] | Reading:
    """Filters from what the question names, once the analyst words are taken out (so
    "returns" or "steepest" are never read as part of a product's name)."""
    filters: dict[str, Any] = {}
    named = extract(ctx, _stripped(t, v), today)
    if named.product_ids:
        filters["product"] = named.product_ids[0]
    elif named.category:
        filters["category"] = named.category
    elif named.mention:
        found = _name(ctx, named.mention)
        if isinstance(found, Reading):
            # A word the catalog only matched after a spelling fix ("place" -> "Pace")
            # names nothing for sure: the question is read without it.
            if _names_for_sure(ctx, named.mention, t):
                return found
            found = {}
        filters.update(found)
    if e.country or named.country:
        filters["country"] = e.country or named.country
    if e.segment:
        filters["segment"] = e.segment
    channel = _channel(ctx, t)
    if channel:
        filters["channel"] = channel
    # Names a Chinese question wrote in Chinese (analyst_zh): the first of each kind.
    for name in _NAMES.get():
        kind, value = next(iter(name.items()))
        if kind == "category" and ("product" in filters or "brand" in filters):
            continue
        if kind == "brand" and "product" in filters:
            continue
        filters.setdefault(kind, value)
    return filters


def _say(v: Vocabulary, key: str, **values: Any) -> str:
    """A text of the vocabulary in the question's language."""
    if _LANG.get() == "zh":
        return analyst_zh.vocabulary().text(key, **values)
    return v.text(key, **values)


def _names_for_sure(ctx: ToolContext, mention: str, question: str) -> bool:
    """True when a word of the mention, as the question typed it, is a word of a
    matching product's title."""
    typed = set(words(mention)) & set(words(question))
    found = resolve.products(ctx, mention)
    return any(typed & set(words(c["title"])) for c in found.get("candidates", [])[:3])


def _name(ctx: ToolContext, mention: str) -> dict[str, Any] | Reading:
    """A brand, a category or a product named in words."""
    brands = {normalise(b): b for b in catalog(ctx).brand_names}
    if normalise(mention) in brands:
        return {"brand": brands[normalise(mention)]}
    subject = resolve.subject(ctx, mention)
    if subject.kind == "product":
        return {"product": subject.product_id}
    if subject.kind == "category":
        return {"category": subject.category}
    zh = _LANG.get() == "zh"
    spec = analyst_zh.vocabulary().texts if zh else prompts("planner.yaml")["clarify"]
    if subject.kind == "ambiguous" and zh:
        # "Kessler Classic 电热水壶": the Chinese words the question left name the kind.
        chosen = analyst_zh.narrow(subject.options, _RESIDUE.get())
        if chosen is not None:
            return {"product": chosen["product_id"]}
    if subject.kind == "ambiguous":
        joiner = "，还是" if zh else " or "
        options = joiner.join(f"{c['title']} ({c['product_id']})" for c in subject.options)
        return Reading("clarify", fill_all(spec["product_ambiguous"], where="ask", options=options))
    # A leftover word that names nothing in the catalog: the brand, by its first word.
    first = words(mention)[0] if words(mention) else ""
    if first in brands:
        return {"brand": brands[first]}
    return Reading("clarify", fill_all(spec["product_unknown"], where="ask", text=mention))


def _channel(ctx: ToolContext, t: str) -> str | None:
    def load() -> dict[str, str]:
        try:
            rows = (
                ctx.cursor()
                .execute("SELECT DISTINCT channel FROM customers WHERE channel IS NOT NULL")
                .fetchall()
            )
        except Exception:  # noqa: BLE001 -- a store without the column has no channels
            return {}
        return {normalise(r[0]): r[0] for r in rows if r[0]}

    channels = ctx.cached("analyst:channels", load)
    for key, value in channels.items():
        if key and re.search(rf"\b{re.escape(key)}\b", normalise(t)):
            return value
    return None


def _comparison(
    ctx: ToolContext, t: str, e: Entities, today, frame: Frame, v: Vocabulary
) -> Reading | Frame | None:
    """Two to five products side by side, or categories / brands in one analyze call."""
    if len(e.product_ids) >= 2:
        return _compare_products(e.product_ids[:5], frame)
    # The words that separate the things compared stay, as separators.
    text = re.sub(r"\b(vs\.?|versus|against|compared (to|with)|side by side with)\s", " and ", t)
    text = _stripped(text, v)
    text = re.sub(
        r"\b(compare|comparison|of|between|the|our|how|do|does|did|is|are|what|which)\b", " ", text
    )
    sides = [s.strip() for s in v.compare_split.split(text) if s and s.strip()]
    sides = [s for s in sides if any(len(w) > 1 for w in words(s))]
    subjects: list[dict[str, Any]] = []
    for side in sides:
        named = extract(ctx, side, today)
        if named.product_ids:
            subjects.append({"product": named.product_ids[0]})
        elif named.category:
            subjects.append({"category": named.category})
        elif named.mention:
            found = _name(ctx, named.mention)
            if isinstance(found, Reading):
                return found
            subjects.append(found)
    subjects += [dict(n) for n in _NAMES.get() if next(iter(n)) in ("category", "brand")]
    if len(subjects) < 2:
        return Reading("clarify", _say(v, "compare_what"))
    kinds = {next(iter(s)) for s in subjects}
    if kinds == {"product"}:
        ids = list(dict.fromkeys(s["product"] for s in subjects))
        if len(ids) >= 2:
            return _compare_products(ids[:5], frame)
    if len(kinds) == 1:
        kind = kinds.pop()
        frame.task = "compare"
        frame.metric = frame.metric or "revenue"
        frame.by = [kind]
        frame.filters = {k: x for k, x in frame.filters.items() if k not in (kind, "product")}
        frame.filters[kind] = list(dict.fromkeys(s[kind] for s in subjects))
        frame.limit = len(frame.filters[kind])
        return frame
    return Reading("clarify", _say(v, "compare_what"))


def _compare_products(ids: list[str], frame: Frame) -> Reading:
    args: dict[str, Any] = {"product_ids": ids}
    if frame.metric:
        args["metrics"] = [frame.metric]
    if frame.since:
        args["since"] = frame.since
    if frame.until:
        args["until"] = frame.until
    period = Period(frame.since, frame.until)
    return Reading("tools", calls=[("compare_products", args)], period=period)
