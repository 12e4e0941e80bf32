"""From a question (and the thread) to a plan: refuse, ask back, or call tools with
arguments. Pure decisions over the intent ranking and the extracted entities; the
chat model (assistant/planner/model.py) turns a plan into messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.planner import analyst, analyst_zh
from assistant.planner.entities import Entities, extract
from assistant.planner.intents import OUT_OF_SCOPE, Intent, IntentModel, Speller
from assistant.planner.language import question_language
from assistant.planner.numerals_zh import discount_percent
from assistant.planner.render import label, word
from assistant.planner.resources import prompts
from assistant.planner.thread import Thread
from assistant.templates import fill_all
from tools.bm25 import tokenize
from tools.context import ToolContext
from tools.registry import PURPOSES, SPEC_BY_NAME, tools_needing
from tools.resolve import aspect_words, catalog, words

# What each tool needs before it can be called, from its spec.
CUSTOMER_TOOLS = tools_needing("customer")
PRODUCT_TOOLS = tools_needing("product")
# Tools that take a product or a category (one of them is needed).
SUBJECT_TOOLS = tools_needing("product_or_category")
# Tools that can take a named product or category: only they need find_product first.
SUBJECT_ARGS = frozenset(
    name
    for name, spec in SPEC_BY_NAME.items()
    if {"product_id", "category"} & set(spec.args.model_fields)
)
# Text the user pasted to be read: in double quotes, or after the question's colon.
QUOTED = re.compile(r'["“]([^"”]{3,})["”]')
AFTER_COLON = re.compile(r"[:：]\s*(\S.{2,})$", re.S)
FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|same for|now|ok(ay)?,? and|then)\b", re.I
)
# "那 Kitchen 呢?", "还有他们的工单", "换成上个月": a Chinese follow-up.
FOLLOW_UP_ZH = re.compile(r"^\s*(那|那么|还有|另外|同样|换成|改成|再看|再来)|呢\s*[？?]?\s*$")
# A Chinese question this short (characters, Latin words counting one each) is read
# as a follow-up too, as an English one of five words or fewer is.
SHORT_ZH = 10
# A follow-up whose own intent is weaker than this repeats the previous turn's tools.
FOLLOW_UP_SCORE = 0.6


@dataclass
class Plan:
    kind: str  # "tools" | "clarify" | "refuse"
    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    resolve: str | None = None  # product words to resolve with find_product first
    entities: Entities | None = None
    intents: list[Intent] = field(default_factory=list)


def _texts(lang: str = "en") -> dict:
    """The planner's own texts in ``lang`` (prompts/planner.yaml, planner.zh.yaml)."""
    return prompts("planner.zh.yaml" if lang == "zh" else "planner.yaml")


def refusal(lang: str = "en") -> Plan:
    spec = _texts(lang)
    text = fill_all(spec["refusal"], where="refusal", example=spec["refusal_example"])
    return Plan("refuse", text.strip())


def clarify(key: str, lang: str = "en", **values: Any) -> Plan:
    text = fill_all(_texts(lang)["clarify"][key], where=key, **values)
    return Plan("clarify", text.strip())


def _length(text: str) -> int:
    """Words of an English question; characters of a Chinese one (Latin words one each)."""
    return len(re.findall(r"[\u3400-\u9fff]|[A-Za-z0-9]+", text))


def is_follow_up(raw: str) -> bool:
    if question_language(raw) == "zh":
        return bool(FOLLOW_UP_ZH.search(raw)) or _length(raw) <= SHORT_ZH
    return bool(FOLLOW_UP.search(raw)) or len(raw.split()) <= 5


