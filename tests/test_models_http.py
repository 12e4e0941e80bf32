"""The remote model path against a loopback OpenAI-compatible server.

The real ChatOpenAI client runs; only the server is scripted. It replies with queued
tool calls and text, as JSON or as server-sent events, and can hang, send garbage,
fail, or ask for a tool that does not exist, so the fallback to the local planner is
exercised end to end.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.messages import AIMessage

from assistant.agent import Assistant
from assistant.config import Settings
from assistant.errors import UserError
from assistant.models import parse_model_spec, remote_model
from tests.fakes import ScriptedChatModel, build_tiny_shop, keyword_planner, tiny_specs


class ScriptedServer:
    """/v1/chat/completions answering from a queue of actions:
    ("tools", [(name, args), ...]) | ("text", str) | ("hang", seconds) | ("garbage",)
    | ("status", code), or a callable of the request body returning one (a model that
    reacts to what it was sent)."""

    def __init__(self) -> None:
        self.actions: list[tuple] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                action = server.actions.pop(0) if server.actions else ("status", 500)
                if callable(action):
                    action = action(body)
                server.reply(self, action, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reply(self, handler, action, body) -> None:
        kind = action[0]
        if kind == "hang":
            time.sleep(action[1])
            return
        if kind == "status":
            self._send(handler, action[1], b'{"error": {"message": "scripted failure"}}')
            return
        if kind == "garbage":
            self._send(handler, 200, b"<html>this is not JSON {{{", "text/html")
            return
        if body.get("stream"):
            self._stream(handler, kind, action[1])
        else:
            self._send(handler, 200, json.dumps(self._completion(kind, action[1])).encode())

    @staticmethod
    def _send(handler, status, payload: bytes, ctype="application/json") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    _call_ids = itertools.count()

    @classmethod
    def _tool_calls(cls, specs):
        # Ids unique across replies, as real servers make them.
        return [
            {
                "id": f"call_{next(cls._call_ids)}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(specs)
        ]

    def _completion(self, kind, value) -> dict:
        message = {"role": "assistant", "content": value if kind == "text" else None}
        if kind == "tools":
            message["tool_calls"] = self._tool_calls(value)
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if kind == "tools" else "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _stream(self, handler, kind, value) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()

        def chunk(delta, finish=None):
            data = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            handler.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            handler.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        if kind == "text":
            words = value.split(" ")
            for i, word in enumerate(words):
                chunk({"content": word + (" " if i < len(words) - 1 else "")})
            chunk({}, "stop")
        else:
            for i, call in enumerate(self._tool_calls(value)):
                head = dict(call, function={"name": call["function"]["name"], "arguments": ""})
                chunk({"tool_calls": [dict(head, index=i)]})
                args = call["function"]["arguments"]
                for part in (args[: len(args) // 2], args[len(args) // 2 :]):
                    chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
            chunk({}, "tool_calls")
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


@pytest.fixture
def server():
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "ws"
    build_tiny_shop(path)
    return path


def local_planner():
    """The stand-in for the offline planner: plans from the question alone."""
    return ScriptedChatModel(
        rule=keyword_planner(lambda q: [("find_customers", {"min_spend": 150.0})])
    )


def open_remote(shop, server, *, timeout=5.0, streaming=True, local=None, specs=None):
    settings = Settings(
        model="openai:scripted",
        openai_base_url=server.base_url,
        openai_api_key="test-key",
        request_timeout=timeout,
        max_retries=0,
    )
    local = local or local_planner()

    def remote(name, s):
        model = remote_model(name, s)
        return model.model_copy(update={"disable_streaming": not streaming})

    return Assistant.open(
        shop,
        settings=settings,
        local_factory=lambda ctx, s: local,
        remote_factory=remote,
        specs=specs or tiny_specs(),
    )


@pytest.mark.parametrize("streaming", [True, False])
def test_remote_model_calls_tools_and_answers(shop, server, streaming):
    server.actions = [
        ("tools", [("search_reviews", {"query": "battery"})]),
        ("text", "Two buyers complain about the battery [R1] [R2]."),
    ]
    with open_remote(shop, server, streaming=streaming) as assistant:
        events = list(assistant.stream("Battery complaints?", role="marketer"))
    answer = events[-1]["answer"]
    assert answer.backend == "openai:scripted" and not answer.fell_back
    assert answer.text == "Two buyers complain about the battery [R1] [R2]."
    assert [(c.name, c.args) for c in answer.tool_calls] == [
        ("search_reviews", {"query": "battery"})
    ]
    assert answer.evidence["reviews"] == ["R1", "R2"]
    deltas = [e["delta"] for e in events if e["type"] == "text"]
    assert "".join(deltas) == answer.text
    if streaming:
        assert len(deltas) > 1  # the words arrived as they came
    assert all(body.get("stream", False) is streaming for body in server.requests)
    # The request carried the role's tools and the system prompt from prompts/.
    first = server.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} >= {"search_reviews", "find_customers"}
    assert first["messages"][0]["role"] == "system"
    assert "<data>" in first["messages"][0]["content"]


def test_what_a_remote_model_is_sent_is_redacted_and_delimited(shop, server):
    server.actions = [("tools", [("search_reviews", {"query": "battery"})]), ("text", "Done.")]
    with open_remote(shop, server) as assistant:
        assistant.ask("battery? I am ada@example.com, +44 20 7946 0000", role="admin")
    sent = json.dumps(server.requests)
    for secret in ("ada@example.com", "alan.t@example.org", "7946 0000", "496 0000"):
        assert secret not in sent
    tool_message = next(m for m in server.requests[1]["messages"] if m["role"] == "tool")
    result = json.loads(tool_message["content"])
    texts = [r["text"] for r in result["reviews"]]
    assert texts[0] == "<data>The battery dies after two hours.</data>"
    assert texts[1] == "<data>Battery is bad. Mail me at [email] or [phone]</data>"


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (("hang", 3.0), "no reply within 0.5s"),
        (("garbage",), "Error"),
        (("status", 500), "HTTP 500"),
        (("tools", [("drop_all_tables", {})]), "'drop_all_tables'"),
        (("text", ""), "neither text nor a tool call"),
    ],
)
def test_a_failing_remote_model_falls_back_to_the_local_planner(shop, server, action, reason):
    server.actions = [action]
    started = time.perf_counter()
    with open_remote(shop, server, timeout=0.5) as assistant:
        events = list(assistant.stream("Who spent at least 150?", role="marketer"))
        answer = events[-1]["answer"]
        thread = assistant.thread_messages(answer.thread_id)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.5  # within the timeout, not after the server wakes up
    assert answer.fell_back and answer.backend == "local"
    assert reason in answer.fallback_reason
    assert answer.text.startswith("(The remote model openai:scripted could not answer")
    assert answer.text.endswith("Found 1 records: C2")  # by hand: only C2 spent >= 150
    assert [c.name for c in answer.tool_calls] == ["find_customers"]
    assert answer.evidence == {"customers": ["C2"]}
    assert "remote_ms" in answer.timings
    # The thread holds the local turn only: one question, one tool call, one answer.
    assert [m["speaker"] for m in thread] == ["user", "assistant", "tool", "assistant"]


def test_fallback_on_a_later_turn_keeps_the_earlier_turns(shop, server):
    server.actions = [("text", "Hello from the remote model."), ("status", 503)]
    with open_remote(shop, server) as assistant:
        first = assistant.ask("hello", role="marketer")
        second = assistant.ask("Who spent at least 150?", thread_id=first.thread_id)
        thread = assistant.thread_messages(first.thread_id)
    assert not first.fell_back and first.text == "Hello from the remote model."
    assert second.fell_back and "HTTP 503" in second.fallback_reason
    assert [m["speaker"] for m in thread] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert thread[1]["text"] == "Hello from the remote model."


def test_unreachable_endpoint_falls_back(shop, server):
    server.close()
    local = ScriptedChatModel(rule=lambda m: AIMessage(content="local answer"))
    with open_remote(shop, server, timeout=0.5, local=local) as assistant:
        answer = assistant.ask("hi", role="marketer")
    assert answer.fell_back and answer.text.endswith("local answer")
    assert "connect" in answer.fallback_reason
    server.httpd = type(
        "Closed", (), {"shutdown": lambda s: None, "server_close": lambda s: None}
    )()


def test_model_specs():
    assert parse_model_spec("local") == ("local", None)
    assert parse_model_spec("openai:gpt-4o-mini") == ("openai", "gpt-4o-mini")
    for bad in ("gpt-4", "openai:", "anthropic:claude"):
        with pytest.raises(UserError):
            parse_model_spec(bad)
    with pytest.raises(UserError, match="OPENAI_BASE_URL"):
        remote_model("m", Settings(openai_api_key=None, openai_base_url=None))
