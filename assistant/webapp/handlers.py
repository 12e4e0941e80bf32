"""The web app's event handlers as plain functions (no Gradio objects in or out).

Each takes the one ``Assistant`` of the process, the caller's role and the
inputs, and returns plain values (message dicts, HTML strings, plotly figures,
rows), so they are tested without a browser. ``app.py`` only wires them to
components.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from assistant.errors import InsightError
from assistant.sanitize import md_text
from assistant.webapp.render import (
    answer_markdown,
    backend_notice,
    evidence_html,
    result_summary,
    tool_body,
    tool_title,
)

log = logging.getLogger(__name__)

EXAMPLES = [
    "What do buyers complain about for the Aurora headphones since March 2026?",
    "Give me the buyer context for customer C00042",
    "Which loyal customers have gone quiet? Suggest what to send them.",
    "What should we recommend to customer C00007?",
    "How did the average rating of the Headphones category move month by month?",
]

ChatUpdate = tuple[list[dict], str, str, str | None]


def _as_dict(answer: Any) -> dict:
    if isinstance(answer, dict):
        return answer
    return answer.to_dict()


def _tool_message(event: dict, *, done: bool) -> dict:
    meta = {"title": tool_title(event.get("name")), "id": str(event.get("id"))}
    if done:
        meta["status"] = "done"
        if isinstance(event.get("duration_ms"), int | float):
            meta["duration"] = round(event["duration_ms"] / 1000, 3)
        meta["log"] = result_summary(event.get("result"), event.get("error"))
    else:
        meta["status"] = "pending"
    body = tool_body(event.get("args"), event.get("result"), event.get("error"))
    return {"role": "assistant", "content": body, "metadata": meta}


def chat_turn(
    assistant,
    message: str,
    history: list[dict] | None,
    thread_id: str | None,
    *,
    role: str,
    user: str | None = None,
) -> Iterator[ChatUpdate]:
    """Stream one turn: yields (history, evidence HTML, notice, thread id) as it goes.

    Tool calls appear as collapsible messages when they start and are updated
    with duration and a result summary when they end; answer text grows with
    each delta; the evidence and the backend notice arrive with the final answer.
    """
    history = list(history or [])
    message = (message or "").strip()
    if not message:
        yield history, "", "Type a question first.", thread_id
        return
    history.append({"role": "user", "content": answer_markdown(message)})
    yield list(history), "", "Working…", thread_id
    tools: dict[str, tuple[int, dict]] = {}
    answer_at: int | None = None
    answer_text = ""  # the raw text; the message shows it sanitised as a whole
    started = time.perf_counter()
    try:
        for event in assistant.stream(message, role=role, thread_id=thread_id, user=user):
            kind = event.get("type")
            if kind == "tool_start":
                history.append(_tool_message(event, done=False))
                tools[str(event.get("id"))] = (len(history) - 1, event)
            elif kind == "tool_end":
                at, start = tools.get(str(event.get("id")), (None, {}))
                # The end event may omit the arguments; keep those of the start.
                merged = {**start, **{k: v for k, v in event.items() if v is not None}}
                if at is None:
                    history.append(_tool_message(merged, done=True))
                else:
                    history[at] = _tool_message(merged, done=True)
            elif kind == "text":
                if answer_at is None:
                    history.append({"role": "assistant", "content": ""})
                    answer_at = len(history) - 1
                answer_text += event.get("delta") or ""
                history[answer_at]["content"] = answer_markdown(answer_text)
            elif kind == "done":
                answer = _as_dict(event["answer"])
                final = answer_markdown(answer.get("text") or "")
                if answer_at is None:
                    history.append({"role": "assistant", "content": final})
                else:
                    history[answer_at]["content"] = final
                yield (
                    history,
                    evidence_html(answer),
                    backend_notice(answer),
                    answer.get("thread_id") or thread_id,
                )
                return
            else:
                continue
            # A snapshot: later events update messages in place.
            snapshot = [dict(m) for m in history]
            yield snapshot, "", f"Working… {time.perf_counter() - started:.1f} s", thread_id
    except InsightError as exc:
        history.append({"role": "assistant", "content": answer_markdown(f"⚠️ {exc}")})
        yield history, "", f"⚠️ {md_text(exc.message)}", thread_id
        return
    except Exception as exc:  # the page must get a message, not a dead spinner
        log.exception("chat turn failed")
        history.append(
            {"role": "assistant", "content": f"⚠️ The assistant failed: {type(exc).__name__}"}
        )
        failure = md_text(f"{type(exc).__name__}: {exc}")
        yield history, "", f"⚠️ The assistant failed: {failure}", thread_id
        return
    # A stream that ends without "done" still leaves a readable transcript.
    yield history, "", "⚠️ The answer ended early.", thread_id
