"""The metric layer: metrics and dimensions declared once (tools/metric_layer.yaml),
compiled to parameterised DuckDB SQL and run.

A request names a metric, up to two dimensions to group by, filters (dimension ->
values) and an inclusive period. Every identifier in the SQL comes from the yaml; every
value from the request is a bound parameter, so a hostile filter value stays data.
Filter values are checked against the store first (``tools.resolve``), so "kitchn"
means Kitchen here as in every other tool, and a miss carries suggestions.

``run`` returns the raw groups (key values as stored, figure, n, hits for rates,
evidence ids) and the scope's total; tools/analyze.py shapes them into answers and
tools/metrics.py into the older ``sales_metrics`` result.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import UserError
from tools import resolve
from tools.context import ToolContext

LAYER_FILE = Path(__file__).with_name("metric_layer.yaml")
UNITS = ("currency", "count", "rate", "rating")
KINDS = ("text", "id", "int", "bool", "time")
GRAINS = ("day", "week", "month", "quarter", "year")
RESOLVERS = ("product", "category", "brand", "segment", "aspect")
MAX_BY = 2
EVIDENCE_PER_ROW = 3
# The per-customer RFM segment, registered on the cursor under this name when a
# request needs it (the yaml joins it as ``seg``).
SEGMENTS_VIEW = "metric_layer_segments"
_ALIAS = re.compile(r"\b([a-z][a-z0-9]*)\.")


class LayerError(ValueError):
    """metric_layer.yaml is malformed; the message names the entry."""


# -- the declaration ------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    name: str
    source: str
    time: str
    evidence: str
    joins: dict[str, str]
    aliases: tuple[str, ...]
    grain: str | None = None
    fans_out: tuple[str, ...] = ()
    rollups: dict[str, str] = field(default_factory=dict)
    unique_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metric:
    name: str
    fact: str
    label: str
    unit: str
    n: str
    counts: str
    note: str
    value: str | None = None
    hits: str | None = None
    decimals: int = 0
    evidence_when: str | None = None
    needs: tuple[str, ...] = ()
    aspect: bool = False
    # Counted in two steps: one row per ``per`` (and group) with ``per_columns``
    # aggregated over the fact's rows, then hits, n, value and evidence over those rows.
    per: tuple[str, ...] = ()
    per_columns: dict[str, str] = field(default_factory=dict)
    evidence: str | None = None  # with ``per``: the evidence aggregate over the rows
    per_where: str | None = None  # with ``per``: the only records the rows are built from
    # Dimensions a unit has one value of (a customer's channel, a product's category):
    # grouped by these only, every unit is in one group and the total is their sum.
    per_within: tuple[str, ...] = ()

    @property
    def is_rate(self) -> bool:
        return self.unit == "rate"

    def figure(self, value: Any) -> float | int | None:
        """A value rounded as the unit is shown: counts whole, rates to 4 places."""
        if value is None:
            return None
        if self.unit == "count":
            return int(value)
        return round(float(value), 4 if self.is_rate else self.decimals)


@dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    plural: str
    kind: str
    expr: str | None = None
    grain: str | None = None
    needs: tuple[str, ...] = ()
    facts: tuple[str, ...] | None = None  # None: every fact
    resolve: str | None = None

    def applies_to(self, fact: str) -> bool:
        return self.facts is None or fact in self.facts


@dataclass(frozen=True)
class Layer:
    facts: dict[str, Fact]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    derived: dict[str, str] = field(default_factory=dict)

    def metric(self, name: Any) -> Metric:
        key = str(name or "").strip().lower()
        if key not in self.metrics:
            raise UserError(f"unknown metric {name!r}", hint="metrics: " + ", ".join(self.metrics))
        return self.metrics[key]

    def dimension(self, name: Any, metric: Metric, role: str = "group by") -> Dimension:
        key = str(name or "").strip().lower()
        if key not in self.dimensions:
            raise UserError(
                f"cannot {role} {name!r}: no such dimension",
                hint="dimensions: " + ", ".join(self.dimensions),
            )
        dim = self.dimensions[key]
        if not dim.applies_to(metric.fact):
            usable = [d for d, v in self.dimensions.items() if v.applies_to(metric.fact)]
            raise UserError(
                f"dimension {key!r} does not apply to metric {metric.name!r} "
                f"(it counts {metric.counts})",
                hint=f"{metric.name} can use: " + ", ".join(usable),
            )
        return dim


def _need(entry: dict, key: str, where: str, kind: type = str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise LayerError(f"{where}: {key!r} is required")
    if not isinstance(entry[key], kind):
        raise LayerError(f"{where}: {key!r} must be a {kind.__name__}")
    return entry[key]


def _sql_fragment(text: str, where: str) -> str:
    # Fragments are statements' parts, never statements: no terminator, no markers,
    # no comments that could hide the rest of a query.
    if any(bad in text for bad in (";", "?", "--", "/*")):
        raise LayerError(f"{where}: SQL fragments may not contain ';', '?' or comments")
    return " ".join(text.split())


def _aliases(*fragments: str | None) -> set[str]:
    return {m for f in fragments if f for m in _ALIAS.findall(f)}


def parse(doc: Any, source: str = "metric_layer.yaml") -> Layer:
    """Check a loaded yaml document and build the layer; errors name the entry."""
    if not isinstance(doc, dict):
        raise LayerError(f"{source}: expected a mapping with facts, metrics and dimensions")
    unknown = set(doc) - {"facts", "metrics", "dimensions", "derived"}
    if unknown:
        raise LayerError(f"{source}: unknown section(s) {sorted(unknown)}")
    facts: dict[str, Fact] = {}
    for name, e in (doc.get("facts") or {}).items():
        where = f"{source}: fact {name!r}"
        if not isinstance(e, dict):
            raise LayerError(f"{where}: expected a mapping")
        joins = e.get("joins") or {}
        rollups = e.get("rollups") or {}
        if not isinstance(joins, dict) or not isinstance(rollups, dict):
            raise LayerError(f"{where}: joins and rollups map an alias to a join clause")
        facts[name] = Fact(
            name,
            _sql_fragment(_need(e, "from", where), where),
            _sql_fragment(_need(e, "time", where), where),
            _sql_fragment(_need(e, "evidence", where), where),
            {a: _sql_fragment(str(j), f"{where}, join {a!r}") for a, j in joins.items()},
            tuple(_need(e, "aliases", where, list)),
            _sql_fragment(e["grain"], where) if e.get("grain") else None,
            tuple(e.get("fans_out") or ()),
            {a: _sql_fragment(str(j), f"{where}, rollup {a!r}") for a, j in rollups.items()},
            tuple(e.get("unique_with") or ()),
        )
        unknown_joins = set(facts[name].fans_out) - set(joins)
        if unknown_joins:
            raise LayerError(f"{where}: fans_out names unknown join(s) {sorted(unknown_joins)}")
        if set(rollups) - set(facts[name].fans_out):
            raise LayerError(f"{where}: rollups are for joins named in fans_out")
    if not facts:
        raise LayerError(f"{source}: no facts declared")
    derived = doc.get("derived") or {}
    if not isinstance(derived, dict):
        raise LayerError(f"{source}: derived maps a name to a SELECT")
    for name, sql in derived.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
            raise LayerError(f"{source}: derived {name!r}: not a plain lower-case name")
        derived[name] = _sql_fragment(str(sql), f"{source}: derived {name!r}")
    metrics: dict[str, Metric] = {}
    for name, e in (doc.get("metrics") or {}).items():
        where = f"{source}: metric {name!r}"
        if not isinstance(e, dict):
            raise LayerError(f"{where}: expected a mapping")
        known = {
            "fact", "label", "unit", "n", "counts", "note", "value", "hits", "decimals",
            "evidence_when", "needs", "aspect", "per", "per_columns", "evidence",
            "per_where", "per_within",
        }  # fmt: skip
        if set(e) - known:
            raise LayerError(f"{where}: unknown key(s) {sorted(set(e) - known)}")
        fact = _need(e, "fact", where)
        if fact not in facts:
            raise LayerError(f"{where}: unknown fact {fact!r} (facts: {', '.join(facts)})")
        unit = _need(e, "unit", where)
        if unit not in UNITS:
            raise LayerError(f"{where}: unit must be one of {UNITS}, got {unit!r}")
        if unit == "rate":
            if not e.get("hits") or e.get("value"):
                raise LayerError(f"{where}: a rate declares 'hits' (and no 'value')")
        elif not e.get("value") or e.get("hits"):
            raise LayerError(f"{where}: declare 'value' ('hits' is for rates only)")
        needs = tuple(e.get("needs") or ())
        missing = [a for a in needs if a not in facts[fact].joins]
        if missing:
            raise LayerError(f"{where}: needs unknown join(s) {missing} of fact {fact!r}")
        metric = Metric(
            name=name,
            fact=fact,
            label=_need(e, "label", where),
            unit=unit,
            n=_sql_fragment(_need(e, "n", where), where),
            counts=_need(e, "counts", where),
            note=" ".join(str(_need(e, "note", where)).split()),
            value=_sql_fragment(e["value"], where) if e.get("value") else None,
            hits=_sql_fragment(e["hits"], where) if e.get("hits") else None,
            decimals=int(e.get("decimals", 0)),
            evidence_when=_sql_fragment(e["evidence_when"], where)
            if e.get("evidence_when")
            else None,
            needs=needs,
            aspect=bool(e.get("aspect", False)),
            per=tuple(_sql_fragment(str(x), where) for x in e.get("per") or ()),
            per_columns={
                str(k): _sql_fragment(str(v), f"{where}, per_columns {k!r}")
                for k, v in (e.get("per_columns") or {}).items()
            },
            evidence=_sql_fragment(e["evidence"], where) if e.get("evidence") else None,
            per_where=_sql_fragment(e["per_where"], where) if e.get("per_where") else None,
            per_within=tuple(e.get("per_within") or ()),
        )
        if (metric.per_where or metric.per_within) and not metric.per:
            raise LayerError(f"{where}: 'per_where' and 'per_within' need 'per'")
        if bool(metric.per) != bool(metric.per_columns) or bool(metric.per) != bool(
            metric.evidence
        ):
            raise LayerError(f"{where}: 'per', 'per_columns' and 'evidence' go together")
        if any(not re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in metric.per_columns):
            raise LayerError(f"{where}: per_columns are named in plain lower case")
        used = _aliases(
            metric.value, metric.hits, metric.n, metric.evidence_when, *metric.per,
            *metric.per_columns.values(), metric.per_where,
        )  # fmt: skip
        undeclared = used - set(needs) - set(facts[fact].aliases)
        if undeclared:
            raise LayerError(f"{where}: uses alias(es) {sorted(undeclared)} not in 'needs'")
        metrics[name] = metric
    if not metrics:
        raise LayerError(f"{source}: no metrics declared")
    dimensions: dict[str, Dimension] = {}
    for name, e in (doc.get("dimensions") or {}).items():
        where = f"{source}: dimension {name!r}"
        if not isinstance(e, dict):
            raise LayerError(f"{where}: expected a mapping")
        kind = _need(e, "kind", where)
        if kind not in KINDS:
            raise LayerError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
        grain = e.get("grain")
        if (kind == "time") != (grain is not None) or (grain and grain not in GRAINS):
            raise LayerError(f"{where}: a time dimension declares a grain of {GRAINS}")
        if kind != "time" and not e.get("expr"):
            raise LayerError(f"{where}: 'expr' is required")
        applies = tuple(e["facts"]) if e.get("facts") else None
        if applies and set(applies) - set(facts):
            raise LayerError(f"{where}: unknown fact(s) {sorted(set(applies) - set(facts))}")
        needs = tuple(e.get("needs") or ())
        for f in applies or tuple(facts):
            missing = [a for a in needs if a not in facts[f].joins]
            if missing:
                raise LayerError(f"{where}: fact {f!r} has no join {missing}")
        if e.get("resolve") and e["resolve"] not in RESOLVERS:
            raise LayerError(f"{where}: resolve must be one of {RESOLVERS}")
        dimensions[name] = Dimension(
            name=name,
            label=_need(e, "label", where),
            plural=_need(e, "plural", where),
            kind=kind,
            expr=_sql_fragment(e["expr"], where) if e.get("expr") else None,
            grain=grain,
            needs=needs,
            facts=applies,
            resolve=e.get("resolve"),
        )
    for m in metrics.values():
        if set(m.per_within) - set(dimensions):
            raise LayerError(
                f"{source}: metric {m.name!r}: per_within names unknown dimension(s) "
                f"{sorted(set(m.per_within) - set(dimensions))}"
            )
    for f in facts.values():
        unknown_dims = set(f.unique_with) - set(dimensions)
        if unknown_dims:
            raise LayerError(
                f"{source}: fact {f.name!r}: unique_with names unknown dimension(s) "
                f"{sorted(unknown_dims)}"
            )
    return Layer(facts, metrics, dimensions, dict(derived))


@functools.cache
def layer() -> Layer:
    """The shipped layer (read once per process)."""
    return load(LAYER_FILE)


def load(path: Path) -> Layer:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LayerError(f"{Path(path).name}: not valid YAML: {exc}") from None
    return parse(doc, Path(path).name)


# -- a request, checked against the store ----------------------------------------------
@dataclass(frozen=True)
class Request:
    metric: Metric
    by: tuple[Dimension, ...] = ()
    # dimension name -> the values it must take (resolved, as stored)
    filters: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None

    def with_period(self, since: date | None, until: date | None) -> Request:
        return Request(self.metric, self.by, self.filters, since, until)


def request(
    ctx: ToolContext,
    metric: Any,
    by: Any = (),
    filters: dict | None = None,
    since: Any = None,
    until: Any = None,
    the_layer: Layer | None = None,
) -> Request:
    """A request from a caller's arguments: names checked, filter values resolved."""
    lay = the_layer or layer()
    m = lay.metric(metric)
    if by is not None and not isinstance(by, str | list | tuple):
        raise UserError("by must be a list of dimension names")
    by_names = [by] if isinstance(by, str) else list(by or [])
    if len(by_names) > MAX_BY:
        raise UserError(f"group by at most {MAX_BY} dimensions, got {len(by_names)}")
    dims = tuple(lay.dimension(d, m) for d in by_names)
    if len({d.name for d in dims}) != len(dims):
        raise UserError("the same dimension is named twice in 'by'")
    if not isinstance(filters or {}, dict):
        raise UserError("filters must map a dimension to a value or a list of values")
    resolved: dict[str, tuple[Any, ...]] = {}
    for key, raw in (filters or {}).items():
        dim = lay.dimension(key, m, role="filter by")
        values = _filter_values(ctx, dim, raw)
        if values:
            resolved[dim.name] = values
    if m.aspect and "aspect" not in resolved and all(d.name != "aspect" for d in dims):
        raise UserError(
            f"{m.name} is about one aspect: name it in filters (aspect) or group by aspect",
            hint="e.g. filters {'aspect': 'delivery'}",
        )
    start, end = resolve.period(since, until)
    return Request(m, dims, resolved, start, end)


