"""The Gradio app: chat with evidence, buyer context, product insight, audiences.

``create_app`` composes the header, one module per tab (``tab_chat``, ``tab_buyer``,
``tab_product``, ``tab_audiences``; each lays out its components and wires its own
events to the plain functions of ``handlers`` and ``panels``), the load handler and
the links between tabs; ``launch`` starts it with login and explicit concurrency
limits. Every handler is a synchronous function, so Gradio runs it in a worker thread
and the event loop stays free while a turn, a DuckDB query or a model call blocks.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from assistant.config import Settings
from assistant.sanitize import md_text
from assistant.webapp import (
    i18n,
    panels,
    tab_audiences,
    tab_buyer,
    tab_chat,
    tab_digest,
    tab_product,
)
from assistant.webapp.auth import UserDirectory, role_resolver
from assistant.webapp.lang_switch import DETECT_JS, SWITCH_JS, build_language_switch
from assistant.webapp.tab_chat import TurnMeter
from assistant.webapp.tab_context import TabContext, user_of
from tools.aspects import workspace_taxonomy
from tools.registry import SPEC_BY_NAME

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
LOGIN_NOTE = i18n.text("app.login_note")
# The login page comes before any choice of language: it says it in both.
AUTH_MESSAGE = " ".join(i18n.text("app.login_note", lang) for lang in i18n.LANGS)

# What each role is told on the panels; the tools enforce the same limits on every call.
AUDIENCE_ROLES = SPEC_BY_NAME["find_customers"].roles
# The buyer card says itself which contact details a role cannot see; a second note
# above it only repeated that.
ROLE_NOTES = {
    "buyer": {},
    "audiences": {"support": "role_note.audiences.support"},
}


TAB_LABELS = {
    tab_chat.TAB_ID: "tab.chat",
    tab_buyer.TAB_ID: "tab.buyer",
    tab_product.TAB_ID: "tab.product",
    tab_audiences.TAB_ID: "tab.audiences",
    tab_digest.TAB_ID: "tab.digest",
}


def role_note(panel: str, role: str, lang: str) -> str:
    key = ROLE_NOTES[panel].get(role)
    return i18n.text(key, lang) if key else ""


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

    with gr.Blocks(title="Customer insight") as demo:
        with gr.Row():
            gr.Markdown(i18n.label("app.heading"))
            who = gr.Markdown(elem_id="who")
            lang = build_language_switch()
            # Gradio serves /logout (it clears the session cookie); without login it is hidden.
            gr.Button(
                i18n.label("app.logout"),
                link="/logout",
                size="sm",
                scale=0,
                elem_id="logout",
                visible=users_path is not None,
            )
        ctx = TabContext(assistant=assistant, role_of=role_of, limit=limit, lang=lang)
        with gr.Tabs(elem_id="tabs") as tabs:
            digest = tab_digest.build_digest_tab(ctx)
            chat = tab_chat.build_chat_tab(ctx, meter)
            buyer = tab_buyer.build_buyer_tab(ctx)
            product = tab_product.build_product_tab(ctx)
            audiences = tab_audiences.build_audiences_tab(ctx, aspect_ids)
        tab_digest.wire(digest, ctx, demo, tabs, product, audiences)

        # -- load: who is logged in, what they may see, the product picker ----------------
        def words(chosen, request: gr.Request):
            """What the header and panels say to this user, in the chosen language."""
            chosen = i18n.language(chosen)
            role = role_of(request)
            user = md_text(user_of(request) or i18n.text("app.local_user", chosen))
            return (
                i18n.text("app.who", chosen, user=user, role=role),
                role_note("buyer", role, chosen),
                role_note("audiences", role, chosen),
                gr.Chatbot(examples=tab_chat.example_list(chosen)),
                *(gr.Tab(label=i18n.text(TAB_LABELS[tab.id], chosen)) for tab in named_tabs),
            )

        # Gradio translates a tab's name once, when the tab bar is drawn: the switch renames
        # the tabs itself. A tab without a name here (added elsewhere) keeps its own.
        named_tabs = [tab for tab in tabs.children if getattr(tab, "id", None) in TAB_LABELS]
        worded = [who, buyer.note, audiences.note, chat.chatbot, *named_tabs]

        def on_load(chosen, request: gr.Request):
            role = role_of(request)
            categories = panels.category_choices(assistant, role)
            may_build = role in AUDIENCE_ROLES
            return (
                chosen,
                *words(chosen, request),
                gr.Button(interactive=may_build),
                gr.Dropdown(choices=panels.subject_choices(assistant, role)),
                gr.Dropdown(choices=categories),
                gr.Dropdown(choices=categories),
            )

        loaded = demo.load(
            on_load,
            inputs=[lang],
            js=DETECT_JS,
            outputs=[
                lang,
                *worded,
                audiences.build,
                product.subject,
                audiences.bought,
                audiences.viewed,
            ],
            concurrency_id="panels",
            concurrency_limit=limit,
        )
        lang.change(words, inputs=[lang], outputs=worded, js=SWITCH_JS, api_name=False)
        # The home tab's cards, once the page knows its language and again on a switch.
        digest_inputs = [digest.period, digest.since, digest.until, lang]
        for event in (loaded.then, lang.input):
            event(
                digest.refresh,
                inputs=digest_inputs,
                outputs=digest.outputs,
                concurrency_id="panels",
                concurrency_limit=limit,
                api_name=False,
            )

        # -- links in evidence, cards and quotes open the right panel ----------------------
        insight_out = product.outputs

        def on_link(evt: gr.EventData, start, end, chosen, request: gr.Request):
            role = role_of(request)
            kind, ident = evt._data.get("kind"), evt._data.get("id")
            if kind == "customer":
                html = panels.buyer_context(assistant, ident, role, i18n.language(chosen))
                rest = [gr.skip()] * (1 + len(insight_out))
                return (gr.Tabs(selected=tab_buyer.TAB_ID), ident, html, *rest)
            if kind == "product":
                choice = f"product:{ident}"
                figures = panels.product_insight(
                    assistant, choice, start, end, role, i18n.language(chosen)
                )
                return (
                    gr.Tabs(selected=tab_product.TAB_ID),
                    gr.skip(),
                    gr.skip(),
                    choice,
                    *figures,
                )
            return tuple(gr.skip() for _ in range(4 + len(insight_out)))

        for source in (chat.evidence, buyer.card, product.quotes):
            source.click(
                on_link,
                inputs=[product.since, product.until, lang],
                outputs=[tabs, buyer.customer_id, buyer.card, product.subject, *insight_out],
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
        auth_message=AUTH_MESSAGE,
        i18n=i18n.I18N,
        app_kwargs=app_kwargs,
        # Worker threads for blocking handlers: at least one per concurrent turn plus panels.
        max_threads=max(40, 4 * settings.ui_concurrency),
        css=CSS,
        show_error=False,
        **kwargs,
    )
