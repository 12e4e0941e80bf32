"""One formatter per tool: the lines of the answer for that tool's result, filled
into the tool's templates in prompts/answers.yaml, or prompts/answers.zh.yaml when
the question was asked in Chinese. Every word an answer shows comes from those files.

Each formatter reads the fields its tool's declared result type has (tools/*.py,
``ToolSpec.result``) and declares the placeholders it fills for each of its
templates, so the template file is checked against the code when it is loaded.
Formatters never change the result they are given: the same object is what
``ask --json`` and the evidence report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from assistant.planner.analyst_reading import (
    READING_HEADS,
    analyze_reading,
    compare_reading,
    metric_words,
    row_label_words,
)
from assistant.planner.render import (
    MAX_ITEMS,
    aspect_name,
    category_name,
    declare,
    fill,
    fmt,
    label,
    more,
    pct,
    scope,
    shorten,
    spec,
    value_words,
    word,
)
from assistant.planner.thread import Call

# (call, the tool's templates in the answer's language, that language) -> lines
Formatter = Callable[..., list[str]]
FORMATTERS: dict[str, Formatter] = {}
# The recommender's reasons (tools/recommend.py) a language may word from their kind.
REASON_KINDS = (
    "best_seller", "best_seller_shop", "popular", "popular_shop", "similar_tastes",
    "similar_tastes_liked", "similar_rated", "similar_bought", "similar_viewed",
    "bought_with", "interested_with", "co_interest", "described_alike",
)  # fmt: skip
# The digest's kinds of item (tools/digest.py) a language may title from their parts.
DIGEST_TITLES = (
    "complaint_spike", "return_wave", "cancel_wave", "rating_drop", "new_topic",
    "at_risk_customers", "segment_grew", "segment_shrank", "ticket_surge",
)  # fmt: skip
# The filters of an audience (tools/customers.py) a language may word from their parts.
AUDIENCE_FILTERS = (
    "segment", "min_spend", "max_spend", "inactive_days", "active_within_days", "churn_risk",
    "country", "category", "product_id", "viewed_category", "sentiment", "aspect",
)  # fmt: skip
# The next best actions of tools/customers.py a language may word from their parts.
ACTION_KINDS = (
    "resolve_ticket", "service_recovery", "cart_reminder", "win_back", "win_back_category",
    "browse_follow_up", "reward", "second_purchase", "first_purchase", "re_engage",
)  # fmt: skip


def _frozen(contract: Any) -> Any:
    """A contract's leaves as frozensets; a nested section (a dict) stays a section."""
    if isinstance(contract, dict):
        return {key: _frozen(v) for key, v in contract.items()}
    return frozenset(contract)


def formatter(tool: str, **contract: set[str]) -> Callable[[Formatter], Formatter]:
    """Register ``fn`` as ``tool``'s formatter; ``contract`` names, per template of the
    tool's section in answers.yaml, the placeholders the formatter fills in."""

    def register(fn: Formatter) -> Formatter:
        FORMATTERS[tool] = fn
        declare({tool: {key: _frozen(v) for key, v in contract.items()}})
        return fn

    return register


