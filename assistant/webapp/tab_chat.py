"""The Chat tab: questions, the streamed answer, and the evidence behind it."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr

from assistant.errors import InsightError
from assistant.webapp import handlers, i18n
from assistant.webapp.chat_results import result_messages
from assistant.webapp.choices import choice_options, store_lookup
from assistant.webapp.tab_context import LINK_JS, TabContext, user_of

TAB_ID = "chat"
log = logging.getLogger(__name__)


class TurnMeter:
    """Chat turns in flight now and at most so far: the app's own concurrency figure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.total = 0

    def __enter__(self) -> TurnMeter:
        with self._lock:
            self.active += 1
            self.total += 1
            self.peak = max(self.peak, self.active)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self.active -= 1


class AnswerTap:
    """The assistant as ``chat_turn`` sees it, keeping the finished answer of the turn so
    the tab can add what the text cannot show: charts, tables and choice buttons."""

    def __init__(self, assistant) -> None:
        self._assistant = assistant
        self.answer: dict[str, Any] | None = None

    def stream(self, *args, **kwargs):
        for event in self._assistant.stream(*args, **kwargs):
            if event.get("type") == "done":
                answer = event["answer"]
                self.answer = answer if isinstance(answer, dict) else answer.to_dict()
            yield event


def with_results(
    history: list[dict], answer: dict[str, Any], csv_folder: Path, lookup=None, lang="en"
) -> list[dict]:
    """The finished turn's history with its result charts and tables after the answer and
    the ids it offers as choices ("Which one do you mean …?") as buttons under it."""
    history = list(history)
    if lookup is not None and history and history[-1].get("role") == "assistant":
        options = choice_options(answer.get("text") or "", lookup)
        if options:
            history[-1] = {**history[-1], "options": options}
    return history + result_messages(answer, csv_folder, lang)


def chat_turn_with_results(
    assistant, message, history, thread_id, *, role, user, csv_folder: Path, lookup=None, lang="en"
):
    """``handlers.chat_turn`` with the finished answer's charts, tables and choices added
    to its last update; if building those fails, the answer still arrives without them."""
    tap = AnswerTap(assistant)
    for history_now, *rest in handlers.chat_turn(
        tap, message, history, thread_id, role=role, user=user
    ):
        if tap.answer is not None:
            try:
                history_now = with_results(history_now, tap.answer, csv_folder, lookup, lang)
            except Exception:  # the answer must reach the page without its extras
                log.exception("chart, table or choices failed for a chat answer")
        yield (history_now, *rest)


class ChatTab(NamedTuple):
    # Its id links open the buyer and product tabs.
    evidence: gr.HTML
    # Its example questions follow the language switch.
    chatbot: gr.Chatbot


def example_list(lang: str | None) -> list[dict]:
    return [{"text": q} for q in i18n.examples(i18n.language(lang))]


def build_chat_tab(ctx: TabContext, meter: TurnMeter) -> ChatTab:
    """Lay out the tab in the current Blocks and wire its events."""
    with gr.Tab(i18n.label("tab.chat"), id=TAB_ID):
        chatbot = gr.Chatbot(
            elem_id="chatbot",
            height=480,
            examples=example_list(i18n.DEFAULT),
            placeholder=i18n.label("chat.placeholder"),
            feedback_options=None,
            # Full-width messages: a chart or table squeezed into a bubble is unreadable.
            layout="panel",
        )
        with gr.Row():
            question = gr.Textbox(
                show_label=False,
                placeholder=i18n.label("chat.question"),
                elem_id="question",
                scale=8,
            )
            ask = gr.Button(i18n.label("chat.ask"), variant="primary", elem_id="ask", scale=1)
            new_thread = gr.Button(i18n.label("chat.new_thread"), elem_id="new-thread", scale=1)
        notice = gr.Markdown(elem_id="notice")
        evidence = gr.HTML(elem_id="evidence", js_on_load=LINK_JS)
        thread = gr.State(None)
    # The CSV downloads of this app's answers; Gradio copies each into its own cache.
    csv_folder = Path(tempfile.mkdtemp(prefix="insight-chat-csv-"))

    def lookup_for(role: str):
        tool_context = getattr(ctx.assistant, "tool_context", None)
        return store_lookup(tool_context(role).cursor) if tool_context else None

    def on_ask(message, history, thread_id, lang=None, request: gr.Request = None):
        try:
            role = ctx.role_of(request)
        except InsightError as exc:  # the user was removed from the users file
            yield message, history, "", f"⚠️ {exc}", thread_id
            return
        with meter:
            for update in chat_turn_with_results(
                ctx.assistant,
                message,
                history,
                thread_id,
                role=role,
                user=user_of(request),
                csv_folder=csv_folder,
                lookup=lookup_for(role),
                lang=i18n.language(lang),
            ):
                yield ("", *update)

    chat_io = {
        "inputs": ctx.inputs(question, chatbot, thread),
        "outputs": [question, chatbot, evidence, notice, thread],
        "concurrency_id": "agent",
        "concurrency_limit": ctx.limit,
    }
    ask.click(on_ask, api_name="ask", **chat_io)
    question.submit(on_ask, api_name=False, **chat_io)

    def on_example(evt: gr.SelectData, history, thread_id, lang=None, request: gr.Request = None):
        yield from on_ask(evt.value["text"], history, thread_id, lang, request)

    chatbot.example_select(
        on_example,
        inputs=ctx.inputs(chatbot, thread),
        outputs=chat_io["outputs"],
        concurrency_id="agent",
        concurrency_limit=ctx.limit,
    )

    def on_option(evt: gr.SelectData, history, thread_id, lang=None, request: gr.Request = None):
        # A choice button under a question: its id is the user's next reply.
        yield from on_ask(str(evt.value), history, thread_id, lang, request)

    chatbot.option_select(
        on_option,
        inputs=ctx.inputs(chatbot, thread),
        outputs=chat_io["outputs"],
        concurrency_id="agent",
        concurrency_limit=ctx.limit,
    )

    def on_new_thread(lang=None):
        # The assistant starts a fresh thread when it gets no id.
        return [], "", i18n.text("chat.new_thread_started", lang), None

    new_thread.click(
        on_new_thread,
        inputs=ctx.inputs(),
        outputs=[chatbot, evidence, notice, thread],
        api_name="new_thread",
    )
    return ChatTab(evidence=evidence, chatbot=chatbot)