def _as_values(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, list | tuple | set):
        return [v for v in raw if v is not None and str(v).strip() != ""]
    return [raw] if str(raw).strip() != "" else []


_TRUE = {"true", "yes", "1", "verified", "y"}
_FALSE = {"false", "no", "0", "unverified", "n"}


def _filter_values(ctx: ToolContext, dim: Dimension, raw: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in _as_values(raw):
        out.append(_filter_value(ctx, dim, v))
    return tuple(dict.fromkeys(out))


def _filter_value(ctx: ToolContext, dim: Dimension, v: Any) -> Any:
    where = f"filter {dim.name}"
    if dim.kind == "bool":
        if isinstance(v, bool):
            return v
        text = str(v).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise UserError(f"{where}: {v!r} is not true or false")
    if dim.kind == "int":
        try:
            number = int(str(v).strip())
        except ValueError:
            raise UserError(f"{where}: {v!r} is not a whole number") from None
        if dim.name == "rating" and not 1 <= number <= 5:
            raise UserError(f"{where}: ratings are 1 to 5, got {number}")
        return number
    if dim.kind == "time":
        return _period_start(dim.grain or "day", v, where)
    text = str(v).strip()
    if len(text) > 200:
        raise UserError(f"{where}: value too long ({len(text)} characters)")
    if dim.resolve == "product":
        return resolve.product(ctx, text)["product_id"]
    if dim.resolve == "category":
        return resolve.category(ctx, text)
    if dim.resolve == "brand":
        return resolve.brand(ctx, text)
    if dim.resolve == "segment":
        from tools.segments import resolve_segments

        return resolve_segments([text])[0]
    if dim.resolve == "aspect":
        return resolve.aspect(ctx, text, _stored_aspects(ctx))
    return text


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)


