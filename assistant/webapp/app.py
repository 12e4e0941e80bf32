"""The Gradio app: chat with evidence, buyer context, product insight, audiences.

``create_app`` only lays out components and wires them to the plain functions of
``handlers`` and ``panels``; ``launch`` starts it with login and explicit
concurrency limits. Every handler is a synchronous function, so Gradio runs it
in a worker thread and the event loop stays free while a turn, a DuckDB query or
a model call blocks.
"""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from assistant.config import Settings
from assistant.errors import InsightError
from assistant.sanitize import md_text
from assistant.webapp import handlers, panels
from assistant.webapp.auth import UserDirectory, role_resolver
from tools.aspects import workspace_taxonomy
from tools.customers import SEGMENTS
from tools.registry import SPEC_BY_NAME

# A click on an id link inside an HTML panel becomes a 'click' event carrying kind and id.
LINK_JS = """
element.addEventListener('click', (e) => {
  const a = e.target.closest('a.ev-link');
  if (!a) return;
  e.preventDefault();
  trigger('click', {kind: a.dataset.kind, id: a.dataset.id});
});
"""

CSS = """
.evidence blockquote { margin: 6px 0; padding: 6px 10px; border-left: 3px solid #9ca3af; }
.ev-meta { font-size: 0.85em; opacity: 0.8; margin-top: 2px; }
a.ev-link { font-family: monospace; text-decoration: underline; cursor: pointer; }
.card-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; }
.card-grid div { border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 8px;
  overflow-wrap: anywhere; }
.card-grid b { display: block; font-size: 0.8em; opacity: 0.7; }
table.mini { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.mini td, table.mini th { border-bottom: 1px solid #e5e7eb; padding: 3px 6px; text-align: left; }
"""

# Gradio renders the login note as HTML.
# Plain words only: markup would show literally wherever Gradio escapes the note.
LOGIN_NOTE = (
    "Log in with your shop account (an admin lists the accounts with the command "
    "insight users list). "
    "After repeated failed attempts, logins for that name or from that address wait a while."
)

# What each role is told on the panels; the tools enforce the same limits on every call.
AUDIENCE_ROLES = SPEC_BY_NAME["find_customers"].roles
# The buyer card says itself which contact details a role cannot see; a second note
# above it only repeated that.
ROLE_NOTES = {
    "buyer": {},
    "audiences": {
        "support": "Audiences are for marketers and admins; the support role cannot build them."
    },
}


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


