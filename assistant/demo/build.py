"""The demo shop: a seeded, realistic dataset written as canonical files.

``generate_demo_files(source_dir, seed, scale)`` writes CSV/JSONL and returns the
manifest of what was planted (defects, PII, hostile reviews, a rare token, browsers)
so tests and evaluations can check the assistant finds them. Same seed, same bytes.
``lang="zh"`` tells the same shop in Chinese (see ``assistant.demo.zh``): a
``Locale`` words everything people read, the simulation underneath is shared.
This package only generates: loading the files into a workspace, clearing an earlier
demo and rebuilding derived data is the pipeline's job (``assistant.pipeline.build_demo``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd

from assistant.demo.activity import (
    browser_events,
    pick_browsers,
    simulate_events,
    simulate_reviews,
)
from assistant.demo.catalog import (
    CATEGORIES,
    CATEGORY_BY_NAME,
    DEFECTS,
    build_catalog,
)
from assistant.demo.columns import ids as _ids
from assistant.demo.columns import money as _money
from assistant.demo.columns import timestamps as _ts
from assistant.demo.locale import locale_for
from assistant.demo.sales import (
    DAY,
    N_DAYS,
    day_index,
    product_popularity,
    simulate_shop,
)
from assistant.demo.support import SIZE_FIT_RETURNS, make_tickets
from assistant.errors import UserError

SOURCE_DIR = "demo_source"
MANIFEST = "demo_manifest.json"
EVENT_TYPES = np.array(["view", "cart", "wishlist", "search"])
STATUSES = np.array(["completed", "returned", "cancelled"])


def _streams(seed: int):
    """Independent generators per stage, so changing one stage leaves the others' draws alone."""
    seqs = np.random.SeedSequence(seed).spawn(6)
    return [np.random.Generator(np.random.PCG64(s)) for s in seqs]


