"""The Product insight tab: ratings, sentiment and aspects of a product or category
over a date range, with quotes."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from assistant.webapp import i18n, panels
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
    with gr.Tab(i18n.label("tab.product"), id=TAB_ID):
        with gr.Row():
            subject = gr.Dropdown(
                label=i18n.label("product.subject"),
                choices=[],
                allow_custom_value=True,
                filterable=True,
                elem_id="product-pick",
                scale=4,
            )
            since = gr.Textbox(label=i18n.label("product.since"), elem_id="product-since", scale=1)
            until = gr.Textbox(label=i18n.label("product.until"), elem_id="product-until", scale=1)
            show = gr.Button(i18n.label("product.show"), elem_id="product-go", scale=1)
        summary = gr.Markdown(elem_id="product-summary")
        with gr.Row():
            rating_plot = gr.Plot(label=i18n.label("product.plot_rating"), elem_id="plot-rating")
            sentiment_plot = gr.Plot(
                label=i18n.label("product.plot_sentiment"), elem_id="plot-sentiment"
            )
        aspect_plot = gr.Plot(label=i18n.label("product.plot_aspects"), elem_id="plot-aspects")
        quotes = gr.HTML(elem_id="product-quotes", js_on_load=LINK_JS, max_height=480)
    outputs = [summary, rating_plot, sentiment_plot, aspect_plot, quotes]

    def on_show(choice, start, end, lang=None, request: gr.Request = None):
        return panels.product_insight(
            ctx.assistant, choice, start, end, ctx.role_of(request), i18n.language(lang)
        )

    show.click(
        on_show,
        inputs=ctx.inputs(subject, since, until),
        outputs=outputs,
        api_name="product_insight",
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return ProductTab(subject=subject, since=since, until=until, outputs=outputs, quotes=quotes)