class Decider:
    def __init__(self, ctx: ToolContext, today: date | None, available: set[str]) -> None:
        self.ctx = ctx
        self.today = today
        self.available = available
        self.intents = IntentModel.for_embedder(ctx.embedder)
        self.lang = "en"
        self.speller = ctx.cached(
            f"planner:speller:{ctx.aspect_taxonomy.digest}",
            lambda: Speller(extra=_known_words(ctx)),
        )

    def plan(self, thread: Thread) -> Plan:
        raw = thread.question
        self.lang = question_language(raw)
        if not raw:
            return clarify("intent")
        question = self.speller.fix(raw)
        e = extract(self.ctx, question, self.today)
        # A Chinese question is read by the multilingual model (see intents.py).
        self.intents = IntentModel.for_question(self.ctx.embedder, raw)
        # "How many of those are from verified buyers?" narrows the previous result; it
        # is not a new count over the whole shop.
        narrowed = narrow_previous(thread, e, raw, self.available)
        if narrowed is not None:
            return narrowed
        chosen, ranking = self.intents.classify(e.masked or question)
        chosen = _people_asked_for(chosen, ranking, raw, self.lang)
        chosen, ranking = analyst.without_analyst_tools(chosen, ranking, self.intents.scale)
        reading = analyst.read(
            self.ctx, question, e, self.today, [c.tool for c in chosen], self.available
        )
        if reading is not None:
            return _from_reading(reading, e)
        follow_up = is_follow_up(raw)
        top = ranking[0]
        repeat = bool(
            thread.last_tools
            and follow_up
            and (not chosen or (chosen[0].score < FOLLOW_UP_SCORE and not chosen[0].cue))
        )
        if repeat:
            chosen = [Intent(t, 1.0, False) for t in dict.fromkeys(thread.last_tools)]
        if not chosen:
            has_entity = e.customer_ids or e.product_ids or e.mention or e.category
            if top.tool == OUT_OF_SCOPE and (not has_entity or top.score > ranking[1].score + 0.15):
                return refusal(self.lang)
            if not has_entity and ranking[0].score < 0.3:
                return refusal(self.lang)
            return self._clarify("intent")
        tools = [c.tool for c in chosen]
        tools = self._implied(tools, e)
        if (
            tools == ["search_reviews"]
            and e.sentiment == "negative"
            and not e.aspects
            and not e.customer_ids
            and (e.mention or e.category or e.product_ids)
            and (not self.available or "product_insights" in self.available)
        ):
            # "What do buyers complain about for X?": quotes alone do not say what the
            # complaints are about; the aspect breakdown does, with its counts.
            tools = ["product_insights", "search_reviews"]
        missing = [t for t in tools if self.available and t not in self.available]
        tools = [t for t in tools if not self.available or t in self.available]
        if not tools:
            return self._not_allowed(missing)
        plan = self._arguments(tools, e, thread, follow_up)
        if plan.kind == "tools" and tools == ["campaign_brief"]:
            plan.calls = [(n, previous_audience(thread, e, a)) for n, a in plan.calls]
        if repeat and plan.kind == "tools":
            plan.calls = [(t, _carry_over(thread.last_args.get(t, {}), a)) for t, a in plan.calls]
        return plan

    def _implied(self, tools: list[str], e: Entities) -> list[str]:
        if "campaign_brief" in tools:
            return ["campaign_brief"]  # the brief holds the audience and the products
        tools = reviewers_audience(tools, e)
        # A question about one named customer is about their profile, not the segments.
        if e.customer_ids:
            tools = [
                "customer_profile" if t in ("segment_overview", "find_customers") else t
                for t in tools
            ]
            tools = list(dict.fromkeys(tools))
        # "Emails of all customers at risk" asks for an audience (which never carries
        # contact details); contact details are for one buyer.
        if "contact_details" in tools and not e.customer_ids and AUDIENCE.search(e.masked):
            tools = ["find_customers" if t == "contact_details" else t for t in tools]
            tools = list(dict.fromkeys(tools))
        # A role that may not see contact details gets the profile, masked by the guard.
        if (
            "contact_details" in tools
            and self.available
            and "contact_details" not in self.available
        ):
            tools = ["customer_profile" if t == "contact_details" else t for t in tools]
            tools = list(dict.fromkeys(tools))
        # "Which buyers ... suggest what to send them" with no customer id: the audience
        # is the answer; recommendations need one customer and come per customer later.
        if "find_customers" in tools and "recommend_for_customer" in tools and not e.customer_ids:
            tools = [t for t in tools if t != "recommend_for_customer"]
        return tools

    def _clarify(self, key: str, **values: Any) -> Plan:
        return clarify(key, self.lang, **values)

    def _not_allowed(self, missing: list[str]) -> Plan:
        if self.lang == "en":
            named, sep = (lambda t: PURPOSES.get(t, t)), ", "
        else:  # the tools' purposes are English: other languages name them by their labels
            named, sep = (lambda t: label(t, self.lang)), word(self.lang, "list_sep")
        return self._clarify(
            "not_allowed",
            tools=sep.join(named(t) for t in missing),
            available=sep.join(named(t) for t in sorted(self.available)),
        )

    def _arguments(self, tools: list[str], e: Entities, thread: Thread, follow_up: bool) -> Plan:
        customer = e.customer_ids[0] if e.customer_ids else None
        if customer is None and thread.last_customer and carries_customer(e, tools, follow_up):
            customer = thread.last_customer
        product = e.product_ids[0] if e.product_ids else None
        category = e.category
        if product is None and category is None and not e.mention:
            if (e.product_pronoun or follow_up) and (thread.last_product or thread.last_category):
                product, category = thread.last_product, thread.last_category
        needs_customer = [t for t in tools if t in CUSTOMER_TOOLS]
        if needs_customer and customer is None:
            if e.unknown_ids:
                raw, sugg = next(iter(e.unknown_ids.items()))
                if sugg:
                    joiner = "或" if self.lang == "zh" else " or "
                    return self._clarify("customer_unknown", raw=raw, suggestions=joiner.join(sugg))
                return self._clarify("customer_unknown_none", raw=raw)
            return self._clarify("customer")
        needs_product = [t for t in tools if t in PRODUCT_TOOLS]
        needs_subject = [t for t in tools if t in SUBJECT_TOOLS]
        resolve = None
        if (
            product is None
            and e.mention
            and not (
                customer
                and not needs_product
                and not needs_subject
                and "search_reviews" not in tools
                and "sales_metrics" not in tools
            )
        ):
            resolve = e.mention
        if product is None and resolve is None:
            if needs_product or (needs_subject and category is None):
                if e.unknown_ids:
                    raw = next(iter(e.unknown_ids))
                    return self._clarify("product_unknown", text=raw)
                return self._clarify("product")
        if not SUBJECT_ARGS & set(tools):
            resolve = None  # no tool takes a product: the lookup is the answer, or not needed
        pasted = pasted_texts(thread.question)
        if "review_sentiment" in tools and not pasted:
            return self._clarify("text")
        calls = [(t, self._args_for(t, e, customer, product, category)) for t in tools]
        calls = [(t, {"texts": pasted} if t == "review_sentiment" else a) for t, a in calls]
        return Plan("tools", calls=calls, resolve=resolve, entities=e)

    def _args_for(self, tool: str, e: Entities, customer, product, category) -> dict[str, Any]:
        period = e.period.as_args()
        if tool == "search_reviews":
            args = {
                "query": search_query(e),
                "product_id": product,
                "category": None if product else category,
                "customer_id": customer,
                "min_rating": e.min_rating,
                "max_rating": e.max_rating,
                "sentiment": e.sentiment if e.min_rating is None and e.max_rating is None else None,
                "k": e.k,
                **period,
            }
        elif tool == "product_insights":
            args = {"product_id": product, "category": None if product else category, **period}
        elif tool in ("customer_profile", "contact_details", "offer_for_customer"):
            args = {"customer_id": customer}
        elif tool == "tickets":
            args = {
                "customer_id": customer,
                "product_id": product,
                "status": _ticket_status(e.masked or ""),
                "k": e.k,
                **period,
            }
            query = _ticket_query(e)
            if query:
                args["query"] = query
        elif tool == "recommend_for_customer":
            args = {"customer_id": customer, "k": e.k, "category": category}
        elif tool in PRODUCT_TOOLS:
            args = {"product_id": product, "k": e.k}
        elif tool == "find_customers":
            args = {
                "segment": e.segment if not e.viewed else None,
                "category": None if e.viewed else category,
                "viewed_category": category if e.viewed else None,
                "min_spend": e.min_spend,
                "inactive_days": e.inactive_days,
                "churn_risk": e.churn_risk,
                "sentiment": e.sentiment,
                "aspect": e.aspects[0] if e.aspects else None,
                "product_id": product,
                "country": e.country,
                "k": e.k,
            }
        elif tool == "sales_metrics":
            args = {
                "metric": e.metric or "revenue",
                "group_by": e.group_by,
                "category": None if product else category,
                "product_id": product,
                "country": e.country,
                **period,
            }
        elif tool == "find_product":
            args = {"text": e.mention or (category or ""), "k": e.k}
        elif tool == "campaign_brief":
            args = campaign_args(e, product, category)
        elif tool == "digest":
            # "What changed in September?" is September against August, not the default
            # last 30 days under a period line that says September.
            args = dict(period)
        else:
            args = {}
        return {k: v for k, v in args.items() if v is not None}