def generate_demo_files(
    source_dir: Path, seed: int = 7, scale: float = 1.0, lang: str = "en"
) -> dict:
    """Write the canonical files; return the manifest (without row counts)."""
    if not (isinstance(scale, int | float) and 0.01 <= scale <= 200):
        raise UserError(f"demo scale must be between 0.01 and 200, got {scale!r}")
    loc = locale_for(lang)
    rnd = random.Random(seed)
    g_cat, g_cust, g_shop, g_rev, g_evt, g_tkt = _streams(seed)
    source_dir.mkdir(parents=True, exist_ok=True)

    # -- catalogue
    n_products = max(60, int(round(300 * scale**0.5)))
    catalog = build_catalog(random.Random(seed * 7919 + 1), n_products)
    n_p = len(catalog)
    pid = _ids("P", n_p, 4)
    cat_names = [c.name for c in CATEGORIES]
    product_cat = np.array([cat_names.index(p.category) for p in catalog])
    price = loc.prices(catalog)
    planted = [i for d in DEFECTS for i, p in enumerate(catalog) if p.defect == d.key]
    popularity = product_popularity(g_cat, n_p, planted)
    defect_since = np.full(n_p, N_DAYS + 1)
    for i, p in enumerate(catalog):
        if p.defect:
            defect_since[i] = day_index(next(d.since for d in DEFECTS if d.key == p.defect))
    return_p = np.array([0.018 + SIZE_FIT_RETURNS.get(p.category, 0.0) for p in catalog])
    quality = np.clip(g_cat.normal(4.2, 0.35, n_p), 3.0, 4.8)
    quality[planted] = 4.4  # best-sellers were liked before their defect appeared
    created = g_cat.integers(-400 * DAY, -10 * DAY, n_p)
    words = loc.products(catalog, seed)
    products = pd.DataFrame(
        {
            "product_id": pid,
            "title": words["title"],
            "brand": words["brand"],
            "category": [loc.category(p.category) for p in catalog],
            "price": _money(price),
            "currency": loc.currency,
            "description": words["description"],
            "created_at": _ts(created),
        }
    )

    # -- customers and orders
    n_c = max(50, int(round(4000 * scale)))
    shop = simulate_shop(
        g_shop, n_c, product_cat, price, popularity, return_p, defect_since, len(CATEGORIES)
    )
    cid = _ids("C", n_c, 5)
    people = loc.customers(g_cust, n_c)
    customers = pd.DataFrame({"customer_id": cid, **people, "signup_at": _ts(shop.signup)})
    customers = customers[
        ["customer_id", "name", "email", "phone", "country", "city", "signup_at", "channel"]
    ]
    n_o = len(shop.order_cust)
    oid = _ids("O", n_o, 6)
    orders = pd.DataFrame(
        {
            "order_id": oid,
            "customer_id": cid[shop.order_cust],
            "ordered_at": _ts(shop.order_at),
            "status": STATUSES[shop.order_status],
            "total": _money(shop.order_total),
        }
    )
    items = pd.DataFrame(
        {
            "order_id": oid[shop.line_order],
            "product_id": pid[shop.line_product],
            "quantity": shop.line_qty,
            "unit_price": _money(shop.line_price),
        }
    )

    # -- reviews, with planted defects, contact details, hostile text and a rare token
    reviews, planted = _reviews(
        loc, g_rev, rnd, shop, catalog, quality, defect_since, people, pid, cid
    )
    n_r = len(reviews)

    # -- events, with planted browsers
    events, browser_manifest = _events(loc, g_evt, shop, catalog, popularity, pid, cid, scale)

    # -- tickets: more likely after returns and defects
    tickets, pii_tickets = make_tickets(
        g_tkt, rnd, shop, catalog, defect_since, oid, cid, people["phone"], scale, loc.ticket_writer
    )

    tables = {
        "products": products,
        "customers": customers,
        "orders": orders,
        "order_items": items,
        "events": events,
        "tickets": tickets,
    }
    for name, frame in tables.items():
        frame.to_csv(source_dir / f"{name}.csv", index=False, lineterminator="\n")
    # A demo of the other language left its reviews in another format: they must not load too.
    for stale in ("reviews.jsonl", "reviews.csv"):
        (source_dir / stale).unlink(missing_ok=True)
    if loc.reviews_file.endswith(".csv"):
        verified = reviews["verified"].map({True: "true", False: "false"})
        reviews.assign(verified=verified).to_csv(
            source_dir / loc.reviews_file, index=False, lineterminator="\n"
        )
    else:
        _write_jsonl(reviews, source_dir / loc.reviews_file)

    defects = []
    for d in DEFECTS:
        idx = next(i for i, p in enumerate(catalog) if p.defect == d.key)
        defects.append(
            {
                "product_id": pid[idx],
                **loc.defect(d, catalog[idx]),
                "aspect": d.aspect,
                "since": d.since,
                "review_ids": planted["defects"][d.key],
            }
        )
    counts = {name: len(frame) for name, frame in tables.items()}
    counts["reviews"] = n_r
    return {
        "seed": seed,
        "scale": scale,
        "categories": [loc.category(n) for n in cat_names],
        "currency": loc.currency,
        "defects": defects,
        "pii_review_ids": planted["pii"],
        "hostile_review_ids": planted["hostile"],
        "rare_token": {"token": loc.rare_token, "review_id": planted["rare"]},
        "browsers": browser_manifest,
        "pii_customers": planted["pii_customers"],
        "pii_ticket_ids": pii_tickets,
        "row_counts": counts,
        **loc.manifest_extra(planted),
    }


