"""The agent: one entry point for the UI, the command line and evaluation runs.

``Assistant.open(data_dir).ask(question, role=..., thread_id=...)`` answers one turn
with LangChain's ``create_agent`` over the tools the role may use, and returns an
:class:`~assistant.answer.Answer` (text, tool calls with durations, evidence ids,
backend, timings). :meth:`Assistant.stream` yields the same turn as events.

A remote model that fails, hangs or misbehaves does not cost the user the answer:
the turn is rolled back to the thread's last checkpoint and answered again by the
local planner, and the answer says so.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

from assistant import templates
from assistant.answer import Answer, ToolCall, fallback_note, merge_evidence
from assistant.audit import AuditLog
from assistant.config import Settings
from assistant.errors import UserError
from assistant.memory import ThreadStore
from assistant.models import (
    LOCAL,
    LocalFactory,
    RemoteFactory,
    RemoteGuard,
    UntrustedToolCall,
    describe_failure,
    local_model,
    model_label,
    parse_model_spec,
    remote_model,
)
from assistant.outbound import store_people
from assistant.planner.language import question_language
from assistant.planner.now import reference
from assistant.workspace import Workspace
from tools.access import check_role
from tools.context import ToolContext
from tools.spec import ToolSpec
from tools.toolbox import Toolbox

MAX_QUESTION_CHARS = 4000
# Model/tool rounds per turn before a run is abandoned as looping.
RECURSION_LIMIT = 24
WARM_UP_QUESTION = "What do buyers say about the best-selling product since last month?"


def system_prompt(
    role: str,
    today: str,
    specs: list[ToolSpec],
    *,
    period_day: str | None = None,
    period_rule: str = "today",
) -> str:
    """The remote model's instructions; the tool list comes from the role's specs.

    Relative periods count from ``period_day`` (the day after the data ends, when it
    ends before today; see assistant/planner/now.py)."""
    tools = "\n".join(f"- `{s.name}`: {s.purpose}" for s in specs)
    privacy = templates.text(f"privacy_{role}.md").strip()
    return templates.text(
        "system.md",
        role=role,
        today=today,
        tools=tools,
        privacy=privacy,
        period_day=period_day or today,
        period_rule=period_rule,
    )


class Assistant:
    """The agent over one workspace. Thread-safe: the UI runs several turns at once."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        model: str | None = None,
        local_factory: LocalFactory | None = None,
        remote_factory: RemoteFactory | None = None,
        specs: Mapping[str, ToolSpec] | None = None,
    ) -> None:
        templates.check_all()
        self.workspace = workspace
        self.settings: Settings = workspace.settings
        self.model_spec = model_label(model or self.settings.model)
        self._local_factory = local_factory or local_model
        self._remote_factory = remote_factory or remote_model
        self._specs = specs
        self.threads = ThreadStore(self.settings.threads_path)
        self.audit = AuditLog(self.settings.audit_path)
        self._graphs: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        settings: Settings | None = None,
        **kwargs: Any,
    ) -> Assistant:
        """The assistant over the workspace at ``data_dir``, opened read-only."""
        workspace = Workspace.open(data_dir, read_only=True, settings=settings)
        return cls(workspace, **kwargs)

    def close(self) -> None:
        self.threads.close()
        self.workspace.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- building ------------------------------------------------------------------
    def tool_context(self, role: str) -> ToolContext:
        """The role's tool context, sharing loaded models and the index with every role."""
        return self.workspace.tool_context(check_role(role))

    def toolbox(self, role: str) -> Toolbox:
        """The role's guarded entry to the tools: the agent, the panels and the CLI call
        tools through it."""
        return Toolbox(self.tool_context(role), self._specs)

    def tools(self, role: str) -> list:
        """The role's tools for the agent, each call going through the role's Toolbox."""
        return self.toolbox(role).langchain_tools()

    def warm_up(self, roles: tuple[str, ...] = ("marketer", "support", "admin")) -> None:
        """Build the agents and load the embedder and review index now, not on the
        first question (the web app calls this at start-up)."""
        for role in roles:
            self._graph(LOCAL, role)
            if self.model_spec != LOCAL:
                self._graph(self.model_spec, role)
        if self.settings.index_dir.exists():
            # Opens Chroma too (it connects lazily), for the first unfiltered search.
            self.tool_context(roles[0]).review_index.connect()  # loads the embedder too
        # One planning step (no tool runs, no thread, no audit entry) loads what the
        # planner builds lazily: the catalog, its embeddings, the intent exemplars.
        role = roles[0]
        planner = self._local_factory(self.tool_context(role), self.settings)
        planner.bind_tools(self.tools(role)).invoke([HumanMessage(WARM_UP_QUESTION)])
        # And one filtered search builds the lexical corpus and loads the vectors it keeps.
        toolbox = self.toolbox(role)
        if toolbox.allows("search_reviews"):
            toolbox.call("search_reviews", query="quality", sentiment="negative")

    def _graph(self, backend: str, role: str):
        key = (backend, role)
        with self._lock:
            if key not in self._graphs:
                self._graphs[key] = self._build(backend, role)
            return self._graphs[key]

    def _build(self, backend: str, role: str):
        toolbox = self.toolbox(role)
        tools = toolbox.langchain_tools()
        if backend == LOCAL:
            model = self._local_factory(self.tool_context(role), self.settings)
            return create_agent(
                model, tools, checkpointer=self.threads.saver, name=f"insight-{role}-local"
            )
        _, name = parse_model_spec(backend)
        now = reference(self.tool_context(role).cursor(), self.settings.today)
        system = system_prompt(
            role,
            now.today.isoformat(),
            [toolbox.specs[n] for n in toolbox.names()],
            period_day=now.day.isoformat(),
            period_rule=f"the data runs to {now.data_end}" if now.from_data else "today",
        )
        return create_agent(
            self._remote_factory(name, self.settings),
            tools,
            system_prompt=system,
            middleware=[
                RemoteGuard(frozenset(toolbox.names()), people=store_people(self.workspace.cursor))
            ],
            checkpointer=self.threads.saver,
            name=f"insight-{role}-remote",
        )

    # -- asking ----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        role: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
    ) -> Answer:
        """Answer one turn; the thread (new unless given) remembers it."""
        answer = None
        for event in self.stream(question, role=role, thread_id=thread_id, user=user):
            if event["type"] == "done":
                answer = event["answer"]
        assert answer is not None  # stream always ends with "done"
        return answer

    def stream(
        self,
        question: str,
        *,
        role: str | None = None,
        thread_id: str | None = None,
        user: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """One turn as events: tool_start, tool_end, text deltas, then done with the Answer."""
        role = check_role(role or self.settings.role)
        question = _check_question(question)
        thread_id = thread_id or uuid.uuid4().hex
        self.threads.begin_turn(thread_id, role=role, user=user, question=question)
        turn = _Turn(role=role, thread_id=thread_id, backend=self.model_spec)
        config = {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

        if self.model_spec == LOCAL:
            yield from turn.run(self._graph(LOCAL, role), question, config)
        else:
            before = self._checkpoint_id(thread_id)
            try:
                remote = self._graph(self.model_spec, role)
                yield from turn.run(remote, question, config, deadline=self._deadline())
            except Exception as exc:  # any failure of the remote path falls back
                reason = describe_failure(exc, self.settings)
                self._roll_back(thread_id, before)
                fork = dict(config)
                if before:
                    fork["configurable"] = {"thread_id": thread_id, "checkpoint_id": before}
                turn.fall_back(reason)
                if isinstance(exc, UntrustedToolCall):
                    # Shown with the answer's other flags: data tried to steer the agent.
                    turn.flags.append(f"refused tool call from customer-written text: {reason}")
                note = fallback_note(question, self.model_spec, reason)
                turn.prefix = note
                yield {"type": "text", "delta": note}
                yield from turn.run(self._graph(LOCAL, role), question, fork)

        answer = turn.answer()
        answer.language = question_language(question)
        self.audit.record(question=question, answer=answer, user=user)
        yield {"type": "done", "answer": answer}

    def _deadline(self) -> float:
        """A remote turn may take a few model calls; past this it is abandoned."""
        per_call = self.settings.request_timeout * (self.settings.max_retries + 1)
        return time.monotonic() + 3 * per_call

    def _checkpoint_id(self, thread_id: str) -> str | None:
        found = self.threads.saver.get_tuple({"configurable": {"thread_id": thread_id}})
        return found.config["configurable"].get("checkpoint_id") if found else None

    def _roll_back(self, thread_id: str, before: str | None) -> None:
        """Forget a failed remote turn: a new thread loses its checkpoints, an old one is
        forked from ``before`` by the next run (its newer checkpoints win)."""
        if before is None:
            self.threads.saver.delete_thread(thread_id)

    # -- threads -----------------------------------------------------------------
    def list_threads(self, *, role: str | None = None, user: str | None = None) -> list[dict]:
        return self.threads.list(role=role, user=user)

    def thread_messages(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread as simple records: role of the speaker, text, tool name if any."""
        out = []
        for message in self.threads.messages(thread_id):
            if isinstance(message, HumanMessage):
                out.append({"speaker": "user", "text": message.text})
            elif isinstance(message, ToolMessage):
                out.append({"speaker": "tool", "name": message.name, "text": message.text})
            elif isinstance(message, AIMessage):
                calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
                out.append({"speaker": "assistant", "text": message.text, "tool_calls": calls})
        return out

    def delete_thread(self, thread_id: str) -> None:
        self.threads.delete(thread_id)


def _check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise UserError("the question is empty", hint="ask something about the shop's data")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise UserError(
            f"the question is {len(question)} characters long",
            hint=f"keep it under {MAX_QUESTION_CHARS} characters",
        )
    return question


class _Turn:
    """Collects one turn's tool calls, text and evidence from the agent's stream."""

    def __init__(self, *, role: str, thread_id: str, backend: str) -> None:
        self.role, self.thread_id, self.backend = role, thread_id, backend
        self.started = time.perf_counter()
        self.fell_back = False
        self.fallback_reason: str | None = None
        self.remote_ms: float | None = None
        self.prefix = ""
        self.flags: list[str] = []
        self._reset()

    def _reset(self) -> None:
        self.calls: dict[str, ToolCall] = {}
        self.text = ""
        self.streamed = ""

    def fall_back(self, reason: str) -> None:
        self.remote_ms = round((time.perf_counter() - self.started) * 1000, 2)
        self.fell_back, self.fallback_reason, self.backend = True, reason, LOCAL
        self._reset()

    def run(self, graph, question: str, config: dict, deadline: float | None = None):
        stream = graph.stream(
            {"messages": [HumanMessage(question)]},
            config,
            stream_mode=["updates", "messages"],
        )
        for mode, data in stream:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the remote turn ran past its deadline")
            if mode == "messages":
                yield from self._on_chunk(*data)
            elif mode == "updates" and isinstance(data, dict):
                for update in data.values():
                    if isinstance(update, dict):
                        for message in update.get("messages") or []:
                            yield from self._on_message(message)
        # A model that does not stream still has its final text said once.
        if self.text and not self.streamed.strip():
            self.streamed = self.text
            yield {"type": "text", "delta": self.text}

    def _on_chunk(self, chunk, metadata: dict):
        if metadata.get("langgraph_node") != "model":
            return
        if isinstance(chunk, AIMessageChunk | AIMessage) and not getattr(chunk, "tool_calls", None):
            delta = chunk.text
            if delta:
                self.streamed += delta
                yield {"type": "text", "delta": delta}

    def _on_message(self, message):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                call_id = call.get("id") or uuid.uuid4().hex
                self.calls[call_id] = ToolCall(id=call_id, name=call["name"], args=call["args"])
                yield {
                    "type": "tool_start",
                    "id": call_id,
                    "name": call["name"],
                    "args": call["args"],
                }
            if not message.tool_calls:
                self.text = message.text
        elif isinstance(message, ToolMessage):
            call = self.calls.get(message.tool_call_id)
            if call is None:
                call = ToolCall(id=message.tool_call_id, name=message.name or "", args={})
                self.calls[call.id] = call
            call.result = message.artifact if isinstance(message.artifact, dict) else None
            call.duration_ms = (message.response_metadata or {}).get("duration_ms")
            if message.status == "error":
                call.error = message.text
            elif isinstance(call.result, dict) and call.result.get("error"):
                call.error = str(call.result.get("message") or call.result["error"])
            yield {
                "type": "tool_end",
                "id": call.id,
                "name": call.name,
                "duration_ms": call.duration_ms,
                "result": call.result,
                "error": call.error,
            }

    def answer(self) -> Answer:
        evidence: dict[str, list[str]] = {}
        flags: list[str] = list(self.flags)
        for call in self.calls.values():
            merge_evidence(evidence, call.result)
            for flag in (call.result or {}).get("flags") or []:
                if flag not in flags:
                    flags.append(flag)
        total = round((time.perf_counter() - self.started) * 1000, 2)
        tools_ms = round(sum(c.duration_ms or 0 for c in self.calls.values()), 2)
        timings = {"total_ms": total, "tools_ms": tools_ms, "model_ms": round(total - tools_ms, 2)}
        if self.remote_ms is not None:
            timings["remote_ms"] = self.remote_ms
        return Answer(
            text=self.prefix + self.text,
            tool_calls=list(self.calls.values()),
            evidence=evidence,
            backend=self.backend,
            fell_back=self.fell_back,
            fallback_reason=self.fallback_reason,
            thread_id=self.thread_id,
            role=self.role,
            timings=timings,
            flags=flags,
        )
