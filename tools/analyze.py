"""Analyst questions over the metric layer: rankings, counts, group-bys, change against
an earlier period (``analyze``) and products side by side (``compare_products``).

The figures come from tools/metric_layer.py; this module picks the rows (min_n, sort,
top or bottom N), adds the comparison period, 95% Wilson intervals for rates and a
reading of the request in words, without SQL, that answers quote first ("Read as: ...")
so a misread question is visible at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import metric_layer as ml
from tools import resolve
from tools.context import ToolContext
from tools.insights import wilson
from tools.spec import ToolSpec, strict

MAX_LIMIT = 50
DEFAULT_LIMIT = 10
# A rate or an average rating ranked across products or brands from a handful of
# records is noise: such rows need this many records unless the caller says otherwise.
RANKED_RATE_MIN_N = 10
RANKED_RATE_DIMS = ("product", "brand")
COMPARE_METRICS = (
    "revenue",
    "units",
    "average_rating",
    "review_count",
    "negative_share",
    "return_rate",
)
COMPARE_ASPECTS = 5


# -- result types -------------------------------------------------------------------------
class Row(TypedDict):
    keys: dict[str, str | int | bool]
    label: str
    value: float | int | None
    n: int
    ci: list[float] | None
    previous: float | int | None
    previous_n: int | None
    change: float | int | None
    relative_change: float | None
    evidence: list[str]


class Reading(TypedDict):
    """The reading's parts, for answers that word it in another language than the
    ``interpretation`` string (which is English)."""

    head: Literal["total", "series", "by", "top", "bottom", "rise", "fall"]
    relative: bool  # rise / fall: the largest relative change
    count: int  # the rows a ranking asks for
    period: list[str] | None  # [start, end] the figures cover; None: no records yet
    min_n: int | None  # records a row needs to be ranked (None: no floor)
    shown_of: int | None  # rows there were before the cap, when they were capped
    segments_note: bool  # segments are as of the latest order
    no_records: bool


@strict
class AnalyzeResult(TypedDict):
    metric: str
    metric_label: str
    unit: Literal["currency", "count", "rate", "rating"]
    by: list[str]
    filters: dict[str, Any]
    since: str | None
    until: str | None
    compare_since: str | None
    compare_until: str | None
    rows: list[Row]
    total: Row
    interpretation: str
    reading: Reading
    left_out: int
    notes: list[str]


# -- analyze ------------------------------------------------------------------------------
def analyze(
    ctx: ToolContext,
    metric: str,
    by: list[str] | None = None,
    filters: dict[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
    compare: str = "none",
    sort: str | None = None,
    order: str = "desc",
    limit: int | None = None,
    min_n: int | None = None,
) -> dict:
    """One metric over a scope, grouped by up to two dimensions, ranked or in time order."""
    req = ml.request(ctx, metric, by or [], filters or {}, since, until)
    m = req.metric
    compare = str(compare or "none").strip().lower()
    if compare not in ("none", "previous", "year_before"):
        raise UserError(f"compare must be none, previous or year_before, got {compare!r}")
    order = str(order or "desc").strip().lower()
    if order not in ("desc", "asc"):
        raise UserError(f"order must be desc or asc, got {order!r}")
    in_time = bool(req.by) and req.by[0].kind == "time"
    sort = str(sort).strip().lower() if sort else ("time" if in_time else "value")
    if sort not in ("value", "change", "relative_change", "time"):
        raise UserError(f"sort must be value, change, relative_change or time, got {sort!r}")
    if sort == "time" and not in_time:
        raise UserError("sort by time needs a time dimension first in 'by'")
    if sort in ("change", "relative_change") and compare == "none":
        raise UserError(f"sort by {sort} needs a comparison period", hint="compare: previous")
    limit = _whole(limit, "limit", 1, MAX_LIMIT)
    min_n = _whole(min_n, "min_n", 1, None)
    ranked_rate = m.unit in ("rate", "rating") and any(d.name in RANKED_RATE_DIMS for d in req.by)
    floor = int(min_n) if min_n is not None else (RANKED_RATE_MIN_N if ranked_rate else 1)
    cap = int(limit) if limit is not None else (MAX_LIMIT if sort == "time" else DEFAULT_LIMIT)

    cur = ctx.cursor()
    current = ml.run(ctx, req, cur=cur)
    span = ml.data_span(ctx, m)
    start, end = req.since or span[0], req.until or span[1]
    previous, prev_period = None, (None, None)
    if compare != "none" and start and end:
        prev_period = _compare_period(compare, start, end)
        previous = ml.run(ctx, req.with_period(*prev_period), cur=cur)
    before = {_key(g): g for g in previous.groups} if previous else {}

    notes: list[str] = []
    # A group with no record behind its figure (a product whose only orders were
    # cancelled) has nothing to rank; it is not one of the rows min_n leaves out.
    groups = [g for g in current.groups if g.n > 0]
    kept = [g for g in groups if g.n >= floor]
    if sort in ("change", "relative_change"):
        # A change is only as solid as the thinner of its two periods.
        kept = [g for g in kept if _key(g) not in before or before[_key(g)].n >= floor]
    left_out = len(groups) - len(kept)
    if left_out:
        notes.append(f"{left_out} {_plural(req)} with fewer than {floor} {m.counts} left out")
    rows = [_row(m, req, g, before.get(_key(g)) if previous else None, compare) for g in kept]
    if previous:
        # A group with records before and none now (a product that stopped selling) is
        # the steepest drop of all: it is listed, at zero for sums and counts.
        now = {_key(g) for g in current.groups}
        gone = [g for k, g in before.items() if k not in now and g.n >= floor]
        for g in gone:
            empty = ml.Group(g.keys, _empty_value(m), 0, 0 if m.is_rate else None, [], g.title)
            rows.append(_row(m, req, empty, g, compare))
    rows = _sorted(rows, sort, order)
    shown_of = len(rows) if len(rows) > cap else None
    if shown_of:
        notes.append(f"{cap} of {len(rows)} {_plural(req)} shown")
        rows = rows[-cap:] if sort == "time" else rows[:cap]
    total = _row(m, req, current.total, previous.total if previous else None, compare)
    segments_note = any(d.name == "segment" for d in req.by) or "segment" in req.filters
    if segments_note:
        notes.append("segments are the customers' RFM segments as of the latest order")
    if not current.total.n:
        notes.append("no records in this scope")
    ranked = min(cap, len(rows)) or cap
    floor_shown = floor if floor > 1 and req.by else None
    return {
        "metric": m.name,
        "metric_label": metric_label(m, req),
        "unit": m.unit,
        "by": [d.name for d in req.by],
        "filters": {k: _plain(v) for k, v in req.filters.items()},
        "since": _iso(req.since),
        "until": _iso(req.until),
        "compare_since": _iso(prev_period[0]),
        "compare_until": _iso(prev_period[1]),
        "rows": rows,
        "total": total,
        "interpretation": interpretation(
            req, (start, end), prev_period, sort, order, cap, floor, len(rows)
        ),
        "reading": {
            "head": head_kind(req, sort, order),
            "relative": sort == "relative_change",
            "count": ranked,
            "period": [start.isoformat(), end.isoformat()] if start and end else None,
            "min_n": floor_shown,
            "shown_of": shown_of,
            "segments_note": segments_note,
            "no_records": not current.total.n,
        },
        "left_out": left_out,
        "notes": notes,
    }


def _whole(value: Any, name: str, low: int, high: int | None) -> int | None:
    """A count argument as an int, or a UserError saying what is wrong with it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise UserError(f"{name} must be a whole number, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        raise UserError(f"{name} must be {bounds}, got {number}")
    return number


def _empty_value(m: ml.Metric) -> float | int | None:
    """The figure of a scope without records: nothing sold is 0, no rating is none."""
    if m.unit == "count":
        return 0
    if m.name in ("revenue", "units"):
        return 0.0
    return None


def _compare_period(compare: str, start: date, end: date) -> tuple[date, date]:
    if compare == "year_before":
        return _year_before(start), _year_before(end)
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        # Whole calendar months (a quarter, a year): the same number of months before,
        # so "this quarter vs last" is Apr-Jun against Jan-Mar, not a 91-day window.
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = _add_months(start, -months)
        return first, start - timedelta(days=1)
    days = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    return prev_end - timedelta(days=days - 1), prev_end


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _key(g: ml.Group) -> tuple:
    return tuple(g.keys.values())


def _row(m: ml.Metric, req: ml.Request, g: ml.Group, prev: ml.Group | None, compare: str) -> Row:
    if g.value is None and g.n == 0:
        g.value = _empty_value(m)
    if prev is None and compare != "none":
        prev = ml.Group(g.keys, None, 0, 0 if m.is_rate else None, [])
    if prev is not None and prev.value is None and prev.n == 0:
        prev.value = _empty_value(m)
    change = relative = None
    if prev is not None and g.value is not None and prev.value is not None:
        change = m.figure(g.value - prev.value)
        if m.unit == "count":
            change = int(g.value - prev.value)
        relative = round((g.value - prev.value) / prev.value, 4) if prev.value else None
    return {
        "keys": {k: key_value(req, k, v) for k, v in g.keys.items()},
        "label": row_label(req, g),
        "value": g.value,
        "n": g.n,
        "ci": wilson(g.hits, g.n) if m.is_rate and g.hits is not None else None,
        "previous": prev.value if prev is not None else None,
        "previous_n": prev.n if prev is not None else None,
        "change": change,
        "relative_change": relative,
        "evidence": g.evidence,
    }


def _sorted(rows: list[Row], sort: str, order: str) -> list[Row]:
    if sort == "time":
        return sorted(rows, key=lambda r: tuple(str(v) for v in r["keys"].values()))
    field = sort
    present = [r for r in rows if r[field] is not None]
    missing = [r for r in rows if r[field] is None]
    # Ties keep a stable, readable order: by label.
    present.sort(key=lambda r: r["label"])
    present.sort(key=lambda r: r[field], reverse=order == "desc")
    return present + missing


GRAIN_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def key_value(req: ml.Request, name: str, value: Any) -> str | int | bool:
    dim = next(d for d in req.by if d.name == name)
    if dim.kind == "time":
        return period_label(dim.grain or "day", value)
    if dim.kind in ("int", "bool"):
        return value
    return str(value)


def period_label(grain: str, value: date) -> str:
    if grain == "quarter":
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    return value.strftime(GRAIN_FORMAT[grain])


def row_label(req: ml.Request, g: ml.Group) -> str:
    if not g.keys:
        return "All"
    parts = []
    for name, value in g.keys.items():
        dim = next(d for d in req.by if d.name == name)
        if dim.name == "product":
            parts.append(f"{g.title} ({value})" if g.title else str(value))
        elif dim.kind == "time":
            text = period_label(dim.grain or "day", value)
            parts.append(f"week of {text}" if dim.grain == "week" else text)
        elif dim.kind == "bool":
            parts.append(dim.label.lower() if value else f"not {dim.label.lower()}")
        elif dim.name == "rating":
            parts.append(f"{value}★")
        else:
            parts.append(str(value))
    return ", ".join(parts)


def metric_label(m: ml.Metric, req: ml.Request) -> str:
    if not m.aspect:
        return m.label
    named = req.filters.get("aspect")
    if any(d.name == "aspect" for d in req.by):
        return f"{m.label} each aspect"
    return f"{m.label} {' or '.join(named or ())}"


def _plural(req: ml.Request) -> str:
    return " × ".join(d.plural for d in req.by) or "rows"


def _plain(values: tuple) -> Any:
    out = [v.isoformat() if isinstance(v, date) else v for v in values]
    return out[0] if len(out) == 1 else out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def head_kind(req: ml.Request, sort: str, order: str) -> str:
    """What the reading leads with: one figure, a series over time, a plain group-by,
    a ranking (top / bottom), or the largest changes (rise / fall)."""
    if not req.by:
        return "total"
    if sort == "time" or (len(req.by) == 2 and req.by[1].kind == "time"):
        return "series"
    if sort == "value" and req.by[0].kind in ("bool", "int"):
        return "by"
    if sort == "value":
        return "top" if order == "desc" else "bottom"
    return "rise" if order == "desc" else "fall"


def interpretation(
    req: ml.Request,
    period: tuple[date | None, date | None],
    compare: tuple[date | None, date | None],
    sort: str,
    order: str,
    cap: int,
    floor: int,
    shown: int,
) -> str:
    """The request in words, without SQL: what is ranked or counted, over what, how."""
    m = req.metric
    what = metric_label(m, req)
    what = what[:1].lower() + what[1:]
    kind = head_kind(req, sort, order)
    count = min(cap, shown) or cap
    ranked = _plural(req) if count != 1 else " × ".join(d.label.lower() for d in req.by)
    if kind == "total":
        head = what
    elif kind == "series":
        head = f"{what} by {' and '.join(d.name for d in req.by)}"
    elif kind == "by":
        head = f"{what} by {' and '.join(d.label.lower() for d in req.by)}"
    elif kind in ("top", "bottom"):
        head = f"{kind} {count} {ranked} by {what}"
    else:
        size = " relative" if sort == "relative_change" else ""
        head = f"{count} {ranked} with the largest{size} {kind} in {what}"
    parts = [head]
    start, end = period
    if start and end:
        parts.append(f"{start.isoformat()} to {end.isoformat()}")
    else:
        parts.append("no records yet")
    for name, values in req.filters.items():
        dim = ml.layer().dimensions[name]
        shown_values = ", ".join(str(_plain((v,))) for v in values)
        if dim.kind == "bool":
            word = dim.label.lower() + ("s" if dim.name == "verified" else "")
            parts.append(f"{word} only" if values == (True,) else f"not {word}")
        elif dim.name == "aspect" and m.aspect:
            continue  # already in the metric's name
        else:
            parts.append(f"{dim.label.lower()} {shown_values}")
    if compare[0] and compare[1]:
        parts.append(f"compared with {compare[0].isoformat()} to {compare[1].isoformat()}")
    if floor > 1 and req.by:
        parts.append(f"at least {floor} {m.counts} per row")
    parts.append(m.note)
    return ", ".join(parts)


# -- compare_products -----------------------------------------------------------------------
class MetricValue(TypedDict):
    value: float | int | None
    n: int
    ci: list[float] | None


class ProductValues(TypedDict):
    product_id: str
    title: str
    values: dict[str, MetricValue]


class AspectShare(TypedDict):
    praise_share: float | None
    complaint_share: float | None
    n: int


class AspectRow(TypedDict):
    aspect: str
    mentions: int
    products: dict[str, AspectShare]


@strict
class CompareResult(TypedDict):
    products: list[ProductValues]
    metrics: list[str]
    since: str | None
    until: str | None
    interpretation: str
    aspects: list[AspectRow]
    notes: list[str]


def compare_products(
    ctx: ToolContext,
    product_ids: list[str],
    metrics: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict:
    """Two to five products side by side: each metric with its n, and the aspects buyers
    mention most with the share praising and complaining for each product."""
    if isinstance(product_ids, str):
        product_ids = [product_ids]
    if not isinstance(product_ids, list | tuple):
        raise UserError("product_ids must be a list of two to five product ids")
    if not 2 <= len(product_ids) <= 5:
        raise UserError(f"compare 2 to 5 products, got {len(product_ids)}")
    found = [resolve.product(ctx, str(p)) for p in product_ids]
    ids = list(dict.fromkeys(p["product_id"] for p in found))
    if not 2 <= len(ids) <= 5:
        raise UserError(f"compare 2 to 5 different products, got {len(ids)}")
    titles = {p["product_id"]: p.get("title") or p["product_id"] for p in found}
    if isinstance(metrics, str):
        metrics = [metrics]
    names = list(dict.fromkeys(str(x).strip().lower() for x in (metrics or COMPARE_METRICS)))
    lay = ml.layer()
    values: dict[str, dict[str, MetricValue]] = {pid: {} for pid in ids}
    start = end = None
    for name in names:
        req = ml.request(ctx, name, ["product"], {"product": ids}, since, until)
        start, end = req.since, req.until
        out = ml.run(ctx, req)
        got = {g.keys["product"]: g for g in out.groups}
        for pid in ids:
            g = got.get(pid)
            m = req.metric
            values[pid][m.name] = {
                "value": g.value if g else None,
                "n": g.n if g else 0,
                "ci": wilson(g.hits, g.n) if g and m.is_rate and g.hits is not None else None,
            }
    notes: list[str] = []
    aspects = _aspect_table(ctx, ids, since, until, notes)
    span = f"{_iso(start) or 'the start'} to {_iso(end) or 'the end of the data'}"
    shown = ", ".join(f"{titles[p]} ({p})" for p in ids)
    labels = ", ".join(lay.metrics[n].label.lower() for n in names if n in lay.metrics)
    return {
        "products": [
            {"product_id": pid, "title": titles[pid], "values": values[pid]} for pid in ids
        ],
        "metrics": [lay.metrics[n].name for n in names],
        "since": _iso(start),
        "until": _iso(end),
        "interpretation": f"{shown} compared on {labels}, {span}",
        "aspects": aspects,
        "notes": notes,
    }


def _aspect_table(ctx, ids, since, until, notes: list[str]) -> list[AspectRow]:
    filters = {"product": ids}
    try:
        praise = ml.run(
            ctx,
            ml.request(ctx, "aspect_praise_share", ["product", "aspect"], filters, since, until),
        )
        complaint = ml.run(
            ctx,
            ml.request(ctx, "aspect_complaint_share", ["product", "aspect"], filters, since, until),
        )
    except UserError as exc:
        notes.append(f"aspects not compared: {exc}")
        return []
    mentions: dict[str, int] = {}
    cells: dict[tuple[str, str], dict] = {}
    for kind, out in (("praise_share", praise), ("complaint_share", complaint)):
        for g in out.groups:
            aspect, pid = g.keys["aspect"], g.keys["product"]
            mentions[aspect] = mentions.get(aspect, 0) + (g.hits or 0)
            cell = cells.setdefault((aspect, pid), {"praise_share": 0.0, "complaint_share": 0.0})
            cell[kind] = g.value
            cell["n"] = g.n
    top = sorted(mentions, key=lambda a: (-mentions[a], a))[:COMPARE_ASPECTS]
    review_n = {
        g.keys["product"]: g.n
        for g in ml.run(
            ctx, ml.request(ctx, "review_count", ["product"], filters, since, until)
        ).groups
    }
    rows = []
    for aspect in top:
        per = {}
        for pid in ids:
            cell = cells.get((aspect, pid))
            n = review_n.get(pid, 0)
            per[pid] = {
                "praise_share": cell["praise_share"] if cell else (0.0 if n else None),
                "complaint_share": cell["complaint_share"] if cell else (0.0 if n else None),
                "n": n,
            }
        rows.append({"aspect": aspect, "mentions": mentions[aspect], "products": per})
    return rows


# -- declaration ------------------------------------------------------------------------
_METRIC_NAMES = tuple(ml.layer().metrics)
_DIMENSION_NAMES = tuple(ml.layer().dimensions)
FilterValue = str | int | bool | list[str | int | bool]


class AnalyzeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: Literal[_METRIC_NAMES] = Field(  # type: ignore[valid-type]
        description="Which figure: " + ", ".join(_METRIC_NAMES) + "."
    )
    by: list[Literal[_DIMENSION_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=2,
        description="Up to two dimensions to group by, e.g. ['product'], ['month'], "
        "['category', 'month'].",
    )
    filters: dict[Literal[_DIMENSION_NAMES], FilterValue] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="Dimension -> value or list of values, e.g. {'category': 'Kitchen'}, "
        "{'verified': true}, {'aspect': 'battery'}, {'product': ['P0016', 'P0059']}, "
        "{'rating': [1, 2]}.",
    )
    since: str | None = Field(None, description="First day included, YYYY-MM-DD.")
    until: str | None = Field(None, description="Last day included, YYYY-MM-DD.")
    compare: Literal["none", "previous", "year_before"] = Field(
        "none",
        description="Also compute the period of the same length just before (previous) "
        "or a year earlier (year_before), with absolute and relative change.",
    )
    sort: Literal["value", "change", "relative_change", "time"] | None = Field(
        None,
        description="Rank rows by value, change or relative_change; default: value, or "
        "time order when grouped by a time dimension first.",
    )
    order: Literal["desc", "asc"] = Field(
        "desc", description="desc: top N (largest first); asc: bottom N."
    )
    limit: int | None = Field(
        None, ge=1, le=MAX_LIMIT, description="How many rows (top/bottom N); default 10."
    )
    min_n: int | None = Field(
        None,
        ge=1,
        description="Leave out rows from fewer records (default 10 for rates ranked by "
        "product or brand, else 1).",
    )


class CompareArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_ids: list[str] = Field(
        min_length=2,
        max_length=5,
        description="Two to five product ids (find_product turns a name into its id).",
    )
    metrics: list[Literal[_METRIC_NAMES]] | None = Field(  # type: ignore[valid-type]
        None, description="Figures to compare; default: " + ", ".join(COMPARE_METRICS) + "."
    )
    since: str | None = Field(None, description="First day included, YYYY-MM-DD.")
    until: str | None = Field(None, description="Last day included, YYYY-MM-DD.")


SPECS = (
    ToolSpec(
        name="analyze",
        engine=analyze,
        args=AnalyzeArgs,
        result=AnalyzeResult,
        roles=frozenset({"marketer", "admin"}),
        subject="none",
        label="Analysis",
        purpose="rank, count, group and compare shop metrics over time",
        description="One shop metric (revenue, orders, units, average order value, "
        "customers, return or cancel rate, average rating, review count, share of negative "
        "reviews, share praising or complaining about an aspect, views, carts, conversion, "
        "tickets) over a period, grouped by up to two dimensions (product, category, brand, "
        "day..year, country, city, channel, segment, rating, aspect, verified), filtered on "
        "any of them; top or bottom N, min_n for rates, change against the previous period "
        "or the year before. Rows carry n, 95% intervals for rates and evidence ids.",
    ),
    ToolSpec(
        name="compare_products",
        engine=compare_products,
        args=CompareArgs,
        result=CompareResult,
        roles=frozenset({"marketer", "admin"}),
        subject="none",
        label="Product comparison",
        purpose="compare products side by side",
        description="Two to five products side by side over a period: revenue, units, "
        "average rating, reviews, share of negative reviews and return rate (or the metrics "
        "named), each with its n, and the aspects buyers mention most with the share "
        "praising and complaining for each product.",
    ),
)
