"""Warm-up before the app says it is ready.

"Ready" means a question is answered at warm speed, so the warm-up runs questions
through the very path a user's question takes (``handlers.chat_turn`` -> the
assistant's stream -> agent graph -> guarded tools -> answer), for every role the
app serves, after ``Assistant.warm_up`` has built the agents and loaded the models.
The threads it opens are deleted again; its audit entries name the warm-up user.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from assistant.webapp import handlers

log = logging.getLogger(__name__)

ROLES = ("marketer", "support", "admin")
WARM_UP_USER = "startup-warm-up"


@dataclass
class Readiness:
    seconds: float = 0.0
    turns: list[dict] = field(default_factory=list)  # role, question, seconds, answered

    @property
    def answered(self) -> bool:
        return bool(self.turns) and all(t["answered"] for t in self.turns)


def _turn(assistant, question: str, role: str) -> dict:
    started = time.perf_counter()
    *_, last = handlers.chat_turn(assistant, question, [], None, role=role, user=WARM_UP_USER)
    _history, _evidence, notice, thread_id = last
    if thread_id:
        try:
            assistant.delete_thread(thread_id)
        except Exception as exc:  # noqa: BLE001 - a leftover warm-up thread is harmless
            log.warning("could not delete warm-up thread %s: %s", thread_id, exc)
    return {
        "role": role,
        "question": question,
        "seconds": round(time.perf_counter() - started, 3),
        "answered": notice.startswith("Answered by"),
    }


def warm_up(assistant, roles: tuple[str, ...] = ROLES, questions=None) -> Readiness:
    """Load everything, then answer the example questions (all of them for the first
    role, the first one for the others, so each role's agent has run once)."""
    questions = list(questions or handlers.EXAMPLES)
    started = time.perf_counter()
    assistant.warm_up(roles)
    report = Readiness()
    for i, role in enumerate(roles):
        for question in questions if i == 0 else questions[:1]:
            report.turns.append(_turn(assistant, question, role))
    report.seconds = round(time.perf_counter() - started, 3)
    return report
