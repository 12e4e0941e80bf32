"""The Chat tab: questions, the streamed answer, and the evidence behind it."""

from __future__ import annotations

import threading
from typing import NamedTuple

import gradio as gr

from assistant.errors import InsightError
from assistant.webapp import handlers
from assistant.webapp.tab_context import LINK_JS, TabContext, user_of

TAB_ID = "chat"


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


class ChatTab(NamedTuple):
    # Its id links open the buyer and product tabs.
    evidence: gr.HTML


def build_chat_tab(ctx: TabContext, meter: TurnMeter) -> ChatTab:
    """Lay out the tab in the current Blocks and wire its events."""
    with gr.Tab("Chat", id=TAB_ID):
        chatbot = gr.Chatbot(
            elem_id="chatbot",
            height=480,
            examples=[{"text": q} for q in handlers.EXAMPLES],
            placeholder="Ask about reviews, buyers, products and audiences.",
            feedback_options=None,
        )
        with gr.Row():
            question = gr.Textbox(
                show_label=False,
                placeholder="Ask a question and press Enter",
                elem_id="question",
                scale=8,
            )
            ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
            new_thread = gr.Button("New thread", elem_id="new-thread", scale=1)
        notice = gr.Markdown(elem_id="notice")
        evidence = gr.HTML(elem_id="evidence", js_on_load=LINK_JS)
        thread = gr.State(None)

    def on_ask(message, history, thread_id, request: gr.Request):
        try:
            role = ctx.role_of(request)
        except InsightError as exc:  # the user was removed from the users file
            yield message, history, "", f"⚠️ {exc}", thread_id
            return
        with meter:
            for update in handlers.chat_turn(
                ctx.assistant, message, history, thread_id, role=role, user=user_of(request)
            ):
                yield ("", *update)

    chat_io = {
        "inputs": [question, chatbot, thread],
        "outputs": [question, chatbot, evidence, notice, thread],
        "concurrency_id": "agent",
        "concurrency_limit": ctx.limit,
    }
    ask.click(on_ask, api_name="ask", **chat_io)
    question.submit(on_ask, api_name=False, **chat_io)

    def on_example(evt: gr.SelectData, history, thread_id, request: gr.Request):
        yield from on_ask(evt.value["text"], history, thread_id, request)

    chatbot.example_select(
        on_example,
        inputs=[chatbot, thread],
        outputs=chat_io["outputs"],
        concurrency_id="agent",
        concurrency_limit=ctx.limit,
    )

    def on_new_thread():
        # The assistant starts a fresh thread when it gets no id.
        return [], "", "New thread started.", None

    new_thread.click(
        on_new_thread, outputs=[chatbot, evidence, notice, thread], api_name="new_thread"
    )
    return ChatTab(evidence=evidence)
