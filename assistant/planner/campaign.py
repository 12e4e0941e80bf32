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
from assistant.planner.render import aspect_name, fill, pct, shorten, word
from assistant.planner.thread import Call

DRAFT = "campaign.yaml"
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
templates.declare(
    DRAFT,
    {
        "subject_offer": _DRAFT_NAMES,
        "subject_plain": _DRAFT_NAMES,
        "body_offer": _DRAFT_NAMES,
        "body_plain": _DRAFT_NAMES,
        "no_praise": _DRAFT_NAMES,
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
    bought = ", ".join(
        f"{p['title']} ({p['product_id']}, {p['buyers']} buyers, last {p['last_bought']})"
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
    scope = _scope(r)
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
    featured = ", ".join(_product(f) for f in r["featured"])
    lines.append(fill(t["featured"], products=featured or None))
    held = ", ".join(f"{h['title']} ({h['product_id']}: {h['reason']})" for h in r["held_back"][:3])
    lines.append(fill(t["held_back"], products=held or None))
    if a["count"]:
        subject, body = draft(r)
        lines += ["", t["draft"], fill(t["subject"], subject=subject) or "", "", body]
    return [line for line in lines if line is not None]


def _product(f: dict) -> str:
    price = f" at {f['price']:.2f}" if isinstance(f.get("price"), int | float) else ""
    return f"{f['title']} ({f['product_id']}{price})"


def _scope(r: dict) -> str:
    scope = r.get("praise_scope") or {}
    if scope.get("product_id"):
        featured = {f["product_id"]: f["title"] for f in r["bought"]["products"]}
        return featured.get(scope["product_id"], scope["product_id"])
    return scope.get("category") or "our range"


def draft(r: dict) -> tuple[str, str]:
    """(subject, body) of the email, filled from the brief's own numbers and quotes."""
    texts = templates.load(DRAFT)
    offer = r.get("offer_percent")
    top = r["praise"][0] if r["praise"] else None
    quote = top["quotes"][0] if top and top["quotes"] else None
    values = {
        "offer": f"{offer:g}% off" if offer else "",
        "scope": _scope(r),
        "aspect": top["aspect"].replace("_", " ") if top else "",
        "share": pct(top["share"]) if top else "",
        "quote": shorten(quote["snippet"]) if quote else "",
        "review_id": quote["review_id"] if quote else "",
        "products": ", ".join(f["title"] for f in r["featured"]) or "our best sellers",
        "first_product": r["featured"][0]["title"] if r["featured"] else "our best sellers",
    }
    kind = "offer" if offer else "plain"
    if quote is None:
        subject = templates.fill_all(
            texts["subject_plain"], where=DRAFT, **{**values, "aspect": "range"}
        )
        return subject.strip(), templates.fill_all(texts["no_praise"], where=DRAFT, **values)
    subject = templates.fill_all(texts[f"subject_{kind}"], where=DRAFT, **values)
    body = templates.fill_all(texts[f"body_{kind}"], where=DRAFT, **values)
    return subject.strip(), body
