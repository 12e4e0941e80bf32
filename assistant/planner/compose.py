"""The final answer, written from the tool results of the turn with the templates in
prompts/answers.yaml: concise, figures with the number of records behind them,
quotes with review ids. Formatters read the declared result types; a result that
is not of its declared type (a test double, a tool bug) is logged and falls back to
a generic rendering of its figures rather than costing the user the answer.
"""

from __future__ import annotations

import logging

from assistant.planner.decide import Plan
from assistant.planner.formatters import FORMATTERS, generic
from assistant.planner.now import Now, period_line
from assistant.planner.render import label, spec
from assistant.planner.thread import Call, Thread

log = logging.getLogger(__name__)
READ_AS = "Read as:"


def render_call(call: Call) -> list[str]:
    templates = spec()
    r = call.result or {}
    if r.get("error"):
        hint = f" ({r['hint']})" if r.get("hint") else ""
        return [
            templates["error"].format(
                tool_label=label(call.name), message=r.get("message", r["error"]), hint=hint
            )
        ]
    formatter = FORMATTERS.get(call.name, generic)
    try:
        lines = formatter(call, templates.get(call.name, {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("%s result is not of its declared type (%r): generic answer", call.name, exc)
        lines = generic(call, {})
    return [line for line in lines if line]


def compose(thread: Thread, plan: Plan, now: Now | None = None) -> str:
    text = _compose(thread, plan)
    period = plan.entities.period if plan.entities else None
    line = period_line(period, now) if now else ""
    if line and text.startswith(READ_AS):
        # The analyst answers open with how the question was read; the period note follows.
        head, _, rest = text.partition("\n")
        return f"{head}\n{line}\n{rest}"
    return f"{line}\n\n{text}" if line else text


def _compose(thread: Thread, plan: Plan) -> str:
    calls = [c for c in thread.calls if c.result is not None]
    # The product lookup only served the other tools; show it when it was the question.
    if any(c.name != "find_product" for c in calls):
        calls = [c for c in calls if c.name != "find_product"]
    blocks = ["\n".join(render_call(c)) for c in calls]
    return "\n\n".join(b for b in blocks if b).strip() or spec()["empty"].format(
        tool_label="The tools", scope=""
    )
