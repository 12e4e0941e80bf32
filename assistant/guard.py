"""What goes to a remote model.

Tool results are guarded where every front end calls them (tools/toolbox.py, with
:func:`tools.guard.guard_result`: contact details per role, PII, injection flags).
What goes to a remote model passes :func:`messages_for_remote`: every string is
redacted and untrusted text sits inside ``<data>`` fields the system prompt tells
the model to treat as quotes, never as instructions.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from tools.guard import DATA_TAG, QUOTE_KEYS, UNTRUSTED_RECORD_KEYS, UNTRUSTED_TEXT_KEYS
from tools.safety import redact_pii

# -- what a remote model sees -------------------------------------------------


def messages_for_remote(messages: list[BaseMessage]) -> list[BaseMessage]:
    """Copies of the conversation with PII redacted and untrusted text delimited."""
    out: list[BaseMessage] = []
    for message in messages:
        if isinstance(message, ToolMessage):
            out.append(message.model_copy(update={"content": _tool_content(message.content)}))
        elif isinstance(message, HumanMessage | AIMessage) and isinstance(message.content, str):
            out.append(message.model_copy(update={"content": redact_pii(message.content)}))
        else:
            out.append(message)
    return out


def _tool_content(content: Any) -> str:
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    try:
        data = json.loads(text)
    except ValueError:
        return delimit(redact_pii(text))
    return json.dumps(_delimit_untrusted(data, False), ensure_ascii=False)


def _delimit_untrusted(value: Any, untrusted_record: bool) -> Any:
    if isinstance(value, dict):
        record = any(value.get(k) for k in UNTRUSTED_RECORD_KEYS)
        out = {}
        for key, item in value.items():
            untrusted = key in QUOTE_KEYS or (record and key in UNTRUSTED_TEXT_KEYS)
            if untrusted and isinstance(item, str):
                out[key] = delimit(redact_pii(item))
            elif untrusted and isinstance(item, list) and all(isinstance(x, str) for x in item):
                out[key] = [delimit(redact_pii(x)) for x in item]
            else:
                out[key] = _delimit_untrusted(item, record)
        return out
    if isinstance(value, list):
        return [_delimit_untrusted(item, untrusted_record) for item in value]
    if isinstance(value, str):
        return redact_pii(value)
    return value


def delimit(text: str) -> str:
    """Untrusted text inside a data field; a field marker inside the text is defused."""
    safe = DATA_TAG.sub(lambda m: m.group().replace("<", "&lt;").replace(">", "&gt;"), text)
    return f"<data>{safe}</data>"
