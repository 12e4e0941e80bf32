"""Roles, PII redaction and untrusted text, enforced where tools return data.

Every tool the agent binds is wrapped here, so whatever a tool returns is:

- limited by role: a marketer never gets contact fields, whatever a tool forgot;
- redacted: PII typed into review or ticket text is replaced for every role;
- marked: untrusted text (reviews, tickets) is checked for instruction-like content,
  which is flagged on the record and on the result, and never acted upon.

What goes to a remote model passes :func:`messages_for_remote`: every string is
redacted (:mod:`assistant.outbound`: PII, and customers' names and cities, but not
dates) and untrusted text sits inside ``<data>`` fields the system prompt tells the
model to treat as quotes, never as instructions.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Annotated, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool
from pydantic import create_model

from assistant.errors import InsightError
from assistant.outbound import PeopleLookup, Redactor, people_in
from tools.access import CONTACT_FIELDS, can_see_contact, check_role
from tools.safety import EMAIL, flag_untrusted, redact_pii

log = logging.getLogger(__name__)

TOOL_NAMES = (
    "search_reviews",
    "product_insights",
    "customer_profile",
    "find_customers",
    "segment_overview",
    "recommend_for_customer",
    "similar_products",
    "bought_together",
    "find_product",
    "sales_metrics",
)

# Helpers beyond the public ten that every role may use: they read no customer data.
SHARED_EXTRA_TOOLS = ("review_sentiment",)

# Marketers get aggregates, audiences and product insight (customer ids, never contact
# details: the tools mask and this module strips again). Support works one buyer at a
# time, so audience queries that list many customers are not theirs. Admin gets all.
_ALL = frozenset(TOOL_NAMES) | frozenset(SHARED_EXTRA_TOOLS)
ROLE_TOOLS: dict[str, frozenset[str]] = {
    "marketer": _ALL,
    "support": _ALL - {"find_customers", "segment_overview"},
    "admin": _ALL,
}

# A dict holding one of these ids is a record of shop text written by a customer.
UNTRUSTED_RECORD_KEYS = ("review_id", "ticket_id")
# Free-text fields of such records (and quote fields anywhere) are untrusted.
UNTRUSTED_TEXT_KEYS = frozenset(
    {"text", "title", "subject", "body", "quote", "snippet", "excerpt", "review_text"}
)
QUOTE_KEYS = frozenset({"quote", "quotes", "snippet", "snippets", "excerpt", "review_text"})
DATA_TAG = re.compile(r"</?\s*data\b[^>]*>", re.IGNORECASE)
# Contact details a marketer never gets: these keys anywhere, and any key naming an
# email or phone; in a customer record (a dict with customer_id) also name and city.
CONTACT_KEYS = frozenset(CONTACT_FIELDS) - {"name", "city"} | {
    "address",
    "street",
    "postcode",
    "zip",
    "full_name",
    "first_name",
    "last_name",
    "customer_name",
}
CUSTOMER_RECORD_KEYS = frozenset(CONTACT_FIELDS)


def allowed_tools(role: str) -> frozenset[str]:
    return ROLE_TOOLS[check_role(role)]


def tools_for_role(tools: list[BaseTool], role: str) -> list[BaseTool]:
    """The role's tools, each wrapped so its results pass the guard."""
    allowed = allowed_tools(role)
    return [guard_tool(tool, role) for tool in tools if tool.name in allowed]


def guard_tool(tool: BaseTool, role: str) -> StructuredTool:
    """A copy of ``tool`` whose result is guarded, as a ToolMessage.

    The model reads the JSON content; the guarded dict is the message artifact and the
    call's duration is in its response_metadata, so answers, streams and the local
    planner need not parse text back.
    """
    # The call id is injected (hidden from the model's schema) so the wrapper can
    # return the whole ToolMessage with its timing.
    schema = create_model(
        f"Guarded{tool.args_schema.__name__}",
        __base__=tool.args_schema,
        tool_call_id=(Annotated[str, InjectedToolCallId], ...),
    )

    def run(tool_call_id: str, **kwargs: Any) -> ToolMessage:
        started = time.perf_counter()
        try:
            raw = tool.invoke(kwargs)
        except InsightError as exc:
            raw = exc.to_dict()
        except Exception as exc:  # a tool bug must not end the conversation
            log.exception("tool %s failed", tool.name)
            raw = {"error": "BackendError", "message": f"{tool.name} failed: {exc}"}
        result = guard_result(_as_dict(raw), role)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        return ToolMessage(
            content=json.dumps(result, ensure_ascii=False, default=str),
            artifact=result,
            tool_call_id=tool_call_id,
            name=tool.name,
            response_metadata={"duration_ms": duration_ms},
        )

    return StructuredTool.from_function(
        func=run, name=tool.name, description=tool.description, args_schema=schema
    )


def _as_dict(raw: Any) -> dict:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"text": raw}
        return parsed if isinstance(parsed, dict) else {"result": parsed}
    return {"result": raw}


def guard_result(result: dict, role: str) -> dict:
    """The result as the role may see it, with untrusted text redacted and flagged."""
    flags: list[str] = []
    guarded = _guard(json.loads(json.dumps(result, default=str)), role, flags, None)
    if flags:
        guarded["flags"] = sorted(set(guarded.get("flags") or []) | set(flags))
    return guarded


def _guard(value: Any, role: str, flags: list[str], record_id: str | None) -> Any:
    if isinstance(value, dict):
        own_id = next((str(value[k]) for k in UNTRUSTED_RECORD_KEYS if value.get(k)), None)
        untrusted_record = own_id is not None
        out: dict[str, Any] = {}
        record_flags: list[str] = []
        for key, item in value.items():
            if not can_see_contact(role) and _is_contact(key, value):
                continue
            untrusted = key in QUOTE_KEYS or (untrusted_record and key in UNTRUSTED_TEXT_KEYS)
            if untrusted and isinstance(item, str):
                record_flags += flag_untrusted(item)
                out[key] = redact_pii(item)
            elif untrusted and isinstance(item, list) and all(isinstance(x, str) for x in item):
                for text in item:
                    record_flags += flag_untrusted(text)
                out[key] = [redact_pii(text) for text in item]
            else:
                out[key] = _guard(item, role, flags, own_id or record_id)
        if record_flags:
            names = sorted(set(record_flags))
            out["injection_flags"] = names
            where = own_id or record_id or "text"
            flags.extend(f"{where}: {name}" for name in names)
        return out
    if isinstance(value, list):
        return [_guard(item, role, flags, record_id) for item in value]
    if isinstance(value, str) and not can_see_contact(role):
        # Marketers never see an email address, even in a field no one thought of.
        # (Not the full redact_pii: its phone rule would also eat ISO dates.)
        return EMAIL.sub("[email]", value)
    return value


def _is_contact(key: str, record: dict) -> bool:
    lowered = key.lower()
    if lowered in CONTACT_KEYS or "email" in lowered or "phone" in lowered:
        return True
    return lowered in CUSTOMER_RECORD_KEYS and "customer_id" in record


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
