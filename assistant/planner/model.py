"""The embedded default chat model: an offline, deterministic tool-calling planner.

``LocalPlanner`` is a real LangChain ``BaseChatModel``: ``create_agent`` binds the
role's tools to it and sends it the message list. On each call it reads the thread
(assistant/planner/thread.py), decides what the question needs
(assistant/planner/decide.py: intent from exemplars + keyword cues, entities from
the store), and answers with one of:

- tool calls (several when the question asks for several things; a product named in
  words is first resolved with ``find_product``, then the real tools get its id);
- a short clarifying question when it cannot tell (unknown id, two close products);
  a question that offers products is a paused plan: it carries the question and the
  options (assistant/planner/thread.py), and the reply that picks one resumes the
  question with that product, the same tools and arguments;
- a polite refusal for questions outside the shop's data;
- the final answer, composed from the tool results with prompts/answers.yaml.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from assistant.errors import InsightError
from assistant.planner.compose import compose
from assistant.planner.decide import PRODUCT_TOOLS, Decider, Plan, clarify
from assistant.planner.exports import audience_csv
from assistant.planner.language import question_language
from assistant.planner.now import reference
from assistant.planner.thread import Paused, Thread
from tools import resolve
from tools.context import ToolContext


class LocalPlanner(BaseChatModel):
    """Offline planner over the tools it is bound to (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ctx: Any = Field(description="ToolContext for store lookups and the embedder.")
    today: date | None = Field(default=None, description="Date relative periods count from.")
    tool_schemas: dict[str, dict] = Field(default_factory=dict)

    def __init__(self, ctx: ToolContext, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(ctx=ctx, today=today, **kwargs)

    @property
    def _llm_type(self) -> str:
        return "local-planner"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"tools": sorted(self.tool_schemas), "today": str(self.today)}

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> LocalPlanner:
        """A copy that knows the bound tools; it only ever calls those."""
        schemas = {}
        for tool in tools:
            spec = convert_to_openai_tool(tool)["function"]
            schemas[spec["name"]] = spec.get("parameters") or {}
        return self.model_copy(update={"tool_schemas": schemas})

    # -- the model ------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.respond(messages)
        if message.tool_calls:
            chunks = [
                {"name": tc["name"], "args": json.dumps(tc["args"]), "id": tc["id"], "index": i}
                for i, tc in enumerate(message.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        # The final answer line by line, so a chat window shows it as it comes; the
        # first line carries the paused plan of a clarifying question, if any.
        for i, line in enumerate(message.content.splitlines(keepends=True)):
            kwargs = dict(message.additional_kwargs) if i == 0 else {}
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(content=line, additional_kwargs=kwargs)
            )
            if run_manager:
                run_manager.on_llm_new_token(line, chunk=chunk)
            yield chunk

    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        """The next message of the turn: tool calls, or the final text. A store or
        lookup error becomes a plain answer saying what went wrong, not a traceback."""
        try:
            return self._respond(messages)
        except InsightError as err:
            return AIMessage(content=str(err))

    def _respond(self, messages: list[BaseMessage]) -> AIMessage:
        thread = Thread.read(messages)
        resume(thread)
        # One "now" for every relative period of the turn (see planning/now.py).
        now = reference(self.ctx.cursor(), self.today)
        decider = Decider(self.ctx, now.day, set(self.tool_schemas))
        plan = decider.plan(thread)
        if plan.kind != "tools":
            return AIMessage(content=plan.text)
        pending = self._next_calls(plan, thread)
        if isinstance(pending, Choice):
            paused = Paused(thread.question, pending.options)
            return AIMessage(content=pending.plan.text, additional_kwargs=paused.to_kwargs())
        if isinstance(pending, Plan):
            return AIMessage(content=pending.text)
        if pending:
            return self._tool_message(thread, pending)
        return AIMessage(content=compose(thread, plan, now, export=self._export))

    def _export(self, call) -> str | None:
        """An audience's CSV (every member), for the answer to say where it is."""
        return audience_csv(self.ctx, call.args)

    def _next_calls(self, plan: Plan, thread: Thread) -> list[tuple[str, dict]] | Plan:
        """Calls still to make this turn (empty when all results are in)."""
        done = {c.name for c in thread.calls}
        calls = plan.calls
        if plan.resolve and thread.picked:
            # The reply to "which one do you mean" named the product: no lookup again.
            calls = [(name, self._with_subject(name, args, thread.picked)) for name, args in calls]
        elif plan.resolve:
            resolved = self._resolved(plan, thread)
            if resolved is None:
                return [("find_product", {"text": plan.resolve})]
            if isinstance(resolved, Plan | Choice):
                return resolved
            calls = [(name, self._with_subject(name, args, resolved)) for name, args in calls]
        return [(n, self._fit(n, a)) for n, a in calls if n not in done]

    def _resolved(self, plan: Plan, thread: Thread) -> dict | Plan | Choice | None:
        """The product (or category) the mention names, from find_product's result;
        None when find_product has not been called yet."""
        calls = thread.called("find_product")
        if calls and calls[-1].result is not None:
            result = calls[-1].result
        elif not calls and "find_product" not in self.tool_schemas and self.tool_schemas:
            # The role has no find_product tool: resolve with the engine directly.
            result = resolve.products(self.ctx, plan.resolve)
        else:
            return None
        need_product = any(n in PRODUCT_TOOLS for n, _ in plan.calls)
        return choose(result, plan.resolve, need_product, question_language(thread.question))

    @staticmethod
    def _with_subject(name: str, args: dict, subject: dict) -> dict:
        args = dict(args)
        if "product_id" in subject:
            if name in ("product_insights", "search_reviews", "sales_metrics"):
                args.pop("category", None)
            if name != "find_customers" or "category" not in args:
                args["product_id"] = subject["product_id"]
        elif "category" in subject and name not in PRODUCT_TOOLS:
            args["category"] = subject["category"]
        return args

    def _fit(self, name: str, args: dict) -> dict:
        """Arguments restricted to the bound tool's schema, enums mapped to allowed values."""
        schema = self.tool_schemas.get(name)
        if not schema or "properties" not in schema:
            return args
        props = schema["properties"]
        out = {}
        for key, value in args.items():
            if key not in props:
                continue
            prop = props[key]
            many = _is_array(prop)
            values = value if isinstance(value, list) else [value]
            allowed = _enum(prop)
            if allowed:
                values = [
                    next((a for a in allowed if str(a).lower() == str(v).lower()), None)
                    for v in values
                ]
                values = [v for v in values if v is not None]
                if not values:
                    continue
            out[key] = values if many else values[0]
        return out

    def _tool_message(self, thread: Thread, calls: list[tuple[str, dict]]) -> AIMessage:
        tool_calls = []
        for i, (name, args) in enumerate(calls):
            seed = f"{thread.turn_index}|{thread.question}|{len(thread.calls)}|{i}|{name}"
            call_id = "call_" + hashlib.sha1(seed.encode()).hexdigest()[:16]
            tool_calls.append({"name": name, "args": args, "id": call_id, "type": "tool_call"})
        return AIMessage(content="", tool_calls=tool_calls)


def _options(prop: dict) -> list[dict]:
    return [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]


def _is_array(prop: dict) -> bool:
    return any(o.get("type") == "array" for o in _options(prop))


def _enum(prop: dict) -> list | None:
    for option in _options(prop):
        for candidate in (option, option.get("items") or {}):
            if "enum" in candidate:
                return candidate["enum"]
            if "const" in candidate:
                return [candidate["const"]]
    return None


@dataclass
class Choice:
    """A clarifying question that offers products: the turn pauses on it."""

    plan: Plan
    options: list[dict]


def choose(
    result: dict, text: str, need_product: bool = False, lang: str = "en"
) -> dict | Plan | Choice:
    """The product (or category) find_product's result points to, by the resolver's rule
    (the same the tools and web panels use), or the question to ask: which of the close
    candidates is meant (a paused plan), or for more of the name when nothing is close."""
    subject = resolve.pick_subject(result, text, need_product)
    if subject.kind == "ambiguous":
        options = [
            {k: c.get(k) for k in ("product_id", "title", "brand", "category")}
            for c in subject.options
        ]
        # Not numbered: every number in an answer must come from the data. A reply may
        # still pick by position ("the second one", "2").
        listed = ("；" if lang == "zh" else "; ").join(
            f"{c['title']} ({c['product_id']})" for c in options
        )
        return Choice(clarify("product_ambiguous", lang, options=listed), options)
    if subject.kind == "unknown":
        return clarify("product_unknown", lang, text=text)
    return subject.as_args()


def resume(thread: Thread) -> None:
    """When the previous turn paused on "which one do you mean" and this reply picks an
    option, the turn answers the paused question about that option. A reply that picks
    none is a new question and is planned as one."""
    if thread.paused is None:
        return
    option = thread.paused.pick(thread.question)
    if option is None:
        return
    thread.reply = thread.question
    thread.question = thread.paused.question
    thread.picked = {"product_id": option["product_id"]}
