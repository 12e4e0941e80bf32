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

from assistant.planner.formatters import also_words, digest_title
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
    since: gr.Textbox
    until: gr.Textbox
    summary: gr.Markdown
    cards: list  # gr.HTML per slot; links inside them carry kind and id
    plots: list  # gr.Plot per slot
    outputs: list  # what ``refresh`` returns, in order
    # The handler behind the refresh button: (days, since, until, lang, request) -> outputs,
    # also run once the page knows its language and whenever the language is switched.
    refresh: object


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

    def on_refresh(days, start, end, lang=None, request: gr.Request = None):
        return refresh(ctx.assistant, ctx.role_of(request), days, start, end, i18n.language(lang))

    go_button.click(
        on_refresh,
        inputs=ctx.inputs(period, since, until),
        outputs=outputs,
        concurrency_id="panels",
        concurrency_limit=ctx.limit,
    )
    return DigestTab(
        period=period,
        since=since,
        until=until,
        summary=summary,
        cards=cards,
        plots=plots,
        outputs=outputs,
        refresh=on_refresh,
    )


def wire(tab: DigestTab, ctx: TabContext, demo: gr.Blocks, tabs: gr.Tabs, product, audiences):
    """Open the product or audience tab from a card's link (called by ``create_app`` once
    the other tabs exist; it also fills the cards once the page knows its language)."""

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


def refresh(
    assistant,
    role: str,
    days,
    since: str | None = None,
    until: str | None = None,
    lang: str = "en",
) -> list:
    """The summary line, then each slot's card HTML (or hidden), then its sparkline, in
    ``lang``. A start day, when given, wins over the period length."""
    args = {"since": since.strip()} if since and since.strip() else {"period_days": int(days or 30)}
    if until and until.strip():
        args["until"] = until.strip()
    try:
        result = assistant.toolbox(role).call("digest", **args).unwrap()
    except Exception as exc:
        log.warning("digest unavailable: %s", exc)
        message = getattr(exc, "message", None) or i18n.text("digest.failed", lang)
        hidden = [gr.HTML(visible=False)] * MAX_CARDS
        no_plots = [gr.Plot(visible=False)] * MAX_CARDS
        return [
            i18n.text("digest.unavailable", lang, message=html_text(message)),
            *hidden,
            *no_plots,
        ]
    items = result["items"][:MAX_CARDS]
    found = (
        i18n.text("digest.found", lang, count=len(result["items"]))
        if items
        else i18n.text("digest.nothing", lang)
    )
    head = i18n.text(
        "digest.head",
        lang,
        since=result["since"],
        until=result["until"],
        compare_since=result["compare_since"],
        compare_until=result["compare_until"],
        found=found,
    )
    cards, plots = [], []
    for slot in range(MAX_CARDS):
        if slot < len(items):
            cards.append(gr.HTML(card_html(slot + 1, items[slot], lang), visible=True))
            figure = sparkline(items[slot], lang)
            plots.append(gr.Plot(figure, visible=figure is not None))
        else:
            cards.append(gr.HTML("", visible=False))
            plots.append(gr.Plot(None, visible=False))
    return [head, *cards, *plots]


def card_html(rank: int, item: dict, lang: str = "en") -> str:
    """One card: title, figures with n and interval, since, records, action, links, in
    ``lang`` (the title and action in the language's own words where it has them)."""

    def t(key: str, **fields) -> str:
        return i18n.text(f"digest.{key}", lang, **fields)

    where = item["where"]
    links = []
    if where["level"] in LEVEL_KIND:
        links.append(link(LEVEL_KIND[where["level"]], where["id"], t("open_product")))
    if where["level"] == "category":
        links.append(link("audience", where["id"], t("build_audience")))
    elif where["level"] in ("segment", "customers"):
        links.append(link("audience", f"segment:{where['id']}", t("open_audiences")))
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        ci = now["ci"]
        interval = t("interval", lo=_pct(ci[0]), hi=_pct(ci[1])) if ci else ""
        figures = t(
            "share_figures",
            now=_pct(now["value"]),
            hits=now["hits"],
            n=now["n"],
            interval=interval,
            before=_pct(before["value"]),
            before_hits=before["hits"],
            before_n=before["n"],
        )
    else:
        figures = t(
            "value_figures",
            now=_num(now["value"]),
            n=now["n"],
            before=_num(before["value"]),
            before_n=before["n"],
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
    also = "".join(f"<li>{html_text(line)}</li>" for line in also_words(item, lang) or item["also"])
    since = t("since_note", since=html_text(item["since"])) if item["since"] else ""
    title = digest_title(item, lang) or item["title"]
    action = (item.get("actions") or {}).get(lang) or item["action"]
    return (
        f'<div class="digest-card"><b>{rank}. {html_text(title)}</b>'
        f'<div class="ev-meta">{html_text(figures)}{since}</div>'
        + (f"<ul>{also}</ul>" if also else "")
        + (f"<ul>{''.join(records)}</ul>" if records else "")
        + f"<p><i>{t('suggested')}</i> {html_text(action)}</p>"
        + (f"<p>{' · '.join(links)}</p>" if links else "")
        + "</div>"
    )


def sparkline(item: dict, lang: str = "en") -> go.Figure | None:
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
            hovertemplate=i18n.text("digest.hover_rate" if rate else "digest.hover_rating", lang),
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
