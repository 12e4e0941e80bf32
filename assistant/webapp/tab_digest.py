"""The "What changed" home tab: the digest as cards, each with a sparkline, ranked by
impact; a card's product or category opens the product tab, a segment, category or
group of buyers opens the audience tab.

The cards are a fixed number of slots laid out once (Gradio components cannot be
created per request); a refresh fills them and hides the unused ones.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import gradio as gr
import plotly.graph_objects as go

from assistant.sanitize import html_text
from assistant.webapp import i18n, panels, tab_audiences, tab_product
from assistant.webapp.render import link
from assistant.webapp.tab_context import LINK_JS, TabContext

log = logging.getLogger(__name__)

TAB_ID = "digest"
MAX_CARDS = 6
PERIODS = [("Last 30 days", "30"), ("Last 7 days", "7"), ("Last 90 days", "90")]
LEVEL_KIND = {"product": "product", "category": "category"}


class DigestTab(NamedTuple):
    period: gr.Dropdown
    summary: gr.Markdown
    cards: list  # gr.HTML per slot; links inside them carry kind and id
    plots: list  # gr.Plot per slot
    outputs: list  # what ``refresh`` returns, in order


def build_digest_tab(ctx: TabContext) -> DigestTab:
    """Lay out the tab in the current Blocks and wire its own refresh."""
    with gr.Tab(i18n.label("tab.digest"), id=TAB_ID):
        with gr.Row():
            period = gr.Dropdown(
                PERIODS,
                value="30",
                label=i18n.label("digest.period"),
                elem_id="digest-period",
                scale=1,
            )
            since = gr.Textbox(label=i18n.label("digest.since"), elem_id="digest-since", scale=1)
            until = gr.Textbox(label=i18n.label("digest.until"), elem_id="digest-until", scale=1)
            go_button = gr.Button(i18n.label("digest.refresh"), elem_id="digest-go", scale=0)
        summary = gr.Markdown(elem_id="digest-summary")
        cards, plots = [], []
        for slot in range(MAX_CARDS):
            with gr.Row():
                cards.append(
                    gr.HTML(
                        elem_id=f"digest-card-{slot}", js_on_load=LINK_JS, scale=3, visible=False
                    )
                )
                plots.append(
                    gr.Plot(
                        elem_id=f"digest-spark-{slot}", show_label=False, scale=2, visible=False
                    )
                )
    outputs = [summary, *cards, *plots]

    def on_refresh(days, start, end, request: gr.Request):
        return refresh(ctx.assistant, ctx.role_of(request), days, start, end)

    go_button.click(
        on_refresh,
        inputs=[period, since, until],
        outputs=outputs,
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return DigestTab(period=period, summary=summary, cards=cards, plots=plots, outputs=outputs)


def wire(tab: DigestTab, ctx: TabContext, demo: gr.Blocks, tabs: gr.Tabs, product, audiences):
    """Fill the cards when the page loads, and open the product or audience tab from a
    card's link (called by ``create_app`` once the other tabs exist)."""

    def on_load(days, request: gr.Request):
        return refresh(ctx.assistant, ctx.role_of(request), days)

    demo.load(
        on_load,
        inputs=[tab.period],
        outputs=tab.outputs,
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )

    def on_link(evt: gr.EventData, request: gr.Request):
        kind, ident = evt._data.get("kind"), evt._data.get("id")
        role = ctx.role_of(request)
        skip_product = [gr.skip()] * (1 + len(product.outputs))
        if kind in ("product", "category"):
            choice = f"{kind}:{ident}"
            figures = panels.product_insight(ctx.assistant, choice, None, None, role)
            return (gr.Tabs(selected=tab_product.TAB_ID), choice, *figures, gr.skip())
        if kind == "audience":
            # A category item's buyers: the audience form starts from that category.
            bought = ident if ident and not ident.startswith("segment:") else gr.skip()
            return (gr.Tabs(selected=tab_audiences.TAB_ID), *skip_product, bought)
        return (gr.skip(), *skip_product, gr.skip())

    for card in tab.cards:
        card.click(
            on_link,
            outputs=[tabs, product.subject, *product.outputs, audiences.bought],
            concurrency_id="panels",
            concurrency_limit=ctx.limit,
        )