SUBJECT_KEYS = ("product_id", "category", "customer_id")
OPEN_WORDS = re.compile(
    r"\b(open|unresolved|pending|outstanding|current)\b|"
    r"未关闭|未处理|没处理|未解决|没解决|待处理|未完成|没关|开着|还开|未结",
    re.I,
)
CLOSED_WORDS = re.compile(
    r"\b(closed|resolved|solved|past|old)\b|已关闭|已解决|已处理|关闭了|解决了|处理完了|已结", re.I
)


# A question about many customers (an audience), not one buyer.
AUDIENCE = re.compile(r"\b(all|every|customers|buyers|shoppers|clients|audience|segment)\b", re.I)

# Words of a question about tickets that say which tickets, not what they say.
TICKET_WORDS = frozenset(
    "ticket tickets support mention mentions mentioning about open closed resolved any "
    "which what show find list customer customers product this their them they write wrote "
    "written say says said".split()
)


# The same for a Chinese question: ticket and status words, and the question's filler.
TICKET_WORDS_ZH = frozenset(
    "工单 售后单 客服 记录 未 没 关闭 处理 解决 完成 开着 还 已 结 关 完 哪些 什么 关于".split()
) | frozenset(prompts("planner.zh.yaml")["ignore_words"].split())


def _ticket_query(e: Entities) -> str:
    """The words to search ticket text for: codes, else the question's own content words
    (ticket text is searched for what the customer wrote, not mapped to a review aspect)."""
    if e.exact_terms:
        return " ".join(e.exact_terms)
    if not (e.topic or e.aspects):
        return ""
    words = [
        w
        for w in tokenize(e.masked)
        if w not in TICKET_WORDS and w not in TICKET_WORDS_ZH and not w.isdigit()
    ]
    return " ".join(dict.fromkeys(words))


