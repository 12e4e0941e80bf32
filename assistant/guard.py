"""What goes to a remote model.

Tool results are guarded where every front end calls them (tools/toolbox.py, with
:func:`tools.guard.guard_result`: contact details per role, PII, injection flags).
What goes to a remote model passes :func:`messages_for_remote`: every string is
redacted (:mod:`assistant.outbound`: PII, and customers' names and cities, but not
dates) and untrusted text sits inside ``<data>`` fields the system prompt tells the
model to treat as quotes, never as instructions.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from assistant.outbound import PeopleLookup, Redactor, people_in
from tools.guard import DATA_TAG, QUOTE_KEYS, UNTRUSTED_RECORD_KEYS, UNTRUSTED_TEXT_KEYS

# -- what a remote model sees -------------------------------------------------

# Customer-written text that is not in a review or ticket record: what a customer
# typed into the shop's search box (a profile's browsing searches).
CUSTOMER_TEXT_PARENTS = {"searches": frozenset({"query", "text"})}


def messages_for_remote(
    messages: list[BaseMessage], people: PeopleLookup | None = None
) -> list[BaseMessage]:
    """Copies of the conversation as a remote model may read it.

    Emails, phones and cards are redacted everywhere (question, answers, tool
    arguments, tool results) but dates are kept; the names and cities of customers
    in the conversation (their records, and the store's record of every customer id
    mentioned, through ``people``) become ``[name]`` and ``[city]``; customer-written
    text sits inside ``<data>`` fields.
    """
    results = [_parsed(m.content) for m in messages if isinstance(m, ToolMessage)]
    redactor = Redactor(people_in([r for r in results if r is not None], people))
    out: list[BaseMessage] = []
    for message in messages:
        if isinstance(message, ToolMessage):
            content = _tool_content(message.content, redactor)
            out.append(message.model_copy(update={"content": content}))
        elif isinstance(message, HumanMessage | AIMessage):
            out.append(_redact_message(message, redactor))
        else:
            out.append(message)
    return out


def _redact_message(message: BaseMessage, redactor: Redactor) -> BaseMessage:
    update: dict[str, Any] = {}
    if isinstance(message.content, str):
        update["content"] = redactor.text(message.content)
    elif isinstance(message.content, list):
        update["content"] = [
            {**block, "text": redactor.text(block["text"])}
            if isinstance(block, dict) and isinstance(block.get("text"), str)
            else redactor.text(block)
            if isinstance(block, str)
            else block
            for block in message.content
        ]
    if isinstance(message, AIMessage) and message.tool_calls:
        update["tool_calls"] = [
            {**call, "args": redactor.record(call["args"])} for call in message.tool_calls
        ]
        # The client sends tool_calls; the provider's raw copy would repeat the originals.
        kwargs = dict(message.additional_kwargs)
        kwargs.pop("tool_calls", None)
        update["additional_kwargs"] = kwargs
    return message.model_copy(update=update)


def _parsed(content: Any) -> Any:
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except ValueError:
        return None


def _tool_content(content: Any, redactor: Redactor | None = None) -> str:
    redactor = redactor or Redactor()
    data = _parsed(content)
    if not isinstance(data, dict | list):
        # Plain text (or a bare JSON string): whose words they are is unknown, so data.
        text = content if isinstance(content, str) else json.dumps(content, default=str)
        return delimit(redactor.text(text))
    # Person fields first (names and cities by key), then customer text is delimited.
    return json.dumps(_delimit_untrusted(redactor.record(data), False), ensure_ascii=False)


def _delimit_untrusted(value: Any, in_record: bool, untrusted: bool = False) -> Any:
    """Strings under customer-text keys become ``<data>`` fields: text and titles of
    review and ticket records (and of anything nested in one), quote fields anywhere,
    a customer's own search queries; whole values when a text key holds a list or dict.
    Strings are redacted by the caller."""
    if isinstance(value, dict):
        record = in_record or any(value.get(k) for k in UNTRUSTED_RECORD_KEYS)
        out = {}
        for key, item in value.items():
            customer_text = (
                untrusted or key in QUOTE_KEYS or (record and key in UNTRUSTED_TEXT_KEYS)
            )
            if isinstance(item, list) and key in CUSTOMER_TEXT_PARENTS:
                out[key] = [_delimit_fields(x, CUSTOMER_TEXT_PARENTS[key]) for x in item]
            else:
                out[key] = _delimit_untrusted(item, record, customer_text)
        return out
    if isinstance(value, list):
        return [_delimit_untrusted(item, in_record, untrusted) for item in value]
    if isinstance(value, str) and untrusted:
        return delimit(value)
    return value


def _delimit_fields(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: delimit(v) if k in keys and isinstance(v, str) else v for k, v in value.items()}
    return delimit(value) if isinstance(value, str) else value


def delimit(text: str) -> str:
    """Untrusted text inside a data field; a field marker inside the text is defused."""
    safe = DATA_TAG.sub(lambda m: m.group().replace("<", "&lt;").replace(">", "&gt;"), text)
    return f"<data>{safe}</data>"


def delimit_customer_text(value: Any) -> Any:
    """A guarded tool result with its customer-written text inside ``<data>`` fields, as
    an outside agent reads it (the MCP server); no redaction beyond the role's guard."""
    return _delimit_untrusted(value, False)
