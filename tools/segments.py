"""Audience filters over the per-customer table of tools.rfm.

Each filter narrows the table; values are checked against the store (a segment,
category or aspect that does not exist is a clear error with the closest names).
"""

from __future__ import annotations

from assistant.errors import NotFoundError, UserError
from tools import resolve
from tools.context import ToolContext
from tools.lazy_module import lazy_module
from tools.resolve import normalise, suggest
from tools.rfm import SEGMENTS

# Imported on first use, not with the tool registry: see tools/lazy_module.py.
pd = lazy_module("pandas")

CHURN_LEVELS = ("low", "medium", "high")
SENTIMENTS = ("positive", "neutral", "negative")


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def resolve_segments(value) -> list[str]:
    out = []
    for raw in _as_list(value):
        match = next((s for s in SEGMENTS if normalise(s) == normalise(raw)), None)
        if match is None:
            raise NotFoundError(f"no segment {raw!r}", suggestions=suggest(raw, list(SEGMENTS)))
        out.append(match)
    return out


def _ids(cur, sql: str, params: list) -> set[str]:
    return {r[0] for r in cur.execute(sql, params).fetchall()}


def has_rows(cur, table: str) -> bool:
    """Whether a derived table (written by another pipeline step) exists and has rows."""
    exists = cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()[0]
    return bool(exists) and cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0  # noqa: S608 -- callers pass a constant table name, checked to exist above


def _aspect_complainers(ctx: ToolContext, aspect: str) -> tuple[set[str], str, str]:
    """Customers who complained about an aspect, and how that was decided.

    Prefers the clause-level aspect polarities of ``review_aspects`` (written by the
    sentiment step); before that step has run, an unhappy review (1-2 stars or
    labelled negative) naming one of the aspect's terms in a clause counts.
    """
    from tools.aspects import split_clauses

    cur = ctx.cursor()
    if has_rows(cur, "review_aspects"):
        known = [r[0] for r in cur.execute("SELECT DISTINCT aspect FROM review_aspects").fetchall()]
        wanted = resolve.aspect(ctx, aspect, stored=sorted(known))
        ids = _ids(
            cur,
            """SELECT DISTINCT r.customer_id FROM review_aspects a
               JOIN reviews r ON r.review_id = a.review_id
               WHERE a.aspect = ? AND a.polarity = 'negative' AND r.customer_id IS NOT NULL""",
            [wanted],
        )
        return ids, wanted, f"aspect complaints: reviews whose clauses about {wanted} are negative"
    spec = ctx.aspect_taxonomy.get(resolve.aspect(ctx, aspect))
    rows = cur.execute(
        """SELECT r.customer_id, r.text FROM reviews r
           LEFT JOIN review_sentiment s ON s.review_id = r.review_id
           WHERE r.customer_id IS NOT NULL AND r.text IS NOT NULL
             AND (r.rating <= 2 OR s.label = 'negative')"""
    ).fetchall()
    hit = {c for c, text in rows if any(spec.pattern.search(cl) for cl in split_clauses(text))}
    note = f"aspect complaints: unhappy reviews (1-2 stars or negative) that mention {spec.id}"
    return hit, spec.id, note


def apply_filters(
    ctx: ToolContext, table: pd.DataFrame, **f
) -> tuple[pd.DataFrame, dict, list[str]]:
    """(matching rows, the filters as applied, notes about how a filter was read)."""
    cur = ctx.cursor()
    applied: dict = {}
    notes: list[str] = []
    mask = pd.Series(True, index=table.index)
    segs = resolve_segments(f.get("segment"))
    if segs:
        mask &= table["segment"].isin(segs)
        applied["segment"] = segs
    for key, col, op in (
        ("min_spend", "spend", "ge"),
        ("max_spend", "spend", "le"),
        ("inactive_days", "recency_days", "ge"),
        ("active_within_days", "recency_days", "le"),
    ):
        value = f.get(key)
        if value is None:
            continue
        if not isinstance(value, int | float) or value < 0:
            raise UserError(f"{key} must be a non-negative number, got {value!r}")
        series = table[col]
        mask &= (series >= value) if op == "ge" else (series <= value)
        if col == "recency_days":
            mask &= table["orders"] > 0
        applied[key] = value
    levels = [v.lower() for v in _as_list(f.get("churn_risk"))]
    if levels:
        bad = [v for v in levels if v not in CHURN_LEVELS]
        if bad:
            raise UserError(f"unknown churn risk {bad[0]!r}", hint="use low, medium or high")
        mask &= table["churn_risk"].isin(levels)
        applied["churn_risk"] = levels
    if f.get("country"):
        mask &= table["country"].fillna("").str.casefold() == str(f["country"]).strip().casefold()
        applied["country"] = f["country"]
    if f.get("category"):
        cat = resolve.category(ctx, f["category"])
        ids = _ids(
            cur,
            """SELECT DISTINCT o.customer_id FROM orders o
               JOIN order_items i ON i.order_id = o.order_id
               JOIN products p ON p.product_id = i.product_id
               WHERE o.status = 'completed' AND p.category = ?""",
            [cat],
        )
        mask &= table["customer_id"].isin(ids)
        applied["category"] = cat
    if f.get("product_id"):
        pid = resolve.product(ctx, f["product_id"])["product_id"]
        ids = _ids(
            cur,
            """SELECT DISTINCT o.customer_id FROM orders o
               JOIN order_items i ON i.order_id = o.order_id
               WHERE o.status = 'completed' AND i.product_id = ?""",
            [pid],
        )
        mask &= table["customer_id"].isin(ids)
        applied["product_id"] = pid
    if f.get("viewed_category"):
        cat = resolve.category(ctx, f["viewed_category"])
        ids = _ids(
            cur,
            """SELECT DISTINCT e.customer_id FROM events e
               JOIN products p ON p.product_id = e.product_id
               WHERE p.category = ? AND e.event_type IN ('view', 'cart', 'wishlist')
               AND e.customer_id NOT IN (
                   SELECT o.customer_id FROM orders o
                   JOIN order_items i ON i.order_id = o.order_id
                   JOIN products q ON q.product_id = i.product_id
                   WHERE q.category = ? AND o.status <> 'cancelled')""",
            [cat, cat],
        )
        mask &= table["customer_id"].isin(ids)
        applied["viewed_category"] = cat
    if f.get("sentiment"):
        label = str(f["sentiment"]).strip().lower()
        if label not in SENTIMENTS:
            raise UserError(
                f"unknown sentiment {label!r}", hint="use positive, neutral or negative"
            )
        labelled = cur.execute("SELECT count(*) FROM review_sentiment").fetchone()[0]
        if labelled:
            sql = """SELECT DISTINCT r.customer_id FROM reviews r
                     JOIN review_sentiment s ON s.review_id = r.review_id WHERE s.label = ?"""
            ids = _ids(cur, sql, [label])
        else:
            stars = {
                "positive": "r.rating >= 4",
                "neutral": "r.rating = 3",
                "negative": "r.rating <= 2",
            }
            ids = _ids(cur, f"SELECT DISTINCT customer_id FROM reviews r WHERE {stars[label]}", [])  # noqa: S608 -- the condition comes from the constant stars map
            notes.append("reviews are not sentiment-labelled yet; star ratings were used")
        mask &= table["customer_id"].isin(ids)
        applied["sentiment"] = label
    if f.get("aspect"):
        ids, aspect_id, note = _aspect_complainers(ctx, str(f["aspect"]))
        mask &= table["customer_id"].isin(ids)
        applied["aspect"] = aspect_id
        notes.append(note)
    return table[mask], applied, notes
