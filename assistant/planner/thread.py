"""What the conversation so far tells the planner: the current question, the tool
calls and results of this turn, and the entities and tools of earlier turns (so
"and what about their complaints?" refers to the customer of the previous turn).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage


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
        for m in messages[:last_human]:
            if isinstance(m, HumanMessage):
                thread.previous_question = text_of(m)
                thread.last_tools = []
            elif isinstance(m, AIMessage):
                for tc in m.tool_calls:
                    thread._remember(tc["name"], tc.get("args") or {})
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

    def called(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]
