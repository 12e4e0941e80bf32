"""Conversation threads: persisted in the workspace, listed, resumed after a restart, deleted."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from typer.testing import CliRunner

from assistant.agent import Assistant
from assistant.commands import app
from assistant.errors import NotFoundError
from assistant.memory import ThreadStore
from tests.fakes import ScriptedChatModel, build_tiny_shop, last_question, tiny_specs


def echo_model() -> ScriptedChatModel:
    def rule(messages):
        questions = [m.text for m in messages if isinstance(m, HumanMessage)]
        return AIMessage(content=f"{len(questions)}: {last_question(messages)}")

    return ScriptedChatModel(rule=rule)


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "ws"
    build_tiny_shop(path)
    return path


def open_assistant(path):
    return Assistant.open(path, local_factory=lambda ctx, s: echo_model(), specs=tiny_specs())


def test_threads_survive_a_restart_and_can_be_listed_resumed_and_deleted(shop):
    with open_assistant(shop) as assistant:
        a = assistant.ask("first in A", role="marketer", user="mia")
        b = assistant.ask("only in B", role="support")
        assistant.ask("second in A", role="marketer", thread_id=a.thread_id)

    # A new process: everything comes back from threads.sqlite in the workspace.
    with open_assistant(shop) as assistant:
        assert (shop / "threads.sqlite").exists()
        listed = {t["thread_id"]: t for t in assistant.list_threads()}
        assert set(listed) == {a.thread_id, b.thread_id}
        assert listed[a.thread_id]["turns"] == 2 and listed[a.thread_id]["title"] == "first in A"
        assert listed[a.thread_id]["role"] == "marketer" and listed[a.thread_id]["user"] == "mia"
        assert [t["thread_id"] for t in assistant.list_threads(role="support")] == [b.thread_id]

        resumed = assistant.ask("third in A", role="marketer", thread_id=a.thread_id)
        # The model saw all three questions of the thread, none of thread B.
        assert resumed.text == "3: third in A"
        texts = [m["text"] for m in assistant.thread_messages(a.thread_id)]
        assert texts == [
            "first in A",
            "1: first in A",
            "second in A",
            "2: second in A",
            "third in A",
            "3: third in A",
        ]

        assistant.delete_thread(a.thread_id)
        assert [t["thread_id"] for t in assistant.list_threads()] == [b.thread_id]
        with pytest.raises(NotFoundError):
            assistant.thread_messages(a.thread_id)
        with pytest.raises(NotFoundError):
            assistant.delete_thread(a.thread_id)
        # A deleted id starts afresh when used again.
        again = assistant.ask("new start", role="marketer", thread_id=a.thread_id)
        assert again.text == "1: new start"


def test_thread_store_lists_most_recent_first(tmp_path):
    store = ThreadStore(tmp_path / "threads.sqlite")
    store.begin_turn("t1", role="admin", user=None, question="one " * 40)
    store.begin_turn("t2", role="admin", user=None, question="two")
    store.begin_turn("t1", role="admin", user=None, question="again")
    rows = store.list()
    assert {r["thread_id"] for r in rows} == {"t1", "t2"}
    t1 = next(r for r in rows if r["thread_id"] == "t1")
    assert t1["turns"] == 2 and len(t1["title"]) == 80 and t1["title"].endswith("…")
    assert store.role_of("t2") == "admin" and store.role_of("nope") is None
    store.close()


def test_cli_ask_json_and_threads(shop, monkeypatch):
    import assistant.commands.agent as commands

    monkeypatch.setattr(commands, "_open", lambda data_dir, model: open_assistant(data_dir))
    runner = CliRunner()
    result = runner.invoke(app, ["ask", "hello there", "--json", "--data-dir", str(shop)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["text"] == "1: hello there" and answer["tool_calls"] == []
    assert answer["backend"] == "local" and answer["role"] == "marketer"
    tid = answer["thread_id"]

    result = runner.invoke(app, ["ask", "more", "--thread", tid, "--data-dir", str(shop)])
    assert result.exit_code == 0 and "2: more" in result.stdout

    listed = json.loads(
        runner.invoke(app, ["threads", "list", "--json", "--data-dir", str(shop)]).stdout
    )
    assert [(t["thread_id"], t["turns"]) for t in listed] == [(tid, 2)]
    shown = runner.invoke(app, ["threads", "show", tid, "--data-dir", str(shop)])
    assert "user> hello there" in shown.stdout and "assistant> 2: more" in shown.stdout

    assert runner.invoke(app, ["threads", "delete", tid, "--data-dir", str(shop)]).exit_code == 0
    missing = runner.invoke(app, ["threads", "show", tid, "--data-dir", str(shop)])
    assert missing.exit_code == 2 and "no thread" in missing.output
    bad = runner.invoke(app, ["ask", "hi", "--role", "ceo", "--data-dir", str(shop)])
    assert bad.exit_code == 2 and "unknown role" in bad.output
