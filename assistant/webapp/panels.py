"""The side panels: buyer context, product insight, audiences.

Plain functions over the tools, called through the role's Toolbox
(``assistant.toolbox(role)``) exactly as the chat agent calls them: the role is
checked, contact details are stripped for marketers, PII is redacted and
instruction-like review text is flagged (and the flags shown). Each returns what
its components show; an error of the product's own hierarchy becomes a visible
message, never a traceback.
"""

from __future__ import annotations

import logging
import tempfile
from html import escape
from pathlib import Path

from assistant.csv_export import write_table
from assistant.errors import InsightError, UserError
from assistant.sanitize import html_text, md_text
from assistant.webapp import charts
from assistant.webapp.cards import error_html, profile_html, quotes_html
from assistant.webapp.i18n import text

log = logging.getLogger(__name__)

MAX_PRODUCT_CHOICES = 2000
ALL_ASPECTS = 20  # asks product_insights for every aspect, not only the top few


def _error_text(exc: Exception) -> str:
    if isinstance(exc, InsightError):
        return str(exc)
    log.exception("panel failed")
    return f"{type(exc).__name__}: {exc}"


def flags_html(*results: dict) -> str:
    """A visible warning naming the records whose text tried to instruct the assistant
    (the same flags a chat answer reports)."""
    flags = list(dict.fromkeys(f for r in results for f in (r.get("flags") or [])))
    if not flags:
        return ""
    items = ", ".join(escape(str(f)) for f in flags)
    return (
        f'<div class="panel-flags">⚠️ Instruction-like customer text (shown as data, '
        f"never followed): {items}</div>"
    )


# -- buyer context ---------------------------------------------------------------------
def buyer_context(assistant, customer_id: str | None, role: str, lang: str = "en") -> str:
    """The profile card of one customer: segment, RFM, CLV, churn, orders, reviews,
    tickets and recommendations with reasons; contact details only for roles that may."""
    try:
        if not (customer_id or "").strip():
            raise UserError("enter a customer id, or click one in the chat's evidence")
        toolbox = assistant.toolbox(role)
        profile = toolbox.call("customer_profile", customer_id=customer_id.strip()).unwrap()
        found = toolbox.call("recommend_for_customer", customer_id=profile["customer_id"], k=5)
        recs = found.result if found.ok else {"error": str(found.error)}
        return flags_html(profile, recs) + profile_html(profile, recs, lang)
    except Exception as exc:
        return error_html(_error_text(exc))


# -- product insight -------------------------------------------------------------------
def subject_choices(assistant, role: str) -> list[tuple[str, str]]:
    """Dropdown entries: every category, then products by id (labels show the title)."""
    from tools.catalog import catalog

    try:
        cat = catalog(assistant.tool_context(role))
    except Exception as exc:
        log.warning("product choices unavailable: %s", _error_text(exc))
        return []
    out = [(f"Category · {name}", f"category:{name}") for name in cat.category_names]
    for pid, title in list(zip(cat.ids, cat.titles, strict=True))[:MAX_PRODUCT_CHOICES]:
        out.append((f"{pid} · {title}"[:90], f"product:{pid}"))
    return out


def category_choices(assistant, role: str) -> list[str]:
    from tools.catalog import catalog

    try:
        return list(catalog(assistant.tool_context(role)).category_names)
    except Exception as exc:
        log.warning("categories unavailable: %s", _error_text(exc))
        return []


def resolve_subject(ctx, choice: str) -> dict:
    """``product:ID`` / ``category:NAME`` from the dropdown, or free text resolved by the
    same rule as chat and the tools (tools/resolve.py)."""
    from tools import resolve

    choice = (choice or "").strip()
    if not choice:
        raise UserError("pick a product or a category")
    kind, _, value = choice.partition(":")
    if kind == "product" and value:
        return {"product_id": value}
    if kind == "category" and value:
        return {"category": value}
    subject = resolve.subject(ctx, choice)
    if subject.kind == "ambiguous":
        options = ", ".join(f"{c['product_id']} ({c['title']})" for c in subject.options)
        raise UserError(f"{choice!r} could be {options}: pick one")
    if subject.kind == "unknown":
        raise UserError(f"no product or category matches {choice!r}")
    return subject.as_args()


