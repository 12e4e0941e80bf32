"""Chat models: the offline planner ("local") or any OpenAI-compatible endpoint.

``openai:<model>`` speaks to ``OPENAI_BASE_URL`` (OpenAI itself, vLLM, Ollama,
llama.cpp server, LM Studio) with the timeout and retries from settings. A remote
model is never trusted to be up or sane: :class:`RemoteGuard` redacts what it is
sent and rejects replies that name tools the role does not have, carry nothing, or
call a tool with what customer-written text asked for, and the agent then answers the turn with the local planner
(:func:`describe_failure` says why, in words a user can act on).
"""

from __future__ import annotations

from collections.abc import Callable

from langchain.agents.middleware import AgentMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage

from assistant.config import Settings
from assistant.errors import BackendError, UserError
from assistant.guard import messages_for_remote
from assistant.outbound import PeopleLookup
from assistant.provenance import tainted_call
from tools.context import ToolContext

LOCAL = "local"
REMOTE_PREFIX = "openai:"


class RemoteModelError(BackendError):
    """The remote model answered, but not with something the agent can use."""


def parse_model_spec(spec: str) -> tuple[str, str | None]:
    """``"local"`` -> ("local", None); ``"openai:NAME"`` -> ("openai", "NAME")."""
    spec = (spec or LOCAL).strip()
    if spec == LOCAL:
        return LOCAL, None
    if spec.startswith(REMOTE_PREFIX) and spec[len(REMOTE_PREFIX) :].strip():
        return "openai", spec[len(REMOTE_PREFIX) :].strip()
    raise UserError(
        f"unknown chat model {spec!r}",
        hint='use "local" (offline planner) or "openai:<model>" with OPENAI_BASE_URL set',
    )


def local_model(ctx: ToolContext, settings: Settings) -> BaseChatModel:
    """The offline tool-calling planner, bound to the role's tool context."""
    from assistant.planner.model import LocalPlanner

    return LocalPlanner(ctx, today=settings.today)


def remote_model(name: str, settings: Settings) -> BaseChatModel:
    """A ChatOpenAI client for ``name`` at the configured OpenAI-compatible endpoint."""
    from langchain_openai import ChatOpenAI

    if not settings.openai_base_url and not settings.openai_api_key:
        raise UserError(
            f"the chat model openai:{name} needs an endpoint",
            hint="set OPENAI_BASE_URL (and OPENAI_API_KEY if the server wants one)",
        )
    return ChatOpenAI(
        model=name,
        base_url=settings.openai_base_url,
        # Local servers (Ollama, llama.cpp, vLLM) ignore the key but the client wants one.
        api_key=settings.openai_api_key or "unused",
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        temperature=0,
    )


class UntrustedToolCall(RemoteModelError):
    """The remote model asked for a tool call that customer-written text asked for."""


class RemoteGuard(AgentMiddleware):
    """Between the agent and a remote model: redact what goes out, check what comes back.

    Outgoing messages pass :func:`messages_for_remote` (``people`` looks up the names
    and cities of the customers they mention, so those are redacted too). A reply is
    refused when it names a tool the role lacks, is malformed or empty, or calls a
    tool with an id or name that only customer-written text in the thread contains
    (:mod:`assistant.provenance`); the tool never runs and the turn falls back.
    """

    def __init__(
        self, allowed_tools: set[str] | frozenset[str], people: PeopleLookup | None = None
    ) -> None:
        super().__init__()
        self.allowed_tools = frozenset(allowed_tools)
        self.people = people

    def wrap_model_call(self, request, handler):
        outgoing = messages_for_remote(request.messages, self.people)
        response = handler(request.override(messages=outgoing))
        messages = getattr(response, "result", None)
        if messages is None:
            messages = [response]
        for message in messages:
            if isinstance(message, AIMessage):
                self.check(message, request.messages)
        return response

    def check(self, message: AIMessage, thread: list | None = None) -> None:
        if message.invalid_tool_calls:
            bad = message.invalid_tool_calls[0]
            raise RemoteModelError(
                f"the remote model sent a malformed call to {bad.get('name') or 'a tool'}"
            )
        for call in message.tool_calls:
            if call["name"] not in self.allowed_tools:
                raise RemoteModelError(
                    f"the remote model asked for a tool that does not exist here: {call['name']!r}"
                )
        for call in message.tool_calls:
            tainted = tainted_call(call, thread or [])
            if tainted:
                raise UntrustedToolCall(f"the remote model {tainted.describe()}")
        if not message.tool_calls and not message.text.strip():
            raise RemoteModelError("the remote model replied with neither text nor a tool call")


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """One line on why the remote turn was abandoned."""
    import openai
    from langgraph.errors import GraphRecursionError

    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return f"no reply within {settings.request_timeout:g}s"
    if isinstance(exc, openai.APIStatusError):
        return f"the endpoint answered HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the endpoint"
    if isinstance(exc, GraphRecursionError):
        return "the remote model kept calling tools without answering"
    if isinstance(exc, RemoteModelError):
        return exc.message
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


LocalFactory = Callable[[ToolContext, Settings], BaseChatModel]
RemoteFactory = Callable[[str, Settings], BaseChatModel]


def model_label(spec: str) -> str:
    kind, name = parse_model_spec(spec)
    return LOCAL if kind == LOCAL else f"{REMOTE_PREFIX}{name}"
