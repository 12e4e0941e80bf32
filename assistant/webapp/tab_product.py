"""The Product insight tab: ratings, sentiment and aspects of a product or category
over a date range, with quotes."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from assistant.webapp import panels
from assistant.webapp.tab_context import LINK_JS, TabContext

TAB_ID = "product"


class ProductTab(NamedTuple):
    subject: gr.Dropdown  # choices filled per role on load; a product link sets it
    since: gr.Textbox
    until: gr.Textbox
    # What ``panels.product_insight`` returns, in order; quotes hold id links.
    outputs: list
    quotes: gr.HTML


def build_product_tab(ctx: TabContext) -> ProductTab:
    """Lay out the tab in the current Blocks and wire its events."""
    with gr.Tab("Product insight", id=TAB_ID):
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
        summary = gr.Markdown(elem_id="product-summary")
        with gr.Row():
            rating_plot = gr.Plot(label="Rating by month", elem_id="plot-rating")
            sentiment_plot = gr.Plot(label="Sentiment over time", elem_id="plot-sentiment")
        aspect_plot = gr.Plot(label="Aspects: praise vs complaints", elem_id="plot-aspects")
        quotes = gr.HTML(elem_id="product-quotes", js_on_load=LINK_JS, max_height=480)
    outputs = [summary, rating_plot, sentiment_plot, aspect_plot, quotes]

    def on_show(choice, start, end, request: gr.Request):
        return panels.product_insight(ctx.assistant, choice, start, end, ctx.role_of(request))

    show.click(
        on_show,
        inputs=[subject, since, until],
        outputs=outputs,
        api_name="product_insight",
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return ProductTab(subject=subject, since=since, until=until, outputs=outputs, quotes=quotes)