def _period_start(grain: str, v: Any, where: str) -> date:
    """The first day of the ``grain`` period a filter value names ("2026-03", "2026-Q1")."""
    text = str(v).strip()
    try:
        if grain == "year":
            return date(int(text[:4]), 1, 1) if re.fullmatch(r"\d{4}", text) else _bad(text)
        if grain == "quarter":
            m = _QUARTER.match(text)
            if not m:
                return _bad(text)
            return date(int(m[1]), 3 * int(m[2]) - 2, 1)
        if grain == "month":
            if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
                return _bad(text)
            return date(int(text[:4]), int(text[5:7]), 1)
        day = date.fromisoformat(text[:10])
        return day - timedelta(days=day.weekday()) if grain == "week" else day
    except ValueError:
        examples = {"year": "2026", "quarter": "2026-Q1", "month": "2026-03"}
        raise UserError(
            f"{where}: {v!r} is not a {grain}", hint="e.g. " + examples.get(grain, "2026-03-02")
        ) from None


def _bad(text: str):
    raise ValueError(text)


def _stored_aspects(ctx: ToolContext) -> list[str]:
    def load() -> list[str]:
        if not _has_table(ctx, "review_aspects"):
            return []
        rows = ctx.cursor().execute("SELECT DISTINCT aspect FROM review_aspects").fetchall()
        return [r[0] for r in rows]

    # Cached per store generation: a scan of every aspect mention per question is
    # most of a small question's time.
    return ctx.cached("metric_layer:aspects", load)


