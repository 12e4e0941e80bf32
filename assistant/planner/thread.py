"""What the conversation so far tells the planner: the current question, the tool
calls and results of this turn, the entities and tools of earlier turns (so
"and what about their complaints?" refers to the customer of the previous turn), and
a paused plan: when the previous turn ended by asking "which one do you mean", the
question it paused and the options it offered, so the reply that picks one resumes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from rapidfuzz import fuzz

# The key of a clarifying answer's additional_kwargs that holds the paused plan. It
# travels with the message through the checkpointer, so a later turn (another
# process, after a restart) can still resume it.
PAUSED_KEY = "paused_plan"


def text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def parse_result(message: ToolMessage) -> dict[str, Any]:
    """A tool result as a dict (tool messages carry JSON strings of the result dicts)."""
    artifact = getattr(message, "artifact", None)
    if isinstance(artifact, dict):
        return artifact
    text = text_of(message)
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return (
            {"error": "ToolError", "message": text} if message.status == "error" else {"text": text}
        )
    return value if isinstance(value, dict) else {"value": value}


@dataclass
class Call:
    id: str
    name: str
    args: dict[str, Any]
    result: dict[str, Any] | None = None


@dataclass
class Paused:
    """A question the planner could not answer without a choice, and the choices."""

    question: str  # the question as first asked (what a picked option resumes)
    options: list[dict[str, Any]]  # each {"product_id", "title", ...}, in the order shown
    kind: str = "product"

    def to_kwargs(self) -> dict[str, Any]:
        return {PAUSED_KEY: {"question": self.question, "options": self.options, "kind": self.kind}}

    @classmethod
    def from_message(cls, message: AIMessage) -> Paused | None:
        raw = (message.additional_kwargs or {}).get(PAUSED_KEY)
        if not isinstance(raw, dict) or not raw.get("question"):
            return None
        options = [
            o for o in raw.get("options") or [] if isinstance(o, dict) and o.get("product_id")
        ]
        if not options:
            return None
        return cls(str(raw["question"]), options, str(raw.get("kind") or "product"))

    def pick(self, reply: str) -> dict[str, Any] | None:
        """The option a reply picks: by id, by position ("the first one", "2"), or by
        a fragment of its name that fits that option alone. None when the reply picks
        none of them: it is a new question."""
        text = (reply or "").strip().lower()
        if not text:
            return None
        for option in self.options:
            if re.search(
                rf"(?<![a-z0-9]){re.escape(str(option['product_id']).lower())}(?![a-z0-9])", text
            ):
                return option
        content = [w for w in _parts(text) if w not in _FILLER]
        if len(content) > MAX_PICK_WORDS:
            return None  # a sentence of its own: a new question, even if it names an option
        position = _position(text, len(self.options))
        if position is not None:
            return self.options[position]
        if not content:
            return None
        fits = [o for o in self.options if _names(content, o)]
        return fits[0] if len(fits) == 1 else None


@dataclass
class Thread:
    question: str = ""
    turn_index: int = 0  # number of messages before the question
    calls: list[Call] = field(default_factory=list)  # this turn
    last_customer: str | None = None
    last_product: str | None = None
    last_category: str | None = None
    last_tools: list[str] = field(default_factory=list)
    last_args: dict[str, dict] = field(default_factory=dict)  # tool -> its latest arguments
    previous_question: str | None = None
    # The plan the previous turn paused to ask which option was meant, if it did.
    paused: Paused | None = None
    # The question as the user typed it this turn, when a picked option replaced
    # ``question`` with the paused one (see assistant/planner/model.py).
    reply: str | None = None
    picked: dict[str, Any] | None = None
    # The arguments and results of the previous turn's calls, newest last: what
    # "those reviews" and "them" refer to.
    previous_calls: list[Call] = field(default_factory=list)

    @classmethod
    def read(cls, messages: list[BaseMessage]) -> Thread:
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        thread = cls()
        if last_human < 0:
            return thread
        thread.question = text_of(messages[last_human]).strip()
        thread.turn_index = last_human
        previous: dict[str, Call] = {}
        for m in messages[:last_human]:
            if isinstance(m, HumanMessage):
                thread._end_turn(list(previous.values()))
                thread.previous_question = text_of(m)
                thread.last_tools = []
                thread.paused = None
                previous = {}
            elif isinstance(m, AIMessage):
                for tc in m.tool_calls:
                    thread._remember(tc["name"], tc.get("args") or {})
                    call = Call(tc.get("id") or "", tc["name"], dict(tc.get("args") or {}))
                    previous[call.id] = call
                if not m.tool_calls:
                    thread.paused = Paused.from_message(m)
            elif isinstance(m, ToolMessage) and m.tool_call_id in previous:
                previous[m.tool_call_id].result = parse_result(m)
        thread._end_turn(list(previous.values()))
        thread.previous_calls = list(previous.values())
        by_id: dict[str, Call] = {}
        for m in messages[last_human + 1 :]:
            if isinstance(m, AIMessage):
                for tc in m.tool_calls:
                    call = Call(tc.get("id") or "", tc["name"], dict(tc.get("args") or {}))
                    thread.calls.append(call)
                    by_id[call.id] = call
            elif isinstance(m, ToolMessage) and m.tool_call_id in by_id:
                by_id[m.tool_call_id].result = parse_result(m)
        return thread

    def _remember(self, name: str, args: dict) -> None:
        if name != "find_product":
            self.last_tools.append(name)
            self.last_args[name] = dict(args)
        if args.get("customer_id"):
            self.last_customer = str(args["customer_id"])
        if args.get("product_id"):
            self.last_product = str(args["product_id"])
            self.last_category = None
        if args.get("category"):
            self.last_category = str(args["category"])

    def _end_turn(self, calls: list[Call]) -> None:
        """A turn whose tools left out a subject moved on from it: the customer (or
        product) of an older turn is not what a later "their" or "it" refers to."""
        used = [c.args for c in calls if c.name != "find_product"]
        if not used:
            return  # a clarification, refusal or lookup only: the subject stands
        if not any(a.get("customer_id") for a in used):
            self.last_customer = None
        if not any(a.get("product_id") or a.get("category") for a in used):
            self.last_product = self.last_category = None

    def called(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]


# A reply longer than this (in content words) is a question of its own.
MAX_PICK_WORDS = 5
_FILLER = frozenset(
    "the a an one i mean meant that this it please yes yeah yep ok okay sure oh sorry "
    "no nope option product item choice is was i'd like want go with take pick "
    "number".split()
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}


def _parts(text: str) -> list[str]:
    """Words, with letters and digits split ("tempo3" -> "tempo", "3")."""
    return re.findall(r"[a-z]+|\d+", text.replace("'", ""))


_POSITION = re.compile(
    r"^(?:(?:i mean|i meant|i'd like|go with|take)\s+)?(?:the\s+|option\s+|number\s+|no\.?\s*|#\s*)?"
    r"(?P<word>first|second|third|fourth|fifth|last|\d+)(?:st|nd|rd|th)?"
    r"(?:\s+(?:one|option|product))?(?:\s+please)?[\s.!]*$"
)


# "第二个", "就第一款吧", "最后一个": a position named in Chinese.
_POSITION_ZH = re.compile(
    r"^\s*(?:我要|要|选|就|是)?\s*(?:第\s*(?P<n>\d|[一二三四五])|(?P<last>最后))\s*一?(?:个|款|项|条)?"
    r"\s*(?:吧|的|那个|那款)?[\s。.!！]*$"
)
_ZH_ORDINALS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4}


def _position(text: str, n: int) -> int | None:
    """The 0-based position a reply names: "the first one", "2", "#2", "option 3", "last"
    (or 第二个, 最后一个)."""
    if zh := _POSITION_ZH.match(text):
        if zh["last"]:
            return n - 1
        index = int(zh["n"]) - 1 if zh["n"].isdigit() else _ZH_ORDINALS[zh["n"]]
        return index if 0 <= index < n else None
    m = _POSITION.match(text)
    if not m:
        return None
    word = m["word"]
    index = n - 1 if word == "last" else int(word) - 1 if word.isdigit() else _ORDINALS[word]
    return index if 0 <= index < n else None


def _names(content: list[str], option: dict[str, Any]) -> bool:
    """Whether every content word of a reply is a word of the option's name (a small
    typo allowed in words of 4+ letters)."""
    name = _parts(f"{option.get('brand') or ''} {option.get('title') or ''}".lower())
    return all(
        any(
            w == n or w.rstrip("s") == n.rstrip("s") or (len(w) >= 4 and fuzz.ratio(w, n) >= 80)
            for n in name
        )
        for w in content
    )