def create_app(assistant, settings: Settings, *, users_path: Path | None = None) -> gr.Blocks:
    """The app for one ``Assistant``; ``users_path`` None means no login (every request
    gets ``settings.role``)."""
    directory = (
        UserDirectory(users_path, session_hours=settings.session_hours) if users_path else None
    )
    role_of = role_resolver(directory, settings.role)
    limit = settings.ui_concurrency
    meter = TurnMeter()
    # The audience form offers the workspace's own aspect taxonomy (users may edit it).
    aspect_ids = workspace_taxonomy(settings.data_dir).ids

    def user_of(request: gr.Request | None) -> str | None:
        return getattr(request, "username", None)

    with gr.Blocks(title="Customer insight") as demo:
        with gr.Row():
            gr.Markdown("## Customer insight")
            who = gr.Markdown(elem_id="who")
            # Gradio serves /logout (it clears the session cookie); without login it is hidden.
            gr.Button(
                "Log out",
                link="/logout",
                size="sm",
                scale=0,
                elem_id="logout",
                visible=users_path is not None,
            )
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab("Chat", id="chat"):
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
            with gr.Tab("Buyer context", id="buyer"):
                with gr.Row():
                    customer_id = gr.Textbox(label="Customer id", elem_id="buyer-id", scale=4)
                    look_up = gr.Button("Look up", elem_id="buyer-go", scale=1)
                buyer_note = gr.Markdown(elem_id="buyer-note")
                card = gr.HTML(elem_id="buyer-card", js_on_load=LINK_JS)
            with gr.Tab("Product insight", id="product"):
                with gr.Row():
                    subject = gr.Dropdown(
                        label="Product or category",
                        choices=[],
                        allow_custom_value=True,
                        filterable=True,
                        elem_id="product-pick",
                        scale=4,
                    )
                    since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="product-since", scale=1)
                    until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="product-until", scale=1)
                    show = gr.Button("Show", elem_id="product-go", scale=1)
                insight_summary = gr.Markdown(elem_id="product-summary")
                with gr.Row():
                    rating_plot = gr.Plot(label="Rating by month", elem_id="plot-rating")
                    sentiment_plot = gr.Plot(label="Sentiment over time", elem_id="plot-sentiment")
                aspect_plot = gr.Plot(label="Aspects: praise vs complaints", elem_id="plot-aspects")
                quotes = gr.HTML(elem_id="product-quotes", js_on_load=LINK_JS, max_height=480)
            with gr.Tab("Audiences", id="audiences"):
                audience_note = gr.Markdown(elem_id="audience-note")
                with gr.Row():
                    segments = gr.CheckboxGroup(SEGMENTS, label="RFM segments", elem_id="aud-seg")
                    churn = gr.CheckboxGroup(
                        ["low", "medium", "high"], label="Churn risk", elem_id="aud-churn"
                    )
                with gr.Row():
                    bought = gr.Dropdown(
                        [], label="Bought in category", allow_custom_value=True, elem_id="aud-cat"
                    )
                    viewed = gr.Dropdown([], label="Browsed, never bought", allow_custom_value=True)
                    country = gr.Textbox(label="Country")
                with gr.Row():
                    # Text, not gr.Number: the browser sends an empty Number as 0, and a
                    # "Max spend" of 0 silently emptied every audience. Blank means any.
                    min_spend = gr.Textbox(label="Min spend", placeholder="any", elem_id="aud-min")
                    max_spend = gr.Textbox(label="Max spend", placeholder="any", elem_id="aud-max")
                    inactive = gr.Textbox(
                        label="No order for (days)", placeholder="any", elem_id="aud-inactive"
                    )
                    sentiment = gr.Dropdown(
                        ["", "positive", "neutral", "negative"], label="Wrote a review that is"
                    )
                    aspect = gr.Dropdown(["", *aspect_ids], label="Complained about")
                filters = [
                    segments,
                    bought,
                    min_spend,
                    max_spend,
                    inactive,
                    churn,
                    sentiment,
                    aspect,
                    viewed,
                    country,
                ]
                build = gr.Button("Build audience", variant="primary", elem_id="audience-go")
                audience_stats = gr.Markdown(elem_id="audience-stats")
                audience_table = gr.Dataframe(
                    value={"headers": panels.CSV_COLUMNS, "data": []},
                    headers=panels.CSV_COLUMNS,
                    elem_id="audience-table",
                    interactive=False,
                )
                audience_csv = gr.File(label="CSV", elem_id="audience-csv")

        # -- load: who is logged in, what they may see, the product picker ----------------
        def on_load(request: gr.Request):
            role = role_of(request)
            categories = panels.category_choices(assistant, role)
            audiences = role in AUDIENCE_ROLES
            return (
                f"Logged in as **{md_text(user_of(request) or 'local user')}** · role **{role}**",
                ROLE_NOTES["buyer"].get(role, ""),
                ROLE_NOTES["audiences"].get(role, ""),
                gr.Button(interactive=audiences),
                gr.Dropdown(choices=panels.subject_choices(assistant, role)),
                gr.Dropdown(choices=categories),
                gr.Dropdown(choices=categories),
            )

        demo.load(
            on_load,
            outputs=[who, buyer_note, audience_note, build, subject, bought, viewed],
            concurrency_id="panels",
            concurrency_limit=limit,
        )

        # -- chat ---------------------------------------------------------------------------
        def on_ask(message, history, thread_id, request: gr.Request):
            try:
                role = role_of(request)
            except InsightError as exc:  # the user was removed from the users file
                yield message, history, "", f"⚠️ {exc}", thread_id
                return
            with meter:
                for update in handlers.chat_turn(
                    assistant, message, history, thread_id, role=role, user=user_of(request)
                ):
                    yield ("", *update)

        chat_io = {
            "inputs": [question, chatbot, thread],
            "outputs": [question, chatbot, evidence, notice, thread],
            "concurrency_id": "agent",
            "concurrency_limit": limit,
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
            concurrency_limit=limit,
        )

        def on_new_thread():
            # The assistant starts a fresh thread when it gets no id.
            return [], "", "New thread started.", None

        new_thread.click(
            on_new_thread, outputs=[chatbot, evidence, notice, thread], api_name="new_thread"
        )

        # -- buyer context ----------------------------------------------------------------
        def on_look_up(cid, request: gr.Request):
            return panels.buyer_context(assistant, cid, role_of(request))

        look_up.click(
            on_look_up,
            inputs=[customer_id],
            outputs=[card],
            api_name="buyer_context",
            concurrency_id="panels",
            concurrency_limit=limit,
        )
        customer_id.submit(
            on_look_up, [customer_id], [card], concurrency_id="panels", concurrency_limit=limit
        )

        # -- product insight --------------------------------------------------------------
        insight_out = [insight_summary, rating_plot, sentiment_plot, aspect_plot, quotes]

        def on_show(choice, start, end, request: gr.Request):
            return panels.product_insight(assistant, choice, start, end, role_of(request))

        show.click(
            on_show,
            inputs=[subject, since, until],
            outputs=insight_out,
            api_name="product_insight",
            concurrency_id="panels",
            concurrency_limit=limit,
        )

        # -- links in evidence, cards and quotes open the right panel ----------------------
        def on_link(evt: gr.EventData, start, end, request: gr.Request):
            role = role_of(request)
            kind, ident = evt._data.get("kind"), evt._data.get("id")
            if kind == "customer":
                html = panels.buyer_context(assistant, ident, role)
                rest = [gr.skip()] * (1 + len(insight_out))
                return (gr.Tabs(selected="buyer"), ident, html, *rest)
            if kind == "product":
                choice = f"product:{ident}"
                figures = panels.product_insight(assistant, choice, start, end, role)
                return (gr.Tabs(selected="product"), gr.skip(), gr.skip(), choice, *figures)
            return tuple(gr.skip() for _ in range(4 + len(insight_out)))

        for source in (evidence, card, quotes):
            source.click(
                on_link,
                inputs=[since, until],
                outputs=[tabs, customer_id, card, subject, *insight_out],
                concurrency_id="panels",
                concurrency_limit=limit,
            )

        # -- audiences --------------------------------------------------------------------
        def on_build(seg, cat, lo, hi, days, risk, sent, asp, seen, ctry, request: gr.Request):
            return panels.build_audience(
                assistant, role_of(request), seg, cat, lo, hi, days, risk, sent, asp, seen, ctry
            )

        build.click(
            on_build,
            inputs=filters,
            outputs=[audience_stats, audience_table, audience_csv],
            api_name="audience",
            concurrency_id="panels",
            concurrency_limit=limit,
        )

    demo.queue(default_concurrency_limit=limit, max_size=max(64, 8 * limit))
    demo.turn_meter = meter
    # launch() gives Gradio this directory's password check and session gate, so the
    # sessions the role resolver checks are the ones the login route opened.
    demo.user_directory = directory
    return demo


def launch(demo: gr.Blocks, settings: Settings, *, users_path: Path | None, **kwargs):
    """Start the server; ``users_path`` turns on login against the users file."""
    directory = getattr(demo, "user_directory", None)
    if users_path and (directory is None or directory.path != Path(users_path)):
        directory = UserDirectory(users_path, session_hours=settings.session_hours)
    app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
    if users_path:
        gate, options = directory.middleware()
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []), Middleware(gate, **options)]
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=directory.authenticate if users_path else None,
        auth_message=LOGIN_NOTE,
        app_kwargs=app_kwargs,
        # Worker threads for blocking handlers: at least one per concurrent turn plus panels.
        max_threads=max(40, 4 * settings.ui_concurrency),
        css=CSS,
        show_error=False,
        **kwargs,
    )