def _has_table(ctx: ToolContext, name: str) -> bool:
    def load() -> bool:
        found = (
            ctx.cursor()
            .execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name])
            .fetchone()[0]
        )
        return bool(found)

    return ctx.cached(f"metric_layer:has:{name}", load)


# -- compiling --------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    sql: str
    params: list[Any]
    # key columns, then value, n, hits (None for non-rates), evidence, title
    keys: tuple[str, ...]
    totals: bool  # the statement also returns the scope's total (GROUPING SETS)


def time_key(dim: Dimension, fact: Fact) -> str:
    return f"CAST(date_trunc('{dim.grain}', {fact.time}) AS DATE)"


def key_expr(dim: Dimension, fact: Fact) -> str:
    return time_key(dim, fact) if dim.kind == "time" else str(dim.expr)


def compile_query(
    lay: Layer, req: Request, keys: tuple[Dimension, ...], totals: bool = False
) -> Query:
    """SELECT the metric grouped by ``keys`` over the request's scope.

    With ``totals`` the statement groups by GROUPING SETS ((keys), ()) so one scan
    returns the groups and the scope's total (the last column says which row is which).
    """
    m = req.metric
    fact = lay.facts[m.fact]
    grouped_by_aspect = any(d.name == "aspect" for d in keys)
    want_title = any(d.name == "product" for d in keys)
    aliases, rolled = _joins(lay, req, keys)
    params: list[Any] = []
    joins = []
    for alias in aliases:
        clause = fact.rollups[alias] if alias in rolled else fact.joins[alias]
        if alias == "ra":
            aspects = req.filters.get("aspect", ())
            where = " WHERE aspect IN (" + ", ".join("?" * len(aspects)) + ")" if aspects else ""
            params += list(aspects)
            clause = clause.replace("{aspect_key}", ", aspect" if grouped_by_aspect else "")
            clause = clause.replace("{aspect_where}", where)
        joins.append(clause)
    conds: list[str] = []
    if req.since:
        conds.append(f"{fact.time} >= ?")
        params.append(req.since)
    if req.until:
        conds.append(f"{fact.time} < ?")
        params.append(req.until + timedelta(days=1))
    for name, values in req.filters.items():
        dim = lay.dimensions[name]
        if dim.name == "aspect":
            if not m.aspect:  # only reviews naming the aspect; aspect metrics keep all
                conds.append("ra.review_id IS NOT NULL")
            continue
        marks = ", ".join("?" * len(values))
        # A brand may be stored in more than one case ("Acme", "ACME"): all are one brand.
        if dim.kind == "text" and dim.resolve in (None, "brand"):
            conds.append(f"lower({dim.expr}) IN ({', '.join(['lower(?)'] * len(values))})")
        else:
            conds.append(f"{key_expr(dim, fact)} IN ({marks})")
        params += list(values)
    key_cols = [f"{key_expr(d, fact)} AS k{i}" for i, d in enumerate(keys)]
    knames = [f"k{i}" for i in range(len(keys))]
    if m.per:
        if m.per_where:
            conds.append(m.per_where)
        return _two_step(fact, m, keys, joins, conds, params, key_cols, knames, want_title, totals)
    figure = m.value if not m.is_rate else f"({m.hits})::DOUBLE / nullif({m.n}, 0)"
    hits = m.hits if m.is_rate else "NULL"
    ev_filter = f" FILTER (WHERE {m.evidence_when})" if m.evidence_when else ""
    evidence = f"arg_max({fact.evidence}, {fact.time}, {EVIDENCE_PER_ROW}){ev_filter}"
    cols = [
        *key_cols,
        f"{figure} AS value",
        f"{m.n} AS n",
        f"{hits} AS hits",
        f"{evidence} AS evidence",
        "any_value(p.title) AS title" if want_title else "NULL AS title",
    ]
    if totals and keys:
        cols.append(f"grouping({', '.join(knames)}) <> 0 AS is_total")
    select = ", ".join(cols)
    if fact.grain and (
        not _fanned(fact, aliases, rolled) or (_unique_keys(fact, keys) and not totals)
    ):
        # One row per grain id (or per grain id within each group): counting distinct
        # ids is counting rows, at a fraction of the cost (no hash table of every id
        # per aggregate). The scope's total of a unique grouping still repeats ids.
        select = select.replace(f"count(DISTINCT {fact.grain})", f"count({fact.grain})")
    sql = f"SELECT {select} FROM {fact.source}"  # noqa: S608 -- identifiers from the yaml, values bound
    if joins:
        sql += " " + " ".join(joins)
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    if keys:
        group = ", ".join(knames)
        sql += f" GROUP BY GROUPING SETS (({group}), ())" if totals else f" GROUP BY {group}"
    return Query(sql, params, tuple(d.name for d in keys), totals and bool(keys))