def monthly_sentiment(months: list[dict]) -> list[dict]:
    """Positive/neutral/negative review counts per month, from product_insights' trend."""
    return [{"month": m["month"], **m.get("sentiment", {})} for m in months]


def aspect_rows(result: dict) -> list[dict]:
    counts: dict[str, dict] = {}
    for key, side in (("top_praised", "praise"), ("top_complained", "complaints")):
        for item in result.get(key) or []:
            counts.setdefault(
                item["aspect"], {"aspect": item["aspect"], "praise": 0, "complaints": 0}
            )
            counts[item["aspect"]][side] = item["count"]
    return list(counts.values())


def _summary(result: dict, lang: str = "en") -> str:
    subject = result["subject"]
    # Titles and category names come from imported catalogue data: shown literally.
    name = (
        f"**{md_text(subject['product_id'])}** · {md_text(subject.get('title') or '')}"
        if subject.get("product_id")
        else text("product.category", lang, name=md_text(subject["category"]))
    )
    period = result["period"]
    avg = result.get("average_rating")
    neg = result["sentiment"]["negative"]
    since = period["since"] or text("product.all_time", lang)
    parts = [
        f"{name} — " + text("product.period", lang, since=since, until=period["until"]),
        text("product.reviews", lang, n=result["review_count"]),
        text("product.average_rating", lang, avg=f"{avg:.2f}")
        if avg is not None
        else text("product.no_ratings", lang),
    ]
    if neg["share"] is not None:
        parts.append(text("product.negative", lang, share=f"{neg['share']:.0%}", n=neg["n"]))
    rate = result.get("return_rate") or {}
    if rate.get("share") is not None:
        parts.append(text("product.return_rate", lang, share=f"{rate['share']:.1%}", n=rate["n"]))
    return " · ".join(parts)


def product_insight(
    assistant,
    choice: str,
    since: str | None,
    until: str | None,
    role: str,
    lang: str = "en",
):
    """Summary, three figures and the quotes behind them for a product or category, their
    words in ``lang``."""
    try:
        toolbox = assistant.toolbox(role)
        subject = resolve_subject(toolbox.ctx, choice)
        result = toolbox.call(
            "product_insights",
            **subject,
            since=(since or None),
            until=(until or None),
            top=ALL_ASPECTS,
        ).unwrap()
        months = result["rating_trend"]["months"]
        # Plotly reads a subset of HTML in titles: the name is shown as text.
        label = html_text(subject.get("product_id") or subject.get("category"))
        rating = [
            {"month": m["month"], "avg_rating": m["average_rating"], "n": m["n"]} for m in months
        ]
        return (
            _summary(result, lang),
            charts.rating_by_month(
                rating, f"{text('chart.rating_title', lang)} · {label}", lang=lang
            ),
            charts.sentiment_over_time(
                monthly_sentiment(months),
                f"{text('chart.sentiment_title', lang)} · {label}",
                lang=lang,
            ),
            charts.aspect_balance(
                aspect_rows(result), f"{text('chart.aspects_short', lang)} · {label}", lang=lang
            ),
            flags_html(result) + quotes_html(result, lang),
        )
    except Exception as exc:
        message = _error_text(exc)
        empty = charts.empty_figure(message)
        return f"⚠️ {md_text(message)}", empty, empty, empty, error_html(message)


