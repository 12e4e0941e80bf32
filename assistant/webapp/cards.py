"""HTML cards for the side panels: the buyer profile and the quotes behind the charts.

Input is the tools' result dicts (already masked per role and PII-redacted);
every value passes :func:`~assistant.sanitize.html_text` here (escaped, no control
characters), ids become links that open the matching panel.
"""

from __future__ import annotations

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


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p><i>none</i></p>"
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="mini"><tr>{head}</tr>{body}</table>'


def _identity(profile: dict) -> str:
    ident = profile.get("identity") or {}
    shown = [k for k in CONTACT_ORDER if k in ident]
    tiles = "".join(_tile(k.replace("_", " "), _v(ident.get(k))) for k in shown)
    note = (
        '<p class="masked">Contact details are hidden for the marketer role.</p>'
        if profile.get("identity_masked")
        else ""
    )
    return f'<div class="card-grid">{tiles}</div>{note}'


def profile_html(profile: dict, recs: dict) -> str:
    """The buyer context card for one customer."""
    rfm, churn, orders = profile["rfm"], profile["churn"], profile["orders"]
    clv = profile.get("clv") or {}
    head = (
        f'<h3 class="buyer-title">Buyer {html_text(profile["customer_id"])}'
        f" · {html_text(str(profile.get('segment')))}</h3>"
    )
    figures = "".join(
        [
            _tile("segment", _v(profile.get("segment"))),
            _tile("RFM", html_text(f"R{rfm['r']} F{rfm['f']} M{rfm['m']}")),
            _tile("recency", _v(rfm.get("recency_days"), " days")),
            _tile(
                "orders",
                html_text(f"{orders['completed']} completed · {orders['returned']} returned"),
            ),
            _tile("spend", _v(profile.get("spend"))),
            _tile("avg order", _v(profile.get("average_order_value"))),
            _tile("CLV (2 y)", _v(clv.get("estimate"))),
            _tile("churn risk", _v(churn.get("risk"))),
            _tile("next order due", _v(churn.get("expected_next_order"))),
        ]
    )
    action = profile.get("next_best_action") or {}
    parts = [
        '<div class="buyer-card">',
        head,
        _identity(profile),
        f'<div class="card-grid">{figures}</div>',
        f"<p><b>Next best action</b>: {html_text(action.get('text') or '—')}</p>",
        "<h4>Recent orders</h4>",
        _table(
            ["order", "date", "status", "total", "products"],
            [
                [
                    html_text(o["order_id"]),
                    _v((o.get("ordered_at") or "")[:10]),
                    _v(o.get("status")),
                    _v(o.get("total")),
                    ", ".join(link("product", p) for p in o.get("products") or []),
                ]
                for o in orders.get("recent") or []
            ],
        ),
        "<h4>Reviews</h4>",
        _table(
            ["review", "product", "stars", "sentiment", "text"],
            [
                [
                    html_text(r["review_id"]),
                    link("product", r["product_id"]),
                    _v(r.get("rating")),
                    _v(r.get("sentiment")) + (" · mixed" if r.get("mixed") else ""),
                    sentences_html(r["sentences"])
                    if r.get("mixed") and r.get("sentences")
                    else html_text((r.get("text") or "")[:200]),
                ]
                for r in profile.get("reviews") or []
            ],
        ),
        "<h4>Open tickets</h4>",
        _table(
            ["ticket", "opened", "age (days)", "status", "order", "subject", "text"],
            [
                [
                    html_text(t["ticket_id"]),
                    _v((t.get("opened_at") or "")[:10]),
                    _v(t.get("age_days")),
                    _v(t.get("status")),
                    html_text(
                        f"{t['order_id']} ({t.get('order_status') or '?'})"
                        if t.get("order_id")
                        else ""
                    ),
                    html_text(t.get("subject") or ""),
                    # Customer-written: escaped like review text, flags shown above the card.
                    html_text(t.get("text") or ""),
                ]
                for t in profile.get("open_tickets") or []
            ],
        ),
        "<h4>Recommendations</h4>",
    ]
    if recs.get("error"):
        parts.append(error_html(recs["error"]))
    else:
        parts.append(
            _table(
                ["#", "product", "title", "why"],
                [
                    [
                        html_text(r["rank"]),
                        link("product", r["product_id"]),
                        html_text(r.get("title") or ""),
                        html_text(r.get("reason") or ""),
                    ]
                    for r in recs.get("recommendations") or []
                ],
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
