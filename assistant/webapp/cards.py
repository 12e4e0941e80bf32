"""HTML cards for the side panels: the buyer profile and the quotes behind the charts.

Input is the tools' result dicts (already masked per role and PII-redacted);
every value passes :func:`~assistant.sanitize.html_text` here (escaped, no control
characters), ids become links that open the matching panel.
"""

from __future__ import annotations

from assistant.planner.formatters import action_words, reason_words
from assistant.planner.render import word
from assistant.sanitize import html_text
from assistant.webapp.i18n import text
from assistant.webapp.render import link

QUOTED_ASPECTS = 3  # per side: the most-mentioned complaints and praise
# A sentence's label as a mark before it (the label word is in the title, for a reader).
_MARKS = {"positive": "➕", "negative": "➖", "neutral": "•"}
CONTACT_ORDER = ("name", "email", "phone", "city", "country", "channel", "signup_at")


def error_html(message: str) -> str:
    return f'<div class="panel-error">⚠️ {html_text(message)}</div>'


def _v(value, suffix: str = "") -> str:
    return "—" if value is None else f"{html_text(str(value))}{suffix}"


def _tile(label: str, value: str) -> str:
    return f"<div><b>{html_text(label)}</b>{value}</div>"


def _table(headers: list[str], rows: list[list[str]], lang: str = "en") -> str:
    if not rows:
        return f"<p><i>{text('card.none', lang)}</i></p>"
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="mini"><tr>{head}</tr>{body}</table>'


def _identity(profile: dict, lang: str = "en") -> str:
    ident = profile.get("identity") or {}
    shown = [k for k in CONTACT_ORDER if k in ident]
    tiles = "".join(_tile(text(f"card.contact.{k}", lang), _v(ident.get(k))) for k in shown)
    note = (
        f'<p class="masked">{text("card.masked", lang)}</p>'
        if profile.get("identity_masked")
        else ""
    )
    return f'<div class="card-grid">{tiles}</div>{note}'


def profile_html(profile: dict, recs: dict, lang: str = "en") -> str:
    """The buyer context card for one customer, its labels in ``lang`` (the data as
    the shop has it; the next best action in the language's words where it has them)."""
    rfm, churn, orders = profile["rfm"], profile["churn"], profile["orders"]
    clv = profile.get("clv") or {}

    def t(key: str, **fields) -> str:
        return text(f"card.{key}", lang, **fields)

    def named(table: str, value):
        # Segments, risks, statuses and labels in the card's language (the answers' words).
        return word(lang, table, value) if value is not None else None

    segment = named("segments", profile.get("segment"))

    head = (
        f'<h3 class="buyer-title">{t("buyer", customer_id=html_text(profile["customer_id"]))}'
        f" · {html_text(str(segment))}</h3>"
    )
    counts = t("orders_value", completed=orders["completed"], returned=orders["returned"])
    figures = "".join(
        [
            _tile(t("segment"), _v(segment)),
            _tile("RFM", html_text(f"R{rfm['r']} F{rfm['f']} M{rfm['m']}")),
            _tile(t("recency"), _v(rfm.get("recency_days"), t("days"))),
            _tile(t("orders"), html_text(counts)),
            _tile(t("spend"), _v(profile.get("spend"))),
            _tile(t("avg_order"), _v(profile.get("average_order_value"))),
            _tile(t("clv"), _v(clv.get("estimate"))),
            _tile(t("churn_risk"), _v(named("risks", churn.get("risk")))),
            _tile(t("next_order_due"), _v(churn.get("expected_next_order"))),
        ]
    )
    action = profile.get("next_best_action") or {}
    action_text = action_words(action, lang) or action.get("text") or "—"
    parts = [
        '<div class="buyer-card">',
        head,
        _identity(profile, lang),
        f'<div class="card-grid">{figures}</div>',
        f"<p><b>{t('next_best_action')}</b>: {html_text(action_text)}</p>",
        f"<h4>{t('recent_orders')}</h4>",
        _table(
            [t("col.order"), t("col.date"), t("col.status"), t("col.total"), t("col.products")],
            [
                [
                    html_text(o["order_id"]),
                    _v((o.get("ordered_at") or "")[:10]),
                    _v(named("statuses", o.get("status"))),
                    _v(o.get("total")),
                    ", ".join(link("product", p) for p in o.get("products") or []),
                ]
                for o in orders.get("recent") or []
            ],
            lang,
        ),
        f"<h4>{t('reviews')}</h4>",
        _table(
            [t("col.review"), t("col.product"), t("col.stars"), t("col.sentiment"), t("col.text")],
            [
                [
                    html_text(r["review_id"]),
                    link("product", r["product_id"]),
                    _v(r.get("rating")),
                    _v(named("polarity", r.get("sentiment")))
                    + (f" · {t('mixed')}" if r.get("mixed") else ""),
                    sentences_html(r["sentences"], lang)
                    if r.get("mixed") and r.get("sentences")
                    else html_text((r.get("text") or "")[:200]),
                ]
                for r in profile.get("reviews") or []
            ],
            lang,
        ),
        f"<h4>{t('open_tickets')}</h4>",
        _table(
            [
                t("col.ticket"),
                t("col.opened"),
                t("col.age"),
                t("col.status"),
                t("col.order"),
                t("col.subject"),
                t("col.text"),
            ],  # fmt: skip
            [
                [
                    html_text(tk["ticket_id"]),
                    _v((tk.get("opened_at") or "")[:10]),
                    _v(tk.get("age_days")),
                    _v(named("statuses", tk.get("status"))),
                    html_text(
                        f"{tk['order_id']} ({tk.get('order_status') or '?'})"
                        if tk.get("order_id")
                        else ""
                    ),
                    html_text(tk.get("subject") or ""),
                    # Customer-written: escaped like review text, flags shown above the card.
                    html_text(tk.get("text") or ""),
                ]
                for tk in profile.get("open_tickets") or []
            ],
            lang,
        ),
        f"<h4>{t('recommendations')}</h4>",
    ]
    if recs.get("error"):
        parts.append(error_html(recs["error"]))
    else:
        parts.append(
            _table(
                ["#", t("col.product"), t("col.title"), t("col.why")],
                [
                    [
                        html_text(r["rank"]),
                        link("product", r["product_id"]),
                        html_text(r.get("title") or ""),
                        html_text(reason_words(r, lang) or r.get("reason") or ""),
                    ]
                    for r in recs.get("recommendations") or []
                ],
                lang,
            )
        )
        if recs.get("method"):
            parts.append(f"<p class='ev-meta'>{html_text(recs['method'])}</p>")
    parts.append("</div>")
    return "".join(parts)