def _two_step(
    fact: Fact,
    m: Metric,
    keys: tuple[Dimension, ...],
    joins: list[str],
    conds: list[str],
    params: list[Any],
    key_cols: list[str],
    knames: list[str],
    want_title: bool,
    totals: bool,
) -> Query:
    """A ``per`` metric: one row per ``per`` and group first, then the figure over those
    rows (a distinct count over the fact's rows becomes a count of rows)."""
    units = [f"{x} AS u{i}" for i, x in enumerate(m.per)]
    inner_cols = [*units, *key_cols, *(f"{x} AS {k}" for k, x in m.per_columns.items())]
    if want_title:
        inner_cols.append("any_value(p.title) AS title")
    inner = f"SELECT {', '.join(inner_cols)} FROM {fact.source}"  # noqa: S608 -- identifiers from the yaml, values bound
    if joins:
        inner += " " + " ".join(joins)
    if conds:
        inner += " WHERE " + " AND ".join(conds)
    inner += " GROUP BY " + ", ".join([f"u{i}" for i in range(len(m.per))] + knames)
    figure = m.value if not m.is_rate else f"({m.hits})::DOUBLE / nullif({m.n}, 0)"
    ev_filter = f" FILTER (WHERE {m.evidence_when})" if m.evidence_when else ""
    cols = [
        *knames,
        f"{figure} AS value",
        f"{m.n} AS n",
        f"{m.hits if m.is_rate else 'NULL'} AS hits",
        f"{m.evidence}{ev_filter} AS evidence",
        "any_value(title) AS title" if want_title else "NULL AS title",
    ]
    totals = totals and bool(keys)
    if totals:
        cols.append(f"grouping({', '.join(knames)}) <> 0 AS is_total")
    sql = f"SELECT {', '.join(cols)} FROM ({inner}) per_row"  # noqa: S608 -- identifiers from the yaml
    if keys:
        group = ", ".join(knames)
        sql += f" GROUP BY GROUPING SETS (({group}), ())" if totals else f" GROUP BY {group}"
    return Query(sql, params, tuple(d.name for d in keys), totals)