def _ticket_status(question: str) -> str:
    """Which tickets a question asks about: "open tickets", "closed ones", or all."""
    if OPEN_WORDS.search(question):
        return "open"
    if CLOSED_WORDS.search(question):
        return "closed"
    return "any"


def _carry_over(previous: dict, new: dict) -> dict:
    """A follow-up ("and for Kitchen?", "what about since March?") keeps the previous
    turn's arguments and replaces what it names anew."""
    out = dict(previous)
    if any(new.get(k) for k in SUBJECT_KEYS):
        for k in SUBJECT_KEYS:
            out.pop(k, None)
    if new.get("since") or new.get("until"):
        out.pop("since", None)
        out.pop("until", None)
    out.update(new)
    return out


def _people_asked_for(chosen: list[Intent], ranking: list[Intent], raw: str, lang: str):
    """ "给 P0015 写过差评的客户" names reviews but asks for the people who wrote them: when
    a Chinese question asks for customers and the audience tool's cue fired too, the
    audience is the answer, not the reviews or the product's figures."""
    if lang != "zh" or not chosen or not analyst_zh.asks_for_people(raw):
        return chosen
    if chosen[0].tool not in ("search_reviews", "product_insights"):
        return chosen
    audience = next((i for i in ranking if i.tool == "find_customers" and i.cue), None)
    return [audience] if audience else chosen


