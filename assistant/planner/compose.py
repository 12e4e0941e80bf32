"""The final answer, written from the tool results of the turn with the templates in
prompts/answers.yaml (prompts/answers.zh.yaml when the question is in Chinese: the
answer is in the language of the question it answers): concise, figures with the number of records behind them,
quotes with review ids. Formatters read the declared result types; a result that
is not of its declared type (a test double, a tool bug) is logged and falls back to
a generic rendering of its figures rather than costing the user the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from assistant import templates
from assistant.planner.decide import Plan, narrow_previous
from assistant.planner.formatters import FORMATTERS, audience_words, generic
from assistant.planner.language import question_language
from assistant.planner.now import Now
from assistant.planner.render import fill, label, period_line, spec, word
from assistant.planner.thread import Call, Thread

log = logging.getLogger(__name__)
CONVERSATION_FILES = {"en": "conversation.yaml", "zh": "conversation.zh.yaml"}
for _name in CONVERSATION_FILES.values():
    templates.declare(
        _name,
        {
            "still_about": frozenset({"subjects"}),
            "picked": frozenset({"title", "product_id", "question"}),
            "narrowed": frozenset({"filters", "matched"}),
            "audience_built": frozenset({"built"}),
            "audience_csv": frozenset({"count", "path"}),
            "filter_verified": frozenset(),
            "filter_unverified": frozenset(),
            "filter_min_rating": frozenset({"value"}),
            "filter_max_rating": frozenset({"value"}),
            "filter_other": frozenset({"key", "value"}),
        },
    )


def render_call(call: Call, lang: str = "en") -> list[str]:
    """The lines of one tool call's answer, in ``lang`` (the question's language)."""
    texts = spec(lang)
    r = call.result or {}
    if r.get("error"):
        hint = f" ({r['hint']})" if r.get("hint") else ""
        return [
            texts["error"].format(
                tool_label=label(call.name, lang), message=r.get("message", r["error"]), hint=hint
            )
        ]
    formatter = FORMATTERS.get(call.name, generic)
    try:
        lines = formatter(call, texts.get(call.name, {}), lang=lang)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("%s result is not of its declared type (%r): generic answer", call.name, exc)
        lines = generic(call, {}, lang=lang)
    return [line for line in lines if line]


def answer_language(thread: Thread) -> str:
    """The language of the question being answered. A question of ids and figures alone
    ("C00042", "2") has no language of its own: it keeps the conversation's."""
    words = _ID_OR_FIGURE.sub(" ", thread.question or "")
    if not any(c.isalpha() for c in words) and thread.previous_question:
        return question_language(thread.previous_question)
    return question_language(thread.question)


_ID_OR_FIGURE = re.compile(r"\b[A-Za-z]*\d[\w-]*")


def read_as_marker(lang: str = "en") -> str:
    """How an analyst answer opens ("Read as:" / "理解为："): its template up to the reading."""
    return spec(lang)["analyze"]["read_as"].split("{", 1)[0].strip()


def compose(
    thread: Thread,
    plan: Plan,
    now: Now | None = None,
    export: Callable[[Call], str | None] | None = None,
) -> str:
    """The answer, in the language of the question it answers (a reply that picked an
    option answers the question it resumed); ``export`` writes an audience's CSV and
    says where (None: no file)."""
    lang = answer_language(thread)
    text = _compose(thread, plan, export, lang)
    lead = [
        *_resumed(thread, lang),
        *_still_about(thread, plan, lang),
        *_narrowed(thread, plan, lang),
    ]
    if lead:
        text = "\n".join(lead) + "\n\n" + text
    period = plan.entities.period if plan.entities else None
    line = period_line(period, now, lang) if now else ""
    if line and text.startswith(read_as_marker(lang)):
        # The analyst answers open with how the question was read; the period note follows.
        head, _, rest = text.partition("\n")
        return f"{head}\n{line}\n{rest}"
    return f"{line}\n\n{text}" if line else text