def _needs(lay: Layer, req: Request, keys: tuple[Dimension, ...]) -> list[str]:
    needs: list[str] = list(req.metric.needs)
    for d in keys:
        needs += d.needs
    for name in req.filters:
        needs += lay.dimensions[name].needs
    if any(d.name == "product" for d in keys):
        needs.append("p")  # the product's title
    return needs


def _joins(lay: Layer, req: Request, keys: tuple[Dimension, ...]) -> tuple[list[str], set[str]]:
    """The join aliases in order, and those taken in their rolled-up form: a fanning
    join no other join reads (a product dimension reads order lines; revenue does not)."""
    fact = lay.facts[req.metric.fact]
    aliases = _with_dependencies(fact, _needs(lay, req, keys))
    rolled = {
        a
        for a in aliases
        if a in fact.rollups and not any(a in _aliases(fact.joins[b]) for b in aliases if b != a)
    }
    return aliases, rolled


def _fanned(fact: Fact, aliases: list[str], rolled: set[str]) -> bool:
    return bool(set(fact.fans_out) & (set(aliases) - rolled))


def _unique_keys(fact: Fact, keys: tuple[Dimension, ...]) -> bool:
    return any(d.name in fact.unique_with for d in keys)


def total_apart(lay: Layer, req: Request) -> bool:
    """Whether the groups and the scope's total run as two statements: the groups' rows
    are unique per grain id and group (plain counts) but the total's are not (a
    GROUPING SETS statement would keep distinct counts for both)."""
    fact = lay.facts[req.metric.fact]
    if req.metric.per:
        # A unit (a customer and product) can fall in several groups (months): the
        # total counts it once, so it is counted over the units on their own.
        return any(d.name not in req.metric.per_within for d in req.by)
    if not fact.grain or not _unique_keys(fact, req.by):
        return False
    return _fanned(fact, *_joins(lay, req, req.by))


