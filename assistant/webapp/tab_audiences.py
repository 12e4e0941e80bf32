"""The Audiences tab: a filter form that builds a customer list and its CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import gradio as gr

from assistant.webapp import i18n, panels
from assistant.webapp.tab_context import TabContext
from tools.customers import SEGMENTS

TAB_ID = "audiences"


class AudiencesTab(NamedTuple):
    # Filled per role on load: the note, whether the button works, the category lists.
    note: gr.Markdown
    build: gr.Button
    bought: gr.Dropdown
    viewed: gr.Dropdown


def build_audiences_tab(ctx: TabContext, aspect_ids: Sequence[str]) -> AudiencesTab:
    """Lay out the tab in the current Blocks and wire its events; ``aspect_ids`` are the
    workspace's own aspect taxonomy."""
    with gr.Tab(i18n.label("tab.audiences"), id=TAB_ID):
        note = gr.Markdown(elem_id="audience-note")
        with gr.Row():
            segments = gr.CheckboxGroup(
                SEGMENTS, label=i18n.label("audiences.segments"), elem_id="aud-seg"
            )
            churn = gr.CheckboxGroup(
                ["low", "medium", "high"], label=i18n.label("audiences.churn"), elem_id="aud-churn"
            )
        with gr.Row():
            bought = gr.Dropdown(
                [], label=i18n.label("audiences.bought"), allow_custom_value=True, elem_id="aud-cat"
            )
            viewed = gr.Dropdown([], label=i18n.label("audiences.viewed"), allow_custom_value=True)
            country = gr.Textbox(label=i18n.label("audiences.country"))
        with gr.Row():
            # Text, not gr.Number: the browser sends an empty Number as 0, and a
            # "Max spend" of 0 silently emptied every audience. Blank means any.
            min_spend = gr.Textbox(
                label=i18n.label("audiences.min_spend"),
                placeholder=i18n.label("audiences.any"),
                elem_id="aud-min",
            )
            max_spend = gr.Textbox(
                label=i18n.label("audiences.max_spend"),
                placeholder=i18n.label("audiences.any"),
                elem_id="aud-max",
            )
            inactive = gr.Textbox(
                label=i18n.label("audiences.inactive"),
                placeholder=i18n.label("audiences.any"),
                elem_id="aud-inactive",
            )
            sentiment = gr.Dropdown(
                ["", "positive", "neutral", "negative"], label=i18n.label("audiences.sentiment")
            )
            aspect = gr.Dropdown(["", *aspect_ids], label=i18n.label("audiences.aspect"))
        # In the order ``panels.build_audience`` takes them.
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
        build = gr.Button(i18n.label("audiences.build"), variant="primary", elem_id="audience-go")
        stats = gr.Markdown(elem_id="audience-stats")
        table = gr.Dataframe(
            value={"headers": panels.CSV_COLUMNS, "data": []},
            headers=panels.CSV_COLUMNS,
            elem_id="audience-table",
            interactive=False,
        )
        csv = gr.File(label=i18n.label("audiences.csv"), elem_id="audience-csv")

    def on_build(
        seg, cat, lo, hi, days, risk, sent, asp, seen, ctry, lang=None, request: gr.Request = None
    ):
        return panels.build_audience(
            ctx.assistant,
            ctx.role_of(request),
            *(seg, cat, lo, hi, days, risk, sent, asp, seen, ctry),
            lang=i18n.language(lang),
        )

    build.click(
        on_build,
        inputs=ctx.inputs(*filters),
        outputs=[stats, table, csv],
        api_name="audience",
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return AudiencesTab(note=note, build=build, bought=bought, viewed=viewed)