def _from_reading(reading: analyst.Reading, e: Entities) -> Plan:
    """An analyst reading (assistant/planner/analyst.py) as a plan."""
    if reading.kind != "tools":
        return Plan("clarify", reading.text)
    if reading.period is not None:
        e.period = reading.period
    return Plan("tools", calls=reading.calls, entities=e)


def _known_words(ctx: ToolContext) -> list[str]:
    """Words the speller must leave alone: the catalog's, the categories', the aspects'."""
    cat = catalog(ctx)
    known = list(cat.idf)
    known += [w for c in cat.category_names for w in words(c)]
    known += aspect_words(ctx)  # the workspace's taxonomy, so a shop's own aspects stay
    known += prompts("planner.yaml")["ignore_words"].split()
    known += analyst.known_words()
    return known


def pasted_texts(question: str) -> list[str]:
    """The texts a question quotes for reading (``review_sentiment``), in order."""
    found = [t.strip() for t in QUOTED.findall(question or "")]
    if not found:
        found = [t.strip() for t in AFTER_COLON.findall(question or "")]
    return [t for t in found if t]


def search_query(e: Entities) -> str:
    """What search_reviews looks for: codes verbatim, else the aspect and subject words
    of the question (in its own language), never its filler."""
    if e.lang == "zh" and not e.exact_terms:
        return _query_zh(e)
    if e.exact_terms:
        return " ".join(e.exact_terms)  # codes and model numbers, searched verbatim
    if e.aspects:
        terms = " ".join(a.replace("_", " ") for a in e.aspects)
        return f"{terms} complaints" if e.sentiment == "negative" else terms
    if e.topic:
        return e.topic
    if e.sentiment == "negative":
        return "complaints problems disappointed"
    if e.sentiment == "positive":
        return "love it great happy"
    return "customer experience"


def _query_zh(e: Entities) -> str:
    """A Chinese question's search words: its aspect words as written (电池, 物流) and
    its other content words (漏水, 降噪); the sentiment's own words when it names
    neither. Chinese stays Chinese: a multilingual index reads it, and an English one
    is given a translation by the search tool."""
    terms = [*e.aspect_terms, *(e.topic.split() if e.topic else [])]
    terms = [t for t in dict.fromkeys(terms) if t]
    spec = _texts("zh")["search_words"]
    if terms:
        if e.sentiment == "negative" and not e.topic:
            terms.append(spec["negative_suffix"])
        return " ".join(terms)
    if e.sentiment in ("negative", "positive"):
        return spec[e.sentiment]
    return spec["neutral"]


# -- conversation scope (issue 14) ----------------------------------------------------
# "those reviews", "them", "only the 1-star ones": the previous result set, narrowed.
NARROW = re.compile(
    r"\b(those|these|them|the ones|ones|only|just|of which|out of (those|these))\b", re.I
)
VERIFIED = re.compile(r"\b(verified|confirmed)\b", re.I)
UNVERIFIED = re.compile(r"\b(unverified|not verified|non[- ]verified)\b", re.I)
SEGMENT_WORD = re.compile(r"\bsegment\b", re.I)
OFFER = re.compile(r"(\d{1,2}(?:\.\d+)?)\s*(?:%|percent|per cent)", re.I)
# The campaign's own audience words; without them an email "to them" is for the
# previous turn's audience.
CAMPAIGN_AUDIENCE = ("segment", "category", "product_id", "churn_risk")