def _with_dependencies(fact: Fact, needs: list[str]) -> list[str]:
    """The joins in an order that works: a join naming another join's alias follows it."""
    out: list[str] = []

    def add(alias: str) -> None:
        if alias in out:
            return
        for dep in sorted(_aliases(fact.joins[alias]) & set(fact.joins) - {alias}):
            add(dep)
        out.append(alias)

    for alias in needs:
        add(alias)
    return out


# -- running ----------------------------------------------------------------------------
@dataclass
class Group:
    keys: dict[str, Any]  # dimension -> value as stored (dates for time dimensions)
    value: float | int | None
    n: int
    hits: int | None
    evidence: list[str]
    title: str | None = None


@dataclass
class Outcome:
    groups: list[Group]
    total: Group
    queries: list[Query]  # what ran, in order (for the benchmark's bare timing)


def prepare_cursor(ctx: ToolContext, cur, req: Request, lay: Layer) -> None:
    """Register what the request's SQL reads besides the store's tables."""
    dims = [*req.by, *(lay.dimensions[n] for n in req.filters)]
    needs = [a for d in dims for a in d.needs]
    if "seg" in needs:
        cur.register(SEGMENTS_VIEW, _segments(ctx))
    fact = lay.facts[req.metric.fact]
    clauses = " ".join(
        fact.joins[a] + " " + fact.rollups.get(a, "")
        for a in _with_dependencies(fact, _needs(lay, req, req.by))
    )
    for name in lay.derived:
        if re.search(rf"\b{name}\b", clauses):
            cur.register(name, derived_table(ctx, lay, name))
    if "ra" in needs or req.metric.aspect:
        if not _has_table(ctx, "review_aspects"):
            raise UserError(
                "no aspect labels in this workspace yet",
                hint="run the labelling step (insight prepare) first",
            )