def _write_jsonl(reviews: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in reviews.itertuples(index=False):
            rec = {
                "review_id": row.review_id,
                "product_id": row.product_id,
                "customer_id": row.customer_id,
                "rating": int(row.rating),
                "title": row.title,
                "text": row.text,
                "created_at": row.created_at,
                "verified": bool(row.verified),
                "helpful_votes": int(row.helpful_votes),
                "language": row.language,
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _reviews(loc, g_rev, rnd, shop, catalog, quality, defect_since, people, pid, cid):
    """The reviews table and the ids of what was planted in it."""
    rv = simulate_reviews(g_rev, shop, quality, defect_since, review_rate=0.16)
    n_r = len(rv["line"])
    rid = _ids("R", n_r, 6)
    n_hostile = min(8, max(5, n_r // 600))
    special = g_rev.permutation(n_r)
    hostile = {int(r): k for k, r in enumerate(np.sort(special[:n_hostile]))}
    n_pii = max(3, n_r // 100)
    pii = set(special[n_hostile : n_hostile + n_pii].tolist())
    # The rare model number belongs to a gadget review, where it reads naturally.
    gadget = np.isin(
        np.array([catalog[j].category for j in rv["product"]]), ["Headphones", "Electronics"]
    )
    rest = special[n_hostile + n_pii :]
    rare = int(next((r for r in rest if gadget[r]), rest[0]))
    titles, texts = [], []
    defect_ids: dict[str, list[str]] = {d.key: [] for d in DEFECTS}
    pii_customers: set[str] = set()
    pii_planted: list[dict] = []
    for i in range(n_r):
        p = catalog[rv["product"][i]]
        stars = int(rv["rating"][i])
        if i in hostile:
            title, text = loc.hostile(rnd, hostile[i])
        else:
            dkey = p.defect if rv["defect"][i] else None
            daspect = next((d.aspect for d in DEFECTS if d.key == dkey), None)
            title, text = loc.review(rnd, stars, p.category, dkey, daspect)
            if dkey:
                defect_ids[dkey].append(rid[i])
        if i in pii:
            c = rv["customer"][i]
            kind, contact = loc.contact(rnd, people, c)
            text = loc.with_contact(rnd, text, kind, contact)
            pii_customers.add(cid[c])
            pii_planted.append(
                {"review_id": rid[i], "customer_id": cid[c], "kind": kind, "value": contact}
            )
        if i == rare:
            text = loc.rare_review(text)
        titles.append(title)
        texts.append(text)
    reviews = pd.DataFrame(
        {
            "review_id": rid,
            "product_id": pid[rv["product"]],
            "customer_id": cid[rv["customer"]],
            "rating": rv["rating"],
            "title": titles,
            "text": texts,
            "created_at": _ts(rv["created"]),
            "verified": rv["verified"],
            "helpful_votes": rv["helpful"],
            "language": loc.language,
        }
    )
    planted = {
        "defects": defect_ids,
        "pii": sorted(rid[sorted(pii)].tolist()),
        "pii_planted": pii_planted,
        "hostile": sorted(rid[sorted(hostile)].tolist()),
        "rare": rid[rare],
        "pii_customers": sorted(pii_customers),
    }
    return reviews, planted


def _events(loc, g_evt, shop, catalog, popularity, pid, cid, scale):
    """The events table and the planted browsers."""
    product_cat = np.array([CATEGORIES.index(CATEGORY_BY_NAME[p.category]) for p in catalog])
    ev = simulate_events(g_evt, shop, product_cat, popularity, max(100, int(26_000 * scale)))
    browsers = pick_browsers(g_evt, shop, product_cat, len(CATEGORIES), 6)
    extra, planted_browsing = browser_events(g_evt, shop, product_cat, popularity, browsers)
    browser_manifest = [
        {
            "customer_id": cid[c],
            "category": loc.category(CATEGORIES[k].name),
            "product_ids": sorted(pid[chosen]),
        }
        for c, k, chosen in planted_browsing
    ]
    ev = {key: np.concatenate([ev[key], np.asarray(extra[key], dtype=np.int64)]) for key in ev}
    order = np.lexsort((ev["product"], ev["type"], ev["customer"], ev["at"]))
    ev = {key: val[order] for key, val in ev.items()}
    is_search = ev["type"] == 3
    queries = np.full(len(order), None, dtype=object)
    for i in np.flatnonzero(is_search):
        qs = loc.queries(CATEGORIES[product_cat[ev["product"][i]]])
        queries[i] = qs[(ev["at"][i] // 7 + ev["customer"][i]) % len(qs)]
    events = pd.DataFrame(
        {
            "event_id": _ids("E", len(order), 7),
            "customer_id": cid[ev["customer"]],
            "product_id": np.where(is_search, None, pid[ev["product"]]),
            "event_type": EVENT_TYPES[ev["type"]],
            "at": _ts(ev["at"]),
            "query": queries,
        }
    )
    return events, browser_manifest
