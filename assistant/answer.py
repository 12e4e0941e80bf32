"""What one turn of the agent returns: the text, the tool calls behind it and their evidence.

The UI, the command line (``insight ask --json``) and evaluation runs all read this
one shape, so it is plain data with a JSON-ready :meth:`Answer.to_dict`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

EVIDENCE_KINDS = ("reviews", "customers", "products", "orders")


@dataclass
class ToolCall:
    id: str
    name: str
    args: dict[str, Any]
    duration_ms: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass
class Answer:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    backend: str = "local"
    fell_back: bool = False
    fallback_reason: str | None = None
    thread_id: str | None = None
    role: str = "marketer"
    timings: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # The language of the question, which is the language of the answer ("en" | "zh"):
    # front ends say what they add around the answer (notices, errors) in it.
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "tool_calls"}
        out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return _jsonable(out)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def fallback_note(question: str, backend: str, reason: str) -> str:
    """The line opening an answer the local planner gave after the remote model failed,
    in the question's language (prompts/fallback_note.md, fallback_note.zh.md)."""
    from assistant import templates
    from assistant.planner.language import question_language

    name = "fallback_note.zh.md" if question_language(question) == "zh" else "fallback_note.md"
    return templates.text(name, backend=backend, reason=reason)


def merge_evidence(into: dict[str, list[str]], result: dict[str, Any] | None) -> None:
    """Add the ids a tool result relied on, keeping first-seen order and no duplicates."""
    evidence = (result or {}).get("evidence") or {}
    if not isinstance(evidence, dict):
        return
    for kind, ids in evidence.items():
        if not isinstance(ids, list | tuple):
            continue
        bucket = into.setdefault(kind, [])
        seen = set(bucket)
        for record_id in ids:
            record_id = str(record_id)
            if record_id not in seen:
                bucket.append(record_id)
                seen.add(record_id)


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so dates, decimals and numpy scalars become plain values."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)