def derived_table(ctx: ToolContext, lay: Layer, name: str):
    """A derived relation of the layer, as Arrow, built once per store generation."""

    def load():
        return ctx.cursor().sql(lay.derived[name]).to_arrow_table()

    return ctx.cached(f"metric_layer:derived:{name}", load)


def _segments(ctx: ToolContext):
    def load():
        import pyarrow as pa

        from tools.rfm import customer_table

        table, _ = customer_table(ctx.cursor())
        # Arrow, not pandas: DuckDB scans it without converting Python strings per query.
        return pa.Table.from_pandas(table[["customer_id", "segment"]], preserve_index=False)

    return ctx.cached("metric_layer:segments", load)


def run(ctx: ToolContext, req: Request, lay: Layer | None = None, cur=None) -> Outcome:
    """The groups of ``req.by`` (all of them, unsorted) and the scope's total.
    ``cur``: a cursor to reuse across the runs of one question (else a new one)."""
    lay = lay or layer()
    cur = cur if cur is not None else ctx.cursor()
    prepare_cursor(ctx, cur, req, lay)
    m = req.metric
    queries: list[Query] = []
    by_aspect = any(d.name == "aspect" for d in req.by)
    if req.by and not by_aspect and not total_apart(lay, req):
        q = compile_query(lay, req, req.by, totals=True)
        queries.append(q)
        rows = cur.execute(q.sql, q.params).fetchall()
        groups, total = [], None
        for row in rows:
            if row[-1]:
                total = _group(m, {}, row[len(req.by) :])
            else:
                groups.append(_group(m, dict(zip(q.keys, row, strict=False)), row[len(q.keys) :]))
        total = total or Group({}, None, 0, 0 if m.is_rate else None, [])
    else:
        total_q = compile_query(lay, req, ())
        queries.append(total_q)
        total = _group(m, {}, cur.execute(total_q.sql, total_q.params).fetchone())
        groups = []
        if req.by:
            q = compile_query(lay, req, req.by)
            queries.append(q)
            rows = cur.execute(q.sql, q.params).fetchall()
            groups = [
                _group(m, dict(zip(q.keys, row, strict=False)), row[len(q.keys) :]) for row in rows
            ]
            if m.aspect:
                # The denominator of an aspect share is every review in scope, not only
                # the reviews naming the aspect: n comes from the scope without aspects.
                rest = tuple(d for d in req.by if d.name != "aspect")
                scope_n = {(): total.n}
                if rest:
                    dq = compile_query(lay, req, rest)
                    queries.append(dq)
                    scope_n = {
                        tuple(r[: len(rest)]): int(r[len(rest) + 1] or 0)
                        for r in cur.execute(dq.sql, dq.params).fetchall()
                    }
                for g in groups:
                    n = scope_n.get(tuple(g.keys[d.name] for d in rest), 0)
                    g.n = n
                    g.value = m.figure(g.hits / n) if n and g.hits is not None else None
    groups = [g for g in groups if all(v is not None for v in g.keys.values())]
    return Outcome(groups, total, queries)


def _group(m: Metric, keys: dict[str, Any], cells) -> Group:
    value, n, hits, evidence, title = cells[:5]
    ids = list(dict.fromkeys(str(i) for i in (evidence or []) if i is not None))
    return Group(
        keys=keys,
        value=m.figure(value),
        n=int(n or 0),
        hits=int(hits or 0) if m.is_rate else None,
        evidence=ids[:EVIDENCE_PER_ROW],
        title=title,
    )


def data_span(ctx: ToolContext, metric: Metric, lay: Layer | None = None) -> tuple[date, date]:
    """First and last day of the metric's records (for open periods and comparisons)."""
    lay = lay or layer()
    fact = lay.facts[metric.fact]

    def load():
        row = (
            ctx.cursor()
            .execute(
                f"SELECT CAST(min({fact.time}) AS DATE), CAST(max({fact.time}) AS DATE) "  # noqa: S608 -- identifiers from the yaml
                f"FROM {fact.source}"
            )
            .fetchone()
        )
        return (row[0], row[1]) if row and row[0] is not None else (None, None)

    return ctx.cached(f"metric_layer:span:{fact.name}", load)