# "Which customers left a bad review of X?", "who complained about it?": the answer is
# people (an audience), the reviews are only how they are chosen.
WHO_REVIEWED = re.compile(
    r"\bwhich (customers|buyers|shoppers|people|clients)\b|"
    r"\bwho (wrote|left|gave|posted|complained|was unhappy|were unhappy|reviewed)\b",
    re.I,
)


def reviewers_audience(tools: list[str], e: Entities) -> list[str]:
    if e.customer_ids or not WHO_REVIEWED.search(e.masked or ""):
        return tools
    if not {"search_reviews", "product_insights"} & set(tools):
        return tools
    out = ["find_customers" if t in ("search_reviews", "product_insights") else t for t in tools]
    return list(dict.fromkeys(out))


def names_subject(e: Entities) -> bool:
    return bool(e.customer_ids or e.product_ids or e.mention or e.category)


def carries_customer(e: Entities, tools: list[str], follow_up: bool) -> bool:
    """The previous turn's customer carries over only to a question that refers to
    them ("their reviews") or reads as a follow-up and names no subject of its own;
    an audience question's "they" is the audience, not the last customer."""
    if "find_customers" in tools or "campaign_brief" in tools:
        return False
    if e.customer_pronoun:
        return True
    return follow_up and not names_subject(e)


def narrow_previous(thread: Thread, e: Entities, raw: str, available: set[str]):
    """A follow-up that narrows the previous review search ("how many of those are
    from verified buyers?", "only the 1-star ones", "just since September"): the same
    search with the new filters added. None when the question is not one."""
    previous = thread.last_args.get("search_reviews")
    if (
        previous is None
        or "search_reviews" not in thread.last_tools
        or not NARROW.search(raw)
        or names_subject(e)
        or (available and "search_reviews" not in available)
    ):
        return None
    args = dict(previous)
    changed = False
    if UNVERIFIED.search(raw):
        args["verified"], changed = False, True
    elif VERIFIED.search(raw):
        args["verified"], changed = True, True
    if e.min_rating is not None or e.max_rating is not None:
        args.pop("sentiment", None)
        args.pop("min_rating", None)
        args.pop("max_rating", None)
        if e.min_rating is not None:
            args["min_rating"] = e.min_rating
        if e.max_rating is not None:
            args["max_rating"] = e.max_rating
        changed = True
    elif e.sentiment and e.sentiment != args.get("sentiment"):
        args["sentiment"], changed = e.sentiment, True
    period = e.period.as_args()
    if period:
        args.pop("since", None)
        args.pop("until", None)
        args.update(period)
        changed = True
    if e.aspects:
        args["query"] = search_query(e)
        changed = True
    if not changed:
        return None
    return Plan("tools", calls=[("search_reviews", args)], entities=e)


def previous_audience(thread: Thread, e: Entities, args: dict[str, Any]) -> dict[str, Any]:
    """ "Draft an email to them" after an audience: the previous audience's filters,
    unless the question names an audience of its own."""
    previous = thread.last_args.get("find_customers")
    if previous is None or e.segment or e.churn_risk or names_subject(e):
        return args
    carried = {k: previous[k] for k in CAMPAIGN_AUDIENCE if previous.get(k) is not None}
    return {**args, **carried}


def campaign_args(e: Entities, product: str | None, category: str | None) -> dict[str, Any]:
    """The audience and offer of a campaign email, as the question names them."""
    segment, churn = e.segment, e.churn_risk
    if segment == "At risk" and not SEGMENT_WORD.search(e.masked or ""):
        # "at-risk customers" in a campaign means likely to leave (churn risk), not
        # the RFM segment of that name unless the segment is asked for.
        segment, churn = None, churn or "high"
    offer = OFFER.search(e.masked or "")
    return {
        "segment": segment,
        "category": None if product else category,
        "product_id": product,
        "churn_risk": churn,
        "offer_percent": float(offer[1]) if offer else discount_percent(e.masked or ""),
        "k": e.k,
    }
