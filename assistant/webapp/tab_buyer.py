"""The Buyer context tab: one customer's card, looked up by id."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from assistant.webapp import i18n, panels
from assistant.webapp.tab_context import LINK_JS, TabContext

TAB_ID = "buyer"


class BuyerTab(NamedTuple):
    customer_id: gr.Textbox
    note: gr.Markdown  # filled per role on load
    card: gr.HTML  # its id links open other panels; a customer link refills it


def build_buyer_tab(ctx: TabContext) -> BuyerTab:
    """Lay out the tab in the current Blocks and wire its events."""
    with gr.Tab(i18n.label("tab.buyer"), id=TAB_ID):
        with gr.Row():
            customer_id = gr.Textbox(
                label=i18n.label("buyer.customer_id"), elem_id="buyer-id", scale=4
            )
            look_up = gr.Button(i18n.label("buyer.look_up"), elem_id="buyer-go", scale=1)
        note = gr.Markdown(elem_id="buyer-note")
        card = gr.HTML(elem_id="buyer-card", js_on_load=LINK_JS)

    def on_look_up(cid, lang=None, request: gr.Request = None):
        return panels.buyer_context(ctx.assistant, cid, ctx.role_of(request), i18n.language(lang))

    look_up.click(
        on_look_up,
        inputs=ctx.inputs(customer_id),
        outputs=[card],
        api_name="buyer_context",
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    customer_id.submit(
        on_look_up,
        ctx.inputs(customer_id),
        [card],
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return BuyerTab(customer_id=customer_id, note=note, card=card)