# -- per-tool formatters --------------------------------------------------------
@formatter(
    "search_reviews",
    header={"count", "scope", "sentiment_note"},
    item={"text", "rating", "review_id", "date_note"},
    more={"more"},
    sentiment_note={"sentiment"},
    date_note={"date"},
    read_as={"query"},
)
def _search_reviews(call: Call, t: dict, lang: str = "en") -> list[str]:
    r, args = call.result, call.args
    rows = r["results"]
    if not rows:
        return [
            fill(spec(lang)["empty"], tool_label=label(call.name, lang), scope=scope(args, r, lang))
            or ""
        ]
    total = r["n"]
    note = ""
    if args.get("sentiment"):
        note = fill(t["sentiment_note"], sentiment=word(lang, "sentiment", args["sentiment"]))
    lines = [fill(t["header"], count=total, scope=scope(args, r, lang), sentiment_note=note) or ""]
    if r.get("read_as"):
        # The index reads English only: say which English words were searched for.
        lines.insert(0, fill(t["read_as"], query=r["query"]) or "")
    for row in rows[:MAX_ITEMS]:
        date = str(row["date"] or "")[:10]
        lines.append(
            fill(
                t["item"],
                text=shorten(row["snippet"]),
                rating=row["rating"],
                review_id=row["review_id"],
                date_note=fill(t["date_note"], date=date) if date else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


def _share(d: dict | None) -> tuple[str | None, Any, Any]:
    """(percent, count, n) of a share record {"count", "n", "share"}."""
    if not d:
        return None, None, None
    return pct(d["share"]), d["count"], d["n"]


@formatter(
    "product_insights",
    header={"subject", "period_note", "avg_rating", "n", "neg_pct", "neg_count"},
    short={"subject", "period_note", "n"},
    subject={"title", "product_id"},
    period_note={"since", "until"},
    returns={"rate", "count", "n"},
    trend={"direction", "slope", "months"},
    previous={"since", "until", "avg_rating", "n"},
    rising={"items"},
    rising_item={"aspect", "before", "now", "count", "n"},
    complained_header=set(),
    praised_header=set(),
    aspect={"aspect", "share", "count", "n", "quote_note"},
    quote={"text", "review_id"},
)
def _product_insights(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    subj = r["subject"]
    if subj.get("product_id"):
        subject = fill(
            t["subject"],
            title=subj.get("title") or subj["product_id"],
            product_id=subj["product_id"],
        )
    else:
        subject = category_name(subj.get("category"), lang)
    period = r["period"]
    period_note = ""
    if period["since"]:
        period_note = fill(t["period_note"], since=period["since"], until=period["until"]) or ""
    neg_pct, neg_count, _ = _share(r["sentiment"]["negative"])
    n = r["review_count"]
    lines = [
        fill(
            t["header"],
            subject=subject,
            period_note=period_note,
            avg_rating=r["average_rating"],
            n=n,
            neg_pct=neg_pct,
            neg_count=neg_count,
        )
        or fill(t["short"], subject=subject, period_note=period_note, n=n)
        or ""
    ]
    rate, count, total = _share(r["return_rate"])
    lines.append(fill(t["returns"], rate=rate, count=count, n=total) or "")
    trend = r["rating_trend"]
    if trend["months"]:
        slope = trend["slope_per_month"]
        direction = trend["direction"]
        lines.append(
            fill(
                t["trend"],
                direction=word(lang, "directions", direction) if direction else None,
                slope=f"{slope:+.2f}" if isinstance(slope, int | float) else None,
                months=len(trend["months"]),
            )
            or ""
        )
    prev = r["previous_period"]
    if prev and prev["review_count"]:
        lines.append(
            fill(
                t["previous"],
                since=prev["since"],
                until=prev["until"],
                avg_rating=prev["average_rating"],
                n=prev["review_count"],
            )
            or ""
        )
    changes = r["changes"] or {}
    rising = [a for a in changes.get("rising_complaints") or [] if a["change"] > 0.05]
    if rising:
        items = word(lang, "item_sep").join(
            fill(
                t["rising_item"],
                aspect=aspect_name(a["aspect"], lang),
                before=pct(a["share_before"]),
                now=pct(a["share_now"]),
                count=a["count_now"],
                n=a["n_now"],
            )
            or str(aspect_name(a["aspect"], lang))
            for a in rising[:3]
        )
        lines.append(fill(t["rising"], items=items) or "")
    for key, header in (("top_complained", "complained_header"), ("top_praised", "praised_header")):
        aspects = r[key]
        if not aspects:
            continue
        lines.append(t[header])
        for a in aspects[:3]:
            share, count, total = _share(a)
            quote = (a.get("quotes") or [None])[0]
            quote_note = ""
            if quote:
                quote_note = (
                    fill(t["quote"], text=shorten(quote["snippet"]), review_id=quote["review_id"])
                    or ""
                )
            lines.append(
                fill(
                    t["aspect"],
                    aspect=aspect_name(a["aspect"], lang),
                    share=share,
                    count=count,
                    n=total,
                    quote_note=quote_note,
                )
                or ""
            )
    return lines


@formatter(
    "review_sentiment",
    header={"n", "model"},
    item={"text", "label", "score", "aspects_note"},
    aspect={"aspect", "polarity"},
    aspects_note={"aspects"},
)
def _review_sentiment(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    texts = call.args.get("texts") or []
    lines = [fill(t["header"], n=r["n"], model=r["model"]) or ""]
    for i, item in enumerate(r["results"][:MAX_ITEMS]):
        aspects = [
            fill(
                t["aspect"],
                aspect=aspect_name(a.get("aspect"), lang) or a.get("term"),
                polarity=word(lang, "polarity", a.get("polarity")),
            )
            for a in item["aspects"]
        ]
        aspects = [a for a in aspects if a]
        lines.append(
            fill(
                t["item"],
                text=shorten(texts[i] if i < len(texts) else ""),
                label=word(lang, "polarity", item["label"]),
                score=item["score"],
                aspects_note=(
                    fill(t["aspects_note"], aspects=word(lang, "list_sep").join(aspects))
                    if aspects
                    else ""
                ),
            )
            or ""
        )
    return lines


@formatter(
    "customer_profile",
    header={"customer_id", "segment_note", "orders", "returned", "spend", "last_order_note"},
    segment_note={"segment"},
    last_order={"date", "returned_note"},
    last_returned=set(),
    no_orders=set(),
    churn={"risk", "days", "gap_note"},
    churn_short={"risk"},
    gap_note={"days"},
    favourites={"items"},
    favourite={"category", "units"},
    interests={"items"},
    reviews={"count", "negative"},
    review={"text", "rating", "review_id"},
    tickets={"count", "subjects_note"},
    subjects_note={"subjects"},
    action={"text"},
    masked=set(),
    # Languages that word the tool's next best action from its parts (English quotes it).
    actions={kind: {"ticket_id", "review_id", "product", "category"} for kind in ACTION_KINDS},
)
def _customer_profile(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    orders = r["orders"]
    segment = r["segment"]
    last = orders["last_order"]
    if last:
        returned = t["last_returned"] if orders.get("last_order_status") == "returned" else ""
        last_order_note = fill(t["last_order"], date=last, returned_note=returned)
    else:
        last_order_note = t["no_orders"]
    lines = [
        fill(
            t["header"],
            customer_id=r["customer_id"],
            segment_note=(
                fill(t["segment_note"], segment=word(lang, "segments", segment)) if segment else ""
            ),
            orders=orders["total"],
            returned=orders["returned"],
            spend=r["spend"] or 0,
            last_order_note=last_order_note,
        )
        or ""
    ]
    churn = r["churn"]
    if churn["risk"]:
        gap = churn["usual_gap_days"]
        risk = word(lang, "risks", churn["risk"])
        lines.append(
            fill(
                t["churn"],
                risk=risk,
                days=churn["days_since_last_order"],
                gap_note=fill(t["gap_note"], days=fmt(gap)) if gap else "",
            )
            or fill(t["churn_short"], risk=risk)
            or ""
        )
    favourites = r["favourite_categories"]
    if favourites:
        items = word(lang, "list_sep").join(
            fill(t["favourite"], category=category_name(f["category"], lang), units=f["units"])
            or ""
            for f in favourites[:3]
        )
        lines.append(fill(t["favourites"], items=items) or "")
    interests = r["browsing"]["interests_not_bought"]
    if interests:
        shown = [category_name(x, lang) for x in interests[:3]]
        lines.append(fill(t["interests"], items=word(lang, "list_sep").join(shown)) or "")
    reviews = r["reviews"]
    if reviews:
        negative = sum(1 for x in reviews if x["sentiment"] == "negative")
        lines.append(fill(t["reviews"], count=len(reviews), negative=negative) or "")
        for x in reviews[:2]:
            lines.append(
                fill(
                    t["review"],
                    text=shorten(x["text"] or x["title"] or ""),
                    rating=x["rating"] if x["rating"] is not None else "?",
                    review_id=x["review_id"],
                )
                or ""
            )
    tickets = r["open_tickets"]
    subjects = word(lang, "item_sep").join(str(x["subject"]) for x in tickets[:2] if x["subject"])
    lines.append(
        fill(
            t["tickets"],
            count=len(tickets),
            subjects_note=fill(t["subjects_note"], subjects=subjects) if subjects else "",
        )
        or ""
    )
    action = r["next_best_action"]
    text = _action_words(action, t.get("actions"), lang) or action["text"]
    if text:
        lines.append(fill(t["action"], text=text) or "")
    if r["identity_masked"]:
        lines.append(fill(t["masked"]) or "")
    return lines


def audience_words(audience: dict, lang: str = "en") -> str | None:
    """How an audience was built, with its size, in ``lang``'s words (None: keep the
    tool's ``built``, as English does and as results without ``built_parts`` must)."""
    w = spec(lang)["find_customers"].get("built")
    parts = audience.get("built_parts")
    if not w or not isinstance(parts, dict):
        return None
    shown: list[str] = []
    about = parts.get("about")
    if about:
        subject = about.get("product") or fill(
            w["category_subject"], category=category_name(about.get("category"), lang)
        )
        if about.get("aspect"):
            said = fill(
                w["about_aspect"], subject=subject, aspect=aspect_name(about["aspect"], lang)
            )
        else:
            sentiment = word(lang, "sentiment", about.get("sentiment"))
            said = fill(w["about_sentiment"], subject=subject, sentiment=sentiment)
            if about.get("by_stars"):
                said = (said or "") + w["by_stars"]
            if about.get("by_ticket"):
                said = (said or "") + (
                    fill(
                        w["with_tickets"],
                        by_review=about.get("by_review"),
                        by_ticket=about["by_ticket"],
                    )
                    or ""
                )
        shown.append(said or "")
    for key, value in (parts.get("filters") or {}).items():
        if key not in w:
            return None  # a filter this language cannot word: keep the tool's sentence
        values = value if isinstance(value, list) else [value]
        named = word(lang, "list_sep").join(str(value_words(key, v, lang)) for v in values)
        shown.append(fill(w[key], value=named) or "")
    rule = w["sep"].join(x for x in shown if x) or w["every"]
    return fill(w["total"], rule=rule, count=audience.get("count"), of=audience.get("of_customers"))


def action_words(action: dict, lang: str = "en") -> str | None:
    """A customer's next best action in ``lang``'s words (None: keep the tool's text)."""
    return _action_words(action, spec(lang)["customer_profile"].get("actions"), lang)


def _action_words(action: dict, worded: dict | None, lang: str) -> str | None:
    """The next best action in the language's own words, from what it is about; None
    where the tool's text stands (English, or an action this version cannot word)."""
    about = action.get("about")
    if not worded or not isinstance(about, dict):
        return None
    kind = action.get("action")
    if kind == "win_back" and about.get("category"):
        kind = "win_back_category"
    template = worded.get(kind)
    if not template:
        return None
    return fill(
        template,
        ticket_id=about.get("ticket_id"),
        review_id=about.get("review_id"),
        product=about.get("product"),
        category=category_name(about.get("category"), lang),
    )


def _product_list(
    call: Call, head: str | None, rows: list[dict], t: dict, note_of, lang: str
) -> list[str]:
    """The lines of a list of products: a header, then one line per product."""
    shared = spec(lang)["product_list"]
    if not rows:
        note = call.result.get("note") or word(lang, "nothing_found")
        return [fill(shared["none"], head=head or label(call.name, lang), note=note) or ""]
    lines = [head or fill(shared["header"], tool_label=label(call.name, lang)) or ""]
    for row in rows[:MAX_ITEMS]:
        lines.append(
            fill(
                t["item"],
                title=row["title"] or row["product_id"],
                product_id=row["product_id"],
                **note_of(row),
            )
            or fill(shared["item_short"], product_id=row["product_id"])
            or ""
        )
    return lines


def _subject(r: dict, t: dict) -> str:
    if not r["title"]:
        return r["product_id"]
    return fill(t["subject"], title=r["title"], product_id=r["product_id"]) or r["product_id"]


def _reason(t: dict, lang: str = "en"):
    def note(row: dict) -> dict:
        reason = _reason_words(row, t.get("reasons"), lang) or row["reason"]
        return {"reason_note": fill(t["reason_note"], reason=reason) if reason else ""}

    return note


def reason_words(row: dict, lang: str = "en") -> str | None:
    """A recommendation's reason in ``lang``'s words (None: keep the tool's text)."""
    return _reason_words(row, spec(lang)["recommend_for_customer"].get("reasons"), lang)


def _reason_words(row: dict, worded: dict | None, lang: str) -> str | None:
    """A recommendation's reason in the language's own words, from its kind and what it
    names; None where the tool's English stands (English, or a kind not worded)."""
    kind = row.get("reason_kind")
    if not worded or not kind:
        return None
    about = row.get("reason_about") or {}
    if kind in ("best_seller", "popular") and not about.get("category"):
        kind += "_shop"
    template = worded.get(kind)
    if not template:
        return None
    return fill(
        template,
        category=category_name(about.get("category"), lang),
        title=about.get("title"),
        stars=about.get("stars"),
    )


@formatter(
    "recommend_for_customer",
    header={"customer_id", "basis_note"},
    item={"title", "product_id", "reason_note"},
    cold_start=set(),
    reason_note={"reason"},
    # Languages that word the recommender's reasons from their kind (English quotes them).
    reasons={kind: {"category", "title", "stars"} for kind in REASON_KINDS},
)
def _recommend_for_customer(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    head = fill(
        t["header"],
        customer_id=r["customer_id"],
        basis_note=t["cold_start"] if r["cold_start"] else "",
    )
    return _product_list(call, head, r["recommendations"], t, _reason(t, lang), lang)


@formatter(
    "similar_products",
    header={"subject"},
    item={"title", "product_id", "reason_note"},
    subject={"title", "product_id"},
    reason_note={"reason"},
    reasons={kind: {"category", "title", "stars"} for kind in REASON_KINDS},
)
def _similar_products(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    head = fill(t["header"], subject=_subject(r, t))
    return _product_list(call, head, r["similar"], t, _reason(t, lang), lang)


@formatter(
    "bought_together",
    header={"subject", "basket_note"},
    item={"title", "product_id", "together_note"},
    subject={"title", "product_id"},
    basket_note={"n"},
    together_note={"orders", "lift_note"},
    lift_note={"lift"},
)
def _bought_together(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    head = fill(
        t["header"],
        subject=_subject(r, t),
        basket_note=fill(t["basket_note"], n=r["orders_with_product"]) or "",
    )

    def together(row: dict) -> dict:
        lift = fill(t["lift_note"], lift=fmt(row["lift"])) if row["lift"] else ""
        return {
            "together_note": fill(t["together_note"], orders=row["orders_together"], lift_note=lift)
        }

    return _product_list(call, head, r["bought_together"], t, together, lang)


@formatter(
    "find_customers",
    header={"count", "filters_note"},
    item={"customer_id", "item_note"},
    more={"more"},
    filters_note={"filters"},
    filter={"key", "value"},
    extra={"key", "value"},
    item_note={"extras"},
    # Languages that word how an audience was built from its parts (English quotes it).
    built={
        **{key: {"value"} for key in AUDIENCE_FILTERS},
        "every": set(),
        "sep": set(),
        "total": {"rule", "count", "of"},
        "category_subject": {"category"},
        "about_aspect": {"subject", "aspect"},
        "about_sentiment": {"subject", "sentiment"},
        "by_stars": set(),
        "with_tickets": {"by_review", "by_ticket"},
    },
)
def _find_customers(call: Call, t: dict, lang: str = "en") -> list[str]:
    r, args = call.result, call.args
    rows = r["customers"]
    total = r["count"]
    sep = word(lang, "list_sep")
    filters = sep.join(
        fill(t["filter"], key=word(lang, "filter_keys", k), value=str(value_words(k, v, lang)))
        or ""
        for k, v in args.items()
        if k not in ("k",)
    )
    lines = [
        fill(
            t["header"],
            count=total,
            filters_note=fill(t["filters_note"], filters=filters) if filters else "",
        )
        or ""
    ]
    for row in rows[:MAX_ITEMS]:
        extras = [
            fill(
                t["extra"],
                key=word(lang, "fields", key),
                value=fmt(value_words(key, row[key], lang)),
            )
            or ""
            for key in ("segment", "spend", "days_since_last_order", "churn_risk")
            if row[key] not in (None, "")
        ]
        lines.append(
            fill(
                t["item"],
                customer_id=row["customer_id"],
                item_note=fill(t["item_note"], extras=sep.join(extras[:3])) if extras else "",
            )
            or ""
        )
    return lines + more(t["more"], total, min(len(rows), MAX_ITEMS))


@formatter(
    "tickets",
    header={"count", "scope_note", "open", "matched"},
    item={"ticket_id", "status", "opened_at", "age_days", "order_note", "subject", "text"},
    more={"more"},
    about={"key", "value"},
    about_note={"about"},
    query_note={"query"},
    order_status={"status"},
    order_note={"order_id", "status_note"},
    no_subject=set(),
)
def _tickets(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    rows = r["tickets"]
    f = {k: v for k, v in r["filters"].items() if not (k == "status" and v == "any")}
    about = word(lang, "list_sep").join(
        fill(t["about"], key=word(lang, "fields", k.replace("_id", "")), value=v) or ""
        for k, v in f.items()
    )
    query = fill(t["query_note"], query=r["query"]) if r["query"] else ""
    lines = [
        fill(
            t["header"],
            count=len(rows),
            scope_note=(fill(t["about_note"], about=about) if about else "") + (query or ""),
            open=r["open"],
            matched=r["matched"],
        )
        or ""
    ]
    for row in rows[:MAX_ITEMS]:
        order = row["order_id"]
        status = (
            fill(t["order_status"], status=word(lang, "statuses", row["order_status"]))
            if row["order_status"]
            else ""
        )
        lines.append(
            fill(
                t["item"],
                ticket_id=row["ticket_id"],
                status=word(lang, "statuses", row["status"]),
                opened_at=row["opened_at"],
                age_days=row["age_days"],
                order_note=fill(t["order_note"], order_id=order, status_note=status)
                if order
                else "",
                subject=row["subject"] or t["no_subject"],
                text=shorten(row["text"]),
            )
            or ""
        )
    return lines + more(t["more"], r["matched"], min(len(rows), MAX_ITEMS))


@formatter(
    "contact_details",
    header={"customer_id", "name"},
    line={"key", "value"},
    missing={"fields"},
    no_name=set(),
)
def _contact_details(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    lines = [
        fill(t["header"], customer_id=r["customer_id"], name=r.get("name") or t["no_name"]) or ""
    ]
    # The guard drops contact fields for roles that may not see them: show only what is left.
    for key in ("email", "phone", "city", "country"):
        if r.get(key):
            lines.append(fill(t["line"], key=word(lang, "fields", key), value=r[key]) or "")
    if r.get("missing"):
        fields = word(lang, "or").join(str(word(lang, "fields", m)) for m in r["missing"])
        lines.append(fill(t["missing"], fields=fields) or "")
    return lines


@formatter(
    "offer_for_customer",
    header={"customer_id", "segment", "risk", "tickets"},
    item={"rank", "text", "reason", "records"},
    none={"rules"},
)
def _offer_for_customer(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    lines = [
        fill(
            t["header"],
            customer_id=r["customer_id"],
            segment=word(lang, "segments", r["segment"]),
            risk=word(lang, "risks", r["churn_risk"]) if r["churn_risk"] else word(lang, "none"),
            tickets=r["open_tickets"],
        )
        or ""
    ]
    for o in r["options"]:
        records = ", ".join(i for ids in o["evidence"].values() for i in ids[:3]) or word(
            lang, "profile"
        )
        lines.append(
            fill(t["item"], rank=o["rank"], text=o["text"], reason=o["reason"], records=records)
            or ""
        )
    if not r["options"]:
        lines.append(fill(t["none"], rules=r["rules"]) or "")
    return lines


@formatter(
    "segment_overview",
    header={"n", "revenue"},
    item={"segment", "count", "share", "revenue", "revenue_share", "clv_note"},
    clv={"clv"},
)
def _segment_overview(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    lines = [fill(t["header"], n=r["customers"], revenue=r["revenue"]) or ""]
    for row in r["segments"]:
        lines.append(
            fill(
                t["item"],
                segment=word(lang, "segments", row["segment"]),
                count=row["customers"],
                share=pct(row["share_of_customers"]),
                revenue=row["revenue"],
                revenue_share=pct(row["revenue_share"]),
                clv_note=fill(t["clv"], clv=row["average_clv"]) or "",
            )
            or ""
        )
    return lines


@formatter(
    "sales_metrics",
    header={"metric_label", "scope", "group_note", "n_note"},
    total={"metric_label", "scope", "value", "n_note"},
    item={"key", "value", "n_item"},
    more={"more"},
    n_note={"n"},
    group_note={"group"},
    no_data={"metric_label", "scope"},
)
def _sales_metrics(call: Call, t: dict, lang: str = "en") -> list[str]:
    r, args = call.result, call.args
    metric = r["metric"]
    metric_label = metric_name(metric, lang)
    # Shown as a percentage; the result itself keeps the number.
    shown_value = pct if metric == "return_rate" else (lambda v: v)
    rows = r["rows"]
    n = r["n"]
    n_note = fill(t["n_note"], n=n) if isinstance(n, int) else ""
    group = r["group_by"]
    where = scope(args, r, lang)
    if not rows:
        return [
            fill(
                t["total"],
                metric_label=metric_label,
                scope=where,
                value=shown_value(r["total"]),
                n_note=n_note,
            )
            or fill(t["no_data"], metric_label=metric_label, scope=where)
            or ""
        ]
    lines = [
        fill(
            t["header"],
            metric_label=metric_label,
            scope=where,
            group_note=fill(t["group_note"], group=word(lang, "fields", group)) if group else "",
            n_note=n_note,
        )
        or ""
    ]
    shown = (
        rows if len(rows) <= 12 else rows[-12:] if group in ("month", "week") else rows[:MAX_ITEMS]
    )
    for row in shown:
        key = row["group"]
        if group in ("month", "week"):
            key = str(key)[:10]
        elif group == "category":
            key = category_name(key, lang)
        lines.append(
            fill(
                t["item"],
                key=key,
                value=shown_value(row["value"]),
                n_item=fill(t["n_note"], n=f"{row['n']:,}"),
            )
            or ""
        )
    return lines + more(t["more"], len(rows), len(shown))


def metric_name(name: str, lang: str = "en") -> str:
    """A metric id as an answer names it ("return_rate" -> "Return rate" / "退货率")."""
    named = word(lang, "metrics", name)
    if named != name:
        return named
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


@formatter(
    "find_product",
    header={"query"},
    item={"title", "product_id", "category", "confidence"},
    item_short={"title", "product_id"},
    categories={"categories"},
)
def _find_product(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    lines = [fill(t["header"], query=r["query"]) or ""]
    for c in r["candidates"][:MAX_ITEMS]:
        lines.append(
            fill(
                t["item"],
                title=c["title"],
                product_id=c["product_id"],
                category=category_name(c["category"], lang),
                confidence=c["confidence"],
            )
            or fill(t["item_short"], title=c["title"], product_id=c["product_id"])
            or ""
        )
    cats = word(lang, "list_sep").join(category_name(c["category"], lang) for c in r["categories"])
    lines.append(fill(t["categories"], categories=cats) or "")
    return lines


# -- analyst answers (analyze, compare_products) ----------------------------------------
def analyst_value(value: Any, unit: str) -> str | None:
    """A metric value for people: rates as percentages, ratings with two decimals."""
    if value is None:
        return None
    if unit == "rate":
        return f"{float(value) * 100:.1f}%"
    if unit == "rating":
        return f"{float(value):.2f}"
    if unit == "count" and float(value) == int(value):
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def _signed(value: Any, unit: str, t: dict) -> str | None:
    if value is None:
        return None
    if unit == "rate":
        return fill(t["points"], value=f"{float(value) * 100:+.1f}")
    if unit == "rating":
        return f"{float(value):+.2f}"
    if unit == "count" and float(value) == int(value):
        return f"{int(value):+,}"
    return f"{float(value):+,.2f}"


def _relative(value: Any) -> str | None:
    return None if value is None else f"{float(value) * 100:+.0f}%"


def _detail(row: dict, unit: str, t: dict, lang: str) -> str:
    """The figures behind a value: n, the interval of a rate, the change."""
    parts = [fill(t["n"], n=row.get("n"))]
    ci = row.get("ci")
    if ci and unit == "rate":
        parts.append(
            fill(t["interval"], lo=analyst_value(ci[0], unit), hi=analyst_value(ci[1], unit))
        )
    if row.get("previous") is not None or row.get("change") is not None:
        parts.append(
            fill(
                t["change"],
                previous=analyst_value(row.get("previous"), unit) or word(lang, "no_data"),
                previous_n=row.get("previous_n") if row.get("previous_n") is not None else 0,
                change=_signed(row.get("change"), unit, t) or word(lang, "n_a"),
                relative=_relative(row.get("relative_change")) or word(lang, "no_earlier"),
            )
        )
    parts = [p for p in parts if p]
    return fill(t["detail"], parts=word(lang, "item_sep").join(parts)) or "" if parts else ""


def read_as(r: dict, t: dict) -> str:
    interpretation = str(r.get("interpretation") or "").strip().rstrip(".")
    return fill(t["read_as"], interpretation=interpretation) or ""


@formatter(
    "analyze",
    read_as={"interpretation"},
    total={"metric_label", "value", "detail"},
    whole={"value", "detail"},
    item={"rank", "label", "value", "detail"},
    n={"n"},
    interval={"lo", "hi"},
    change={"previous", "previous_n", "change", "relative"},
    points={"value"},
    detail={"parts"},
    note={"note"},
    empty={"metric_label"},
    evidence={"ids"},
    # Languages that word the tool's reading from its parts (assistant/planner/analyst_reading.py).
    reading={
        **{head: {"metric", "dims", "count", "units"} for head in READING_HEADS},
        "sep": set(),
        "period": {"since", "until"},
        "no_period": set(),
        "compare": {"since", "until"},
        "filter": {"key", "values"},
        "only": {"key"},
        "excluded": {"key"},
        "min_n": {"n", "counts"},
        "aspect_metric": {"metric", "aspects"},
        "each_aspect": {"metric"},
        "week_of": {"date"},
        "row_yes": {"key"},
        "row_no": {"key"},
        "left_out": {"count", "units", "n", "counts"},
        "shown": {"of", "units", "shown"},
        "segments": set(),
        "no_records": set(),
    },
)
def _analyze(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = dict(call.result)
    unit = r["unit"]
    worded = analyze_reading(r, t.get("reading"), lang)
    if worded:
        r["interpretation"], r["notes"] = worded
        r["metric_label"] = metric_words(r, t["reading"], lang)
    elif not r["metric"].startswith("aspect_"):
        # The plain metrics are named in the answer's language; an aspect metric's label
        # names its aspects too, and is shown as the tool words it.
        named = word(lang, "metrics", r["metric"])
        r["metric_label"] = named if named != r["metric"] else r["metric_label"]
    lines = [read_as(r, t)]
    total = r.get("total") or {}
    rows = r["rows"]
    if not r["by"]:
        value = analyst_value(total.get("value"), unit)
        lines.append(
            fill(
                t["total"],
                metric_label=r["metric_label"],
                value=value,
                detail=_detail(total, unit, t, lang),
            )
            or fill(t["empty"], metric_label=r["metric_label"])
            or ""
        )
    elif not rows:
        lines.append(fill(t["empty"], metric_label=r["metric_label"]) or "")
    else:
        for i, row in enumerate(rows, 1):
            lines.append(
                fill(
                    t["item"],
                    rank=i,
                    label=row_label_words(row, r["by"], t.get("reading"), lang)
                    or _row_label(row["label"], r["by"], lang),
                    value=analyst_value(row.get("value"), unit) or word(lang, "no_data"),
                    detail=_detail(row, unit, t, lang),
                )
                or ""
            )
        lines.append(
            fill(
                t["whole"],
                value=analyst_value(total.get("value"), unit),
                detail=_detail(total, unit, t, lang),
            )
            or ""
        )
    lines += [fill(t["note"], note=note) or "" for note in r.get("notes") or []]
    ids = list(dict.fromkeys(i for row in rows[:3] for i in (row.get("evidence") or [])[:1]))
    if ids:
        lines.append(fill(t["evidence"], ids=", ".join(ids)) or "")
    return lines


def _row_label(text: Any, by: list[str], lang: str) -> Any:
    """A ranked row's label; a row of categories or aspects named in the answer's language."""
    if by == ["category"]:
        return category_name(text, lang)
    if by == ["aspect"]:
        return aspect_name(text, lang)
    if by == ["segment"]:
        return word(lang, "segments", text)
    return text


def _unit_of(name: str, cell: dict) -> str:
    if cell.get("ci") is not None or name.endswith(("_rate", "_share")):
        return "rate"
    if name == "average_rating":
        return "rating"
    if name in ("revenue", "average_order_value"):
        return "currency"
    return "count"


@formatter(
    "compare_products",
    read_as={"interpretation"},
    header={"products"},
    metric={"metric_label", "cells"},
    cell={"title", "value", "n"},
    aspects={"products"},
    aspect={"aspect", "cells"},
    aspect_cell={"title", "praise", "complaints", "n"},
    product={"title", "product_id"},
    reading={"products", "metrics", "since", "until"},
)
def _compare_products(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    products = r["products"]
    short = {
        p["product_id"]: fill(t["product"], title=p["title"], product_id=p["product_id"]) or ""
        for p in products
    }
    worded = compare_reading(r, t, lang)
    lines = [
        read_as({"interpretation": worded} if worded else r, t),
        fill(t["header"], products=" | ".join(short.values())) or "",
    ]
    for metric in r["metrics"]:
        cells = []
        for p in products:
            cell = (p.get("values") or {}).get(metric) or {}
            unit = _unit_of(metric, cell)
            cells.append(
                fill(
                    t["cell"],
                    title=p["product_id"],
                    value=analyst_value(cell.get("value"), unit) or word(lang, "no_data"),
                    n=cell.get("n", 0),
                )
                or ""
            )
        lines.append(
            fill(t["metric"], metric_label=metric_name(metric, lang), cells=" | ".join(cells)) or ""
        )
    aspects = r.get("aspects") or []
    if aspects:
        lines.append(fill(t["aspects"], products=" | ".join(short.values())) or "")
    for entry in aspects[:MAX_ITEMS]:
        per = _per_product(entry)
        cells = []
        for p in products:
            d = per.get(p["product_id"]) or {}
            cells.append(
                fill(
                    t["aspect_cell"],
                    title=p["product_id"],
                    praise=analyst_value(_first_key(d, "praise_share", "praise"), "rate")
                    or word(lang, "n_a"),
                    complaints=analyst_value(_first_key(d, "complaint_share", "complaints"), "rate")
                    or word(lang, "n_a"),
                    n=_first_key(d, "n") or 0,
                )
                or ""
            )
        aspect = str(entry.get("aspect", ""))
        lines.append(
            fill(
                t["aspect"],
                aspect=_aspect_words(aspect, lang),
                cells=" | ".join(cells),
            )
            or ""
        )
    return lines


def _aspect_words(aspect: str, lang: str) -> str:
    return aspect_name(aspect, lang) if lang == "zh" else aspect.replace("_", " ")


def _first_key(d: dict, *keys: str) -> Any:
    return next((d[k] for k in keys if d.get(k) is not None), None)


def _per_product(entry: dict) -> dict[str, dict]:
    """An aspect entry's figures per product id, whichever key holds them."""
    for key, value in entry.items():
        if key == "aspect":
            continue
        if isinstance(value, dict) and all(isinstance(x, dict) for x in value.values()):
            return value
        if isinstance(value, list) and all(isinstance(x, dict) for x in value):
            return {str(x.get("product_id")): x for x in value}
    return {}


def generic(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    texts = spec(lang)["generic"]
    lines = [fill(texts["header"], tool_label=label(call.name, lang)) or ""]
    for key, value in r.items():
        if key != "evidence" and isinstance(value, int | float | str) and len(lines) < 8:
            lines.append(fill(texts["field"], key=key, value=value) or "")
    return lines


# -- digest (what changed, tools/digest.py) ---------------------------------------------------
def _digest_figures(item: dict, t: dict) -> str:
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        ci = now["ci"]
        interval = fill(t["interval"], lo=pct(ci[0]), hi=pct(ci[1])) if ci else ""
        return (
            fill(
                t["share_figures"],
                now=pct(now["value"]),
                n=now["n"],
                interval=interval,
                before=pct(before["value"]),
                before_n=before["n"],
            )
            or ""
        )
    return (
        fill(
            t["value_figures"],
            now=fmt(now["value"]),
            n=now["n"],
            before=fmt(before["value"]),
            before_n=before["n"],
        )
        or ""
    )


def _digest_record(record: dict) -> str:
    for key in ("review_id", "order_id", "ticket_id", "customer_id"):
        if key in record:
            return str(record[key])
    return ""


@formatter(
    "digest",
    header={"since", "until", "compare_since", "compare_until"},
    item={"rank", "title", "figures", "since_note", "records", "action"},
    also={"line"},
    none={"tested"},
    read_as={"interpretation"},
    share_figures={"now", "n", "interval", "before", "before_n"},
    value_figures={"now", "n", "before", "before_n"},
    interval={"lo", "hi"},
    since_note={"since"},
    # Languages that word the digest's reading from its periods and each item's title
    # from its kind and where it happened (English quotes the tool).
    reading={"since", "until", "days", "compare_since", "compare_until", "tested"},
    titles={kind: {"where", "aspect", "count"} for kind in DIGEST_TITLES},
    also_lines={
        "top_complaint": {"aspect", "hits", "n", "share", "before_hits", "before_n"},
        "figures": {"where", "now", "n", "before", "before_n"},
        "orders_from": {"since"},
        "item_share": {"title", "now", "n", "lo", "hi", "before", "before_n"},
        "item_value": {"title", "now", "n", "before", "before_n"},
        "moved": {"moved_in", "moved_out"},
        "still_open": {"open", "now"},
    },
)
def _digest(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    lines = [
        fill(
            t["header"],
            since=r["since"],
            until=r["until"],
            compare_since=r["compare_since"],
            compare_until=r["compare_until"],
        )
        or ""
    ]
    if not r["items"]:
        lines.append(fill(t["none"], tested=sum(r["tested"].values())) or "")
    for rank, item in enumerate(r["items"], 1):
        records = ", ".join(filter(None, (_digest_record(e) for e in item["evidence"][:3])))
        lines.append(
            fill(
                t["item"],
                rank=rank,
                title=_digest_title(item, t.get("titles"), lang) or item["title"],
                figures=_digest_figures(item, t),
                since_note=fill(t["since_note"], since=item["since"]) if item["since"] else "",
                records=records or word(lang, "none"),
                action=(item.get("actions") or {}).get(lang) or item["action"],
            )
            or ""
        )
        also = also_words(item, lang) or item["also"]
        lines += [fill(t["also"], line=line) or "" for line in also]
    reading = _digest_reading(r, t.get("reading")) or r["interpretation"]
    lines.append(fill(t["read_as"], interpretation=reading) or "")
    return lines


def also_words(item: dict, lang: str = "en") -> list[str] | None:
    """A digest item's "also" lines in ``lang``'s words, from their parts; None where the
    tool's lines stand (English, a result without parts, or a part not worded)."""
    w = spec(lang)["digest"].get("also_lines")
    parts = item.get("also_parts")
    if not w or not isinstance(parts, list) or len(parts) != len(item.get("also") or []):
        return None
    out = []
    for p in parts:
        line = _also_line(p, w, lang)
        if not line:
            return None
        if p.get("orders_from"):
            line += fill(w["orders_from"], since=p["orders_from"]) or ""
        out.append(line)
    return out


def _pct1(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}%"


def _also_line(p: dict, w: dict, lang: str) -> str | None:
    kind = p.get("kind")
    if kind == "top_complaint":
        return fill(
            w["top_complaint"],
            aspect=aspect_name(p["aspect"], lang),
            hits=p["hits"],
            n=p["n"],
            share=_pct1(p["share"]),
            before_hits=p["before_hits"],
            before_n=p["before_n"],
        )
    if kind == "figures":
        where = category_name(p["where"], lang) if p.get("level") == "category" else p["where"]
        return fill(
            w["figures"],
            where=where,
            now=_pct1(p["share"]),
            n=p["n"],
            before=_pct1(p["before_share"]),
            before_n=p["before_n"],
        )
    if kind == "item":
        it = p["item"]
        title = _digest_title(it, spec(lang)["digest"].get("titles"), lang) or it["title"]
        now, before = it["now"], it["before"]
        if now.get("hits") is None:
            return fill(
                w["item_value"],
                title=title,
                now=now["value"],
                n=now["n"],
                before=before["value"],
                before_n=before["n"],
            )
        if not now.get("ci"):
            return title
        return fill(
            w["item_share"],
            title=title,
            now=_pct1(now["value"]),
            n=now["n"],
            lo=_pct1(now["ci"][0]),
            hi=_pct1(now["ci"][1]),
            before=_pct1(before["value"]),
            before_n=before["n"],
        )
    if kind == "moved":
        return fill(w["moved"], moved_in=p["moved_in"], moved_out=p["moved_out"])
    if kind == "still_open":
        return fill(w["still_open"], open=p["open"], now=p["now"])
    return None


def digest_title(item: dict, lang: str = "en") -> str | None:
    """A digest item's title in ``lang``'s words (None: keep the tool's title)."""
    return _digest_title(item, spec(lang)["digest"].get("titles"), lang)


def _digest_title(item: dict, worded: dict | None, lang: str) -> str | None:
    """An item's title in the language's own words; None where the tool's stands."""
    kind = item.get("kind")
    if not worded or not kind:
        return None
    where = item.get("where") or {}
    label = where.get("label")
    if kind == "segment_shift":
        kind = "segment_grew" if (item.get("change") or 0) > 0 else "segment_shrank"
        label = word(lang, "segments", label)
    elif where.get("level") == "category":
        label = category_name(label, lang)
    template = worded.get(kind)
    if not template:
        return None
    return fill(
        template,
        where=label,
        aspect=aspect_name(item.get("aspect"), lang),
        count=(item.get("now") or {}).get("n"),
    )


def _digest_reading(r: dict, template: str | None) -> str | None:
    if not template:
        return None
    try:
        days = (date.fromisoformat(r["until"]) - date.fromisoformat(r["since"])).days + 1
    except (KeyError, TypeError, ValueError):
        return None
    return fill(
        template,
        since=r["since"],
        until=r["until"],
        days=days,
        compare_since=r.get("compare_since"),
        compare_until=r.get("compare_until"),
        tested=sum((r.get("tested") or {}).values()),
    )


# Formatters and answer texts kept in their own modules declare themselves on import.
from assistant.planner import campaign as _campaign  # noqa: E402, F401
from assistant.planner import compose as _compose  # noqa: E402, F401