# -- audiences -------------------------------------------------------------------------
def audience_filters(
    segments,
    category,
    min_spend,
    max_spend,
    inactive_days,
    churn_risk,
    sentiment,
    aspect,
    viewed_category,
    country,
) -> dict:
    """The find_customers arguments from form values (blank means "any")."""

    def text(value):
        return (value or "").strip() or None

    def number(value, name, cast):
        if value in (None, ""):
            return None
        try:
            out = cast(value)
        except (TypeError, ValueError):
            raise UserError(f"{name} must be a number, got {value!r}") from None
        if out < 0:
            raise UserError(f"{name} must not be negative, got {value!r}")
        return out

    return {
        k: v
        for k, v in {
            "segment": list(segments) if segments else None,
            "category": text(category),
            "min_spend": number(min_spend, "minimum spend", float),
            "max_spend": number(max_spend, "maximum spend", float),
            "inactive_days": number(inactive_days, "inactive days", int),
            "churn_risk": list(churn_risk) if churn_risk else None,
            "sentiment": text(sentiment),
            "aspect": text(aspect),
            "viewed_category": text(viewed_category),
            "country": text(country),
        }.items()
        if v is not None
    }


CSV_COLUMNS = ["customer_id", "segment", "orders", "spend", "recency_days", "clv", "churn_risk"]


def audience_rows(ctx, ids: list[str]) -> list[dict]:
    """Per-customer figures for the audience (no contact details), in audience order."""
    from tools.customers import customer_table

    table, _ = customer_table(ctx.cursor())
    table = table.set_index("customer_id")
    rows = []
    for cid in ids:
        rec = table.loc[cid]
        rows.append(
            {
                "customer_id": cid,
                "segment": rec["segment"],
                "orders": int(rec["orders"]),
                "spend": round(float(rec["spend"]), 2),
                "recency_days": None
                if rec["recency_days"] != rec["recency_days"]
                else int(rec["recency_days"]),
                "clv": round(float(rec["clv"]), 2),
                "churn_risk": rec["churn_risk"],
            }
        )
    return rows


def write_csv(rows: list[dict], folder: Path | None = None) -> Path:
    folder = Path(folder or tempfile.mkdtemp(prefix="audience-"))
    path = folder / f"audience-{len(rows)}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        write_table(fh, CSV_COLUMNS, rows)
    return path


def _figure(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def audience_stat_lines(stats: dict, lang: str = "en") -> list[str]:
    """The audience's figures in words; an empty audience has none to show (its averages
    are undefined, and printing them read as "average spend None")."""

    def items(counts: dict) -> str:
        return ", ".join(f"{md_text(k)} {v}" for k, v in counts.items())

    return [
        text(
            "audiences.spend",
            lang,
            total=_figure(stats["total_spend"]),
            average=_figure(stats["average_spend"]),
            orders=_figure(stats["average_orders"], 1),
            clv=_figure(stats["average_clv"]),
        ),
        text("audiences.by_segment", lang, items=items(stats["segments"])),
        text("audiences.by_churn", lang, items=items(stats["churn_risk"])),
    ]


def build_audience(assistant, role: str, *values, lang: str = "en"):
    """(stats markdown, table rows, CSV path) for the audience the form describes, its
    words in ``lang``."""
    try:
        toolbox = assistant.toolbox(role)
        filters = audience_filters(*values)
        result = toolbox.call("find_customers", **filters, all_ids=True).unwrap()
        rows = audience_rows(toolbox.ctx, result["ids"])
        lines = [
            text(
                "audiences.match",
                lang,
                count=result["count"],
                total=result["of_customers"],
                as_of=result["as_of"],
            ),
            *(audience_stat_lines(result["stats"], lang) if result["count"] else []),
        ]
        lines += [f"_{md_text(note)}_" for note in result.get("notes") or []]
        table = [[r[c] for c in CSV_COLUMNS] for r in rows]
        return "\n\n".join(lines), {"headers": CSV_COLUMNS, "data": table}, str(write_csv(rows))
    except Exception as exc:
        return f"⚠️ {md_text(_error_text(exc))}", {"headers": CSV_COLUMNS, "data": []}, None
