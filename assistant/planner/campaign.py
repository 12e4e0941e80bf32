"""The answer to a campaign_brief call: the brief in lines (prompts/answers.yaml) and a
draft email filled from the same result by the templates of prompts/campaign.yaml.

The draft uses only the result's own figures, quotes (with their review ids) and
product titles, so the faithfulness check finds every number and quote in the tool
result. A remote model writes its own copy from the same result (see
assistant/guard.py); this is the offline planner's.
"""

from __future__ import annotations

from assistant import templates
from assistant.planner.formatters import audience_words, formatter
from assistant.planner.language import question_language
from assistant.planner.render import aspect_name, fill, pct, shorten, word
from assistant.planner.thread import Call

DRAFT = "campaign.yaml"
# The email is written in the language of the shop's catalogue (its customers read it),
# whatever the language of the question that asked for it.
DRAFTS = {"en": DRAFT, "zh": "campaign.zh.yaml"}
_DRAFT_NAMES = {
    "offer",
    "scope",
    "aspect",
    "share",
    "quote",
    "review_id",
    "products",
    "first_product",
}
for _name in DRAFTS.values():
    templates.declare(
        _name,
        {
            "subject_offer": _DRAFT_NAMES,
            "subject_plain": _DRAFT_NAMES,
            "body_offer": _DRAFT_NAMES,
            "body_plain": _DRAFT_NAMES,
            "no_praise": _DRAFT_NAMES,
            "offer": {"percent"},
            "our_range": set(),
            "best_sellers": set(),
            "range": set(),
        },
    )


@formatter(
    "campaign_brief",
    audience={"count", "of_customers", "built", "segments"},
    bought={"products", "first", "last"},
    praise_header={"scope"},
    praise={"aspect", "count", "n", "share", "quote", "review_id"},
    featured={"products"},
    held_back={"products"},
    draft=set(),
    subject={"subject"},
    bought_item={"title", "product_id", "buyers", "last"},
    featured_item={"title", "product_id", "price"},
    featured_item_no_price={"title", "product_id"},
    held_item={"title", "product_id", "reason"},
    # Languages that word the held-back reasons from their parts (English quotes the tool).
    held_reasons={
        "window": {"days", "parts"},
        "negative": {"share", "count", "n"},
        "returns": {"share", "count", "n"},
        "sep": set(),
    },
)
def campaign_answer(call: Call, t: dict, lang: str = "en") -> list[str]:
    r = call.result
    a, b = r["audience"], r["bought"]
    segments = word(lang, "list_sep").join(
        f"{word(lang, 'segments', k)} {v}" for k, v in a["segments"].items()
    ) or word(lang, "none")
    lines = [
        fill(
            t["audience"],
            count=a["count"],
            of_customers=a["of_customers"],
            built=audience_words(a, lang) or a["built"],
            segments=segments,
        )
    ]
    sep = word(lang, "list_sep")
    bought = sep.join(
        fill(
            t["bought_item"],
            title=p["title"],
            product_id=p["product_id"],
            buyers=p["buyers"],
            last=p["last_bought"],
        )
        or ""
        for p in b["products"]
    )
    lines.append(
        fill(
            t["bought"],
            products=bought or None,
            first=b["last_order_from"],
            last=b["last_order_to"],
        )
    )
    scope = _scope(r, word(lang, "our_range"))
    if r["praise"]:
        lines.append(fill(t["praise_header"], scope=scope))
        for p in r["praise"]:
            q = p["quotes"][0] if p["quotes"] else None
            lines.append(
                fill(
                    t["praise"],
                    aspect=aspect_name(p["aspect"], lang)
                    if lang != "en"
                    else p["aspect"].replace("_", " "),
                    count=p["count"],
                    n=p["n"],
                    share=pct(p["share"]),
                    quote=shorten(q["snippet"]) if q else None,
                    review_id=q["review_id"] if q else None,
                )
            )
    featured = sep.join(_product(f, t) for f in r["featured"])
    lines.append(fill(t["featured"], products=featured or None))
    held = sep.join(
        fill(
            t["held_item"],
            title=h["title"],
            product_id=h["product_id"],
            reason=_held_words(h.get("reason_parts"), t.get("held_reasons")) or h["reason"],
        )
        or ""
        for h in r["held_back"][:3]
    )
    lines.append(fill(t["held_back"], products=held or None))
    if a["count"]:
        subject, body = draft(r)
        lines += ["", t["draft"], fill(t["subject"], subject=subject) or "", "", body]
    return [line for line in lines if line is not None]


def _held_words(why: dict | None, w: dict | None) -> str | None:
    """Why a product is held back, in the language's words (None: keep the tool's)."""
    if not w or not isinstance(why, dict) or "days" not in why:
        return None
    parts = [
        fill(w[key], share=f"{why[key]['share']:.0%}", count=why[key]["count"], n=why[key]["n"])
        for key in ("negative", "returns")
        if why.get(key)
    ]
    return fill(w["window"], days=why["days"], parts=w["sep"].join(p for p in parts if p))


def _product(f: dict, t: dict) -> str:
    if isinstance(f.get("price"), int | float):
        price = f"{f['price']:.2f}"
        return fill(t["featured_item"], title=f["title"], product_id=f["product_id"], price=price)
    return fill(t["featured_item_no_price"], title=f["title"], product_id=f["product_id"])


def _scope(r: dict, our_range: str = "our range") -> str:
    scope = r.get("praise_scope") or {}
    if scope.get("product_id"):
        featured = {f["product_id"]: f["title"] for f in r["bought"]["products"]}
        return featured.get(scope["product_id"], scope["product_id"])
    return scope.get("category") or our_range


def catalogue_language(r: dict) -> str:
    """The language the shop writes its catalogue in, read from the brief's own product
    titles and category: the language its customers get the email in."""
    scope = r.get("praise_scope") or {}
    names = [p["title"] for p in r["bought"]["products"]] + [f["title"] for f in r["featured"]]
    names.append(scope.get("category") or "")
    return question_language(" ".join(str(n) for n in names if n))


def draft(r: dict) -> tuple[str, str]:
    """(subject, body) of the email, filled from the brief's own numbers and quotes, in
    the catalogue's language."""
    lang = catalogue_language(r)
    name = DRAFTS.get(lang, DRAFT)
    texts = templates.load(name)
    offer = r.get("offer_percent")
    top = r["praise"][0] if r["praise"] else None
    quote = top["quotes"][0] if top and top["quotes"] else None
    best = texts["best_sellers"]
    aspect = top["aspect"] if top else ""
    values = {
        "offer": texts["offer"].format(percent=f"{offer:g}") if offer else "",
        "scope": _scope(r, texts["our_range"]),
        "aspect": aspect_name(aspect, lang) if lang != "en" else aspect.replace("_", " "),
        "share": pct(top["share"]) if top else "",
        "quote": shorten(quote["snippet"]) if quote else "",
        "review_id": quote["review_id"] if quote else "",
        "products": word(lang, "list_sep").join(f["title"] for f in r["featured"]) or best,
        "first_product": r["featured"][0]["title"] if r["featured"] else best,
    }
    kind = "offer" if offer else "plain"
    if quote is None:
        subject = templates.fill_all(
            texts["subject_plain"], where=name, **{**values, "aspect": texts["range"]}
        )
        return subject.strip(), templates.fill_all(texts["no_praise"], where=name, **values)
    subject = templates.fill_all(texts[f"subject_{kind}"], where=name, **values)
    body = templates.fill_all(texts[f"body_{kind}"], where=name, **values)
    return subject.strip(), body