def _compose(thread: Thread, plan: Plan, export=None, lang: str = "en") -> str:
    calls = [c for c in thread.calls if c.result is not None]
    # The product lookup only served the other tools; show it when it was the question.
    if any(c.name != "find_product" for c in calls):
        calls = [c for c in calls if c.name != "find_product"]
    blocks = []
    for c in calls:
        lines = render_call(c, lang)
        if c.name == "find_customers" and not (c.result or {}).get("error"):
            lines += audience_lines(c.result, export(c) if export else None, lang)
        blocks.append("\n".join(lines))
    return "\n\n".join(b for b in blocks if b).strip() or spec(lang)["empty"].format(
        tool_label=word(lang, "all_tools"), scope=""
    )


# -- what the conversation adds to the answer ------------------------------------------
def _texts(lang: str = "en") -> dict:
    return templates.load(CONVERSATION_FILES[lang])


def _resumed(thread: Thread, lang: str) -> list[str]:
    """A reply that picked an option answers the paused question: say which."""
    if not thread.picked:
        return []
    found = next(
        (
            o
            for o in (thread.paused.options if thread.paused else [])
            if o["product_id"] == thread.picked["product_id"]
        ),
        None,
    )
    if not found:
        return []
    line = fill(
        _texts(lang)["picked"],
        title=found.get("title") or found["product_id"],
        product_id=found["product_id"],
        question=thread.question,
    )
    return [line] if line else []


def _still_about(thread: Thread, plan: Plan, lang: str) -> list[str]:
    """Subjects the answer kept from earlier turns, named, so a carried filter is seen."""
    e = plan.entities
    if e is None:
        return []
    carried: list[str] = []
    for call in thread.calls:
        if call.name == "find_product":
            continue
        a = call.args
        values = [
            (a.get("customer_id"), a.get("customer_id") not in e.customer_ids),
            (a.get("product_id"), a.get("product_id") not in e.product_ids and not e.mention),
            (a.get("category"), not e.category and not e.mention),
        ]
        for value, was_carried in values:
            if value and was_carried and not thread.picked and value not in carried:
                carried.append(str(value))
    if not carried:
        return []
    line = fill(_texts(lang)["still_about"], subjects=word(lang, "list_sep").join(carried))
    return [line] if line else []


def _narrowed(thread: Thread, plan: Plan, lang: str) -> list[str]:
    """A follow-up that narrowed the previous reviews: how many of them are left."""
    if plan.entities is None:
        return []
    narrowed = narrow_previous(thread, plan.entities, thread.question, set())
    if narrowed is None:
        return []
    previous = thread.last_args.get("search_reviews") or {}
    call = next((c for c in thread.calls if c.name == "search_reviews" and c.result), None)
    if call is None or call.result.get("error"):
        return []
    new = {
        k: v
        for k, v in call.args.items()
        if k not in ("query", "k") and previous.get(k) != v and v is not None
    }
    filters = word(lang, "list_sep").join(_filter_words(k, v, lang) for k, v in new.items())
    line = fill(_texts(lang)["narrowed"], filters=filters, matched=call.result.get("matched"))
    return [line] if line else []


def _filter_words(key: str, value, lang: str) -> str:
    t = _texts(lang)
    if key == "verified":
        return t["filter_verified"] if value else t["filter_unverified"]
    if key == "min_rating":
        return t["filter_min_rating"].format(value=value)
    if key == "max_rating":
        return t["filter_max_rating"].format(value=value)
    return t["filter_other"].format(key=key.replace("_", " "), value=value)


def audience_lines(result: dict, csv_path: str | None, lang: str = "en") -> list[str]:
    """How an audience was built and its size, and where its CSV is."""
    t = _texts(lang)
    lines = [fill(t["audience_built"], built=audience_words(result, lang) or result.get("built"))]
    if csv_path:
        lines.append(fill(t["audience_csv"], count=result.get("count"), path=csv_path))
    return [line for line in lines if line]
