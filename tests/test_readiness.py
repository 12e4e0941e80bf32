"""The app is ready only when a question is answered at warm speed (issue 16, item 8):
the warm-up runs the path a user's question runs, for every role, and cleans up the
threads it opened. Timing is a benchmark (benchmarks/bench_agent.py), not asserted."""

from __future__ import annotations

from assistant.answer import Answer
from assistant.webapp import handlers, readiness


class RecordingAssistant:
    def __init__(self):
        self.warmed: list[tuple] = []
        self.asked: list[tuple] = []
        self.deleted: list[str] = []

    def warm_up(self, roles):
        self.warmed.append(tuple(roles))

    def stream(self, question, *, role, thread_id, user):
        self.asked.append((role, question, user))
        yield {"type": "text", "delta": "ok"}
        answer = Answer(text="ok", backend="local", thread_id=f"t-{len(self.asked)}")
        yield {"type": "done", "answer": answer}

    def delete_thread(self, thread_id):
        self.deleted.append(thread_id)


def test_warm_up_runs_the_question_path_for_every_role_and_leaves_no_threads(monkeypatch):
    seen = []
    real = handlers.chat_turn

    def spy(assistant, message, history, thread_id, *, role, user=None):
        seen.append(role)
        yield from real(assistant, message, history, thread_id, role=role, user=user)

    monkeypatch.setattr(handlers, "chat_turn", spy)
    bot = RecordingAssistant()
    report = readiness.warm_up(bot)
    assert bot.warmed == [readiness.ROLES]
    # Every example for the first role, the first example for each other role.
    assert seen == [readiness.ROLES[0]] * len(handlers.EXAMPLES) + list(readiness.ROLES[1:])
    assert [q for _, q, _ in bot.asked[: len(handlers.EXAMPLES)]] == handlers.EXAMPLES
    assert {u for *_, u in bot.asked} == {readiness.WARM_UP_USER}
    assert sorted(bot.deleted) == sorted(f"t-{i}" for i in range(1, len(bot.asked) + 1))
    assert report.answered and len(report.turns) == len(bot.asked)


def test_a_failed_warm_up_turn_is_reported_not_ready():
    class Failing(RecordingAssistant):
        def stream(self, question, *, role, thread_id, user):
            raise RuntimeError("index missing")
            yield  # pragma: no cover

    report = readiness.warm_up(Failing(), roles=("marketer",), questions=["q"])
    assert not report.answered and report.turns[0]["role"] == "marketer"


def test_after_warm_up_the_first_real_question_is_answered(demo_dir):
    from assistant.agent import Assistant

    with Assistant.open(demo_dir) as bot:
        before = {t["thread_id"] for t in bot.list_threads()}
        report = readiness.warm_up(bot)
        assert report.answered, report.turns
        assert {t["thread_id"] for t in bot.list_threads()} == before
        *_, last = handlers.chat_turn(
            bot, "Which products get the most battery complaints?", [], None, role="marketer"
        )
        history, _evidence, notice, _thread = last
        assert notice.startswith("Answered by") and history[-1]["content"]