def sentences_html(sentences: list[dict], lang: str = "en") -> str:
    """A mixed review sentence by sentence, each with its label: the one-line snippet
    of "Great sound. Battery died in a week." shows one side only."""
    items = []
    for s in sentences or []:
        label = s.get("label") if s.get("label") in _MARKS else "neutral"
        word = text(f"chart.{label}", lang)
        items.append(
            f'<li class="sent-{label}" title="{html_text(word)}">{_MARKS[label]} '
            f"{html_text(s.get('text') or '')} <i>({html_text(word)})</i></li>"
        )
    return f'<ul class="ev-sentences">{"".join(items)}</ul>' if items else ""


def mixed_html(result: dict, lang: str = "en") -> str:
    """The period's mixed reviews (praise and complaint in one review): how many, and a
    few of them with their sentence labels."""
    mixed = result.get("mixed_reviews")
    if not mixed or not mixed.get("count"):
        return ""
    parts = [
        f"<p><b>{text('quotes.mixed', lang)}</b> "
        + text("quotes.count", lang, count=html_text(mixed["count"]), n=html_text(mixed["n"]))
        + "</p>"
    ]
    for ex in mixed.get("examples") or []:
        rating = ex.get("rating")
        stars = f"{'★' * int(rating)}{'☆' * (5 - int(rating))} " if isinstance(rating, int) else ""
        parts.append(
            f'<blockquote class="ev-quote ev-mixed" data-review="{html_text(ex["review_id"])}">'
            f"{stars}{sentences_html(ex.get('sentences') or [], lang)}"
            f'<div class="ev-meta"><code>{html_text(ex["review_id"])}</code> · '
            f"{html_text(text('quotes.mixed_label', lang, label=text('chart.' + ex['label'], lang)))}"
            "</div></blockquote>"
        )
    return "".join(parts)


def quotes_html(result: dict, lang: str = "en") -> str:
    """The review quotes behind the aspect chart, grouped by aspect, with review ids; the
    headings in ``lang``."""
    parts = [f'<div class="evidence"><h4>{text("quotes.heading", lang)}</h4>']
    any_quote = False
    sides = (
        ("top_complained", text("quotes.complaints", lang)),
        ("top_praised", text("quotes.praise", lang)),
    )
    for key, title in sides:
        for item in (result.get(key) or [])[:QUOTED_ASPECTS]:
            quotes = item.get("quotes") or []
            if not quotes:
                continue
            any_quote = True
            parts.append(
                f"<p><b>{title} · {html_text(item['aspect'])}</b> "
                + text("quotes.count", lang, count=html_text(item["count"]), n=html_text(item["n"]))
                + "</p>"
            )
            for q in quotes:
                parts.append(
                    f'<blockquote class="ev-quote" data-review="{html_text(q["review_id"])}">'
                    f"“{html_text(q.get('snippet') or '')}”"
                    f'<div class="ev-meta"><code>{html_text(q["review_id"])}</code></div></blockquote>'
                )
    if not any_quote:
        parts.append(f"<p><i>{text('quotes.none', lang)}</i></p>")
    parts.append(mixed_html(result, lang))
    parts.append("</div>")
    return "".join(parts)