def refresh(assistant, role: str, days, since: str | None = None, until: str | None = None) -> list:
    """The summary line, then each slot's card HTML (or hidden), then its sparkline.
    A start day, when given, wins over the period length."""
    args = {"since": since.strip()} if since and since.strip() else {"period_days": int(days or 30)}
    if until and until.strip():
        args["until"] = until.strip()
    try:
        result = assistant.toolbox(role).call("digest", **args).unwrap()
    except Exception as exc:
        log.warning("digest unavailable: %s", exc)
        message = getattr(exc, "message", None) or "the digest could not be computed"
        hidden = [gr.HTML(visible=False)] * MAX_CARDS
        no_plots = [gr.Plot(visible=False)] * MAX_CARDS
        return [f"**What changed** is unavailable: {html_text(message)}", *hidden, *no_plots]
    items = result["items"][:MAX_CARDS]
    head = (
        f"**What changed** {result['since']} to {result['until']}, against "
        f"{result['compare_since']} to {result['compare_until']}: "
        + (
            f"{len(result['items'])} change(s), ranked by impact."
            if items
            else "nothing beyond the shop's thresholds."
        )
    )
    cards, plots = [], []
    for slot in range(MAX_CARDS):
        if slot < len(items):
            cards.append(gr.HTML(card_html(slot + 1, items[slot]), visible=True))
            figure = sparkline(items[slot])
            plots.append(gr.Plot(figure, visible=figure is not None))
        else:
            cards.append(gr.HTML("", visible=False))
            plots.append(gr.Plot(None, visible=False))
    return [head, *cards, *plots]


def card_html(rank: int, item: dict) -> str:
    """One card: title, figures with n and interval, since, records, action, links."""
    where = item["where"]
    links = []
    if where["level"] in LEVEL_KIND:
        links.append(link(LEVEL_KIND[where["level"]], where["id"], "Open in product insight"))
    if where["level"] == "category":
        links.append(link("audience", where["id"], "Build an audience of its buyers"))
    elif where["level"] in ("segment", "customers"):
        links.append(link("audience", f"segment:{where['id']}", "Open audiences"))
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        ci = now["ci"]
        interval = f", 95% {_pct(ci[0])}–{_pct(ci[1])}" if ci else ""
        figures = (
            f"{_pct(now['value'])} ({now['hits']} of {now['n']}{interval}) vs "
            f"{_pct(before['value'])} ({before['hits']} of {before['n']})"
        )
    else:
        figures = (
            f"{_num(now['value'])} (n {now['n']}) vs {_num(before['value'])} (n {before['n']})"
        )
    records = []
    for record in item["evidence"][:3]:
        ident = next(
            (
                record[k]
                for k in ("review_id", "order_id", "ticket_id", "customer_id")
                if k in record
            ),
            "",
        )
        text = record.get("quote") or record.get("subject") or record.get("status") or ""
        records.append(f"<li><code>{html_text(ident)}</code> {html_text(text)}</li>")
    also = "".join(f"<li>{html_text(line)}</li>" for line in item["also"])
    since = f" · since {html_text(item['since'])}" if item["since"] else ""
    return (
        f'<div class="digest-card"><b>{rank}. {html_text(item["title"])}</b>'
        f'<div class="ev-meta">{html_text(figures)}{since}</div>'
        + (f"<ul>{also}</ul>" if also else "")
        + (f"<ul>{''.join(records)}</ul>" if records else "")
        + f"<p><i>Suggested:</i> {html_text(item['action'])}</p>"
        + (f"<p>{' · '.join(links)}</p>" if links else "")
        + "</div>"
    )


def sparkline(item: dict) -> go.Figure | None:
    points = [p for p in item["series"] if p["value"] is not None]
    if not points:
        return None
    rate = item["kind"] != "rating_drop"
    fig = go.Figure(
        go.Scatter(
            x=[p["period"] for p in points],
            y=[p["value"] for p in points],
            mode="lines",
            customdata=[p["n"] for p in points],
            hovertemplate=(
                "week of %{x}: %{y:.0%} of %{customdata}<extra></extra>"
                if rate
                else "week of %{x}: %{y:.2f} ★ from %{customdata}<extra></extra>"
            ),
        )
    )
    if item["since"]:
        fig.add_vline(x=item["since"], line_dash="dot", line_color="#dc2626")
    fig.update_layout(
        height=140,
        margin={"l": 30, "r": 5, "t": 5, "b": 25},
        showlegend=False,
        yaxis={"tickformat": ".0%" if rate else ".1f"},
    )
    return fig


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if isinstance(x, float) and not float(x).is_integer() else f"{int(x)}"
