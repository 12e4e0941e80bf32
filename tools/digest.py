"""What changed: the period against the one before, ranked by impact.

Each detector compares a figure of the metric layer (tools/metric_layer.py) between the
digest's period and the period of the same length just before it, per product,
category, aspect, segment or ticket subject, and keeps a change only when it passes the
shop's rules (tools/digest_rules.yaml): enough records in both periods, a large enough
change and a one-sided two-proportion z-test (so a product with four reviews, one of
them angry, is not news). Each item says what changed, where, since when (the day the
daily series splits best into a before and an after), how big (figures with n and 95%
Wilson intervals), shows the records behind it and suggests what to do.

Signals about the same thing are one item: a product whose battery complaints spiked
and whose returns rose is one card with the return wave as corroboration, and a
category whose rise is that product's is not a second card.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, NotRequired

import yaml
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from assistant.errors import UserError
from tools import aliases, resolve
from tools import metric_layer as ml
from tools.analyze import _compare_period
from tools.context import ToolContext
from tools.insights import wilson
from tools.spec import ToolSpec, strict

RULES_FILE = Path(__file__).with_name("digest_rules.yaml")
DETECTORS = (
    "complaint_spike",
    "rating_drop",
    "return_wave",
    "cancel_wave",
    "new_topic",
    "at_risk_customers",
    "segment_shift",
    "ticket_surge",
)
LEVELS = ("product", "category")
QUOTE_CHARS = 220
MAX_PERIOD_DAYS = 366


# -- the rules ------------------------------------------------------------------------
class RulesError(ValueError):
    """digest_rules.yaml is malformed; the message names the entry."""


@dataclass(frozen=True)
class Detector:
    name: str
    enabled: bool = True
    levels: tuple[str, ...] = LEVELS
    min_n: int = 1
    min_hits: int = 1
    min_change: float = 0.0
    z: float = 1.96
    impact: float = 1.0
    action: str = ""
    # The action in other languages (``action_zh``: Chinese), by language code.
    actions: dict[str, str] = field(default_factory=dict)
    max_before: int = 0
    top_share: float = 0.1
    min_customers: int = 1
    min_now: int = 1
    min_ratio: float = 1.0


@dataclass(frozen=True)
class Rules:
    period_days: int
    max_items: int
    quotes_per_item: int
    lookback_periods: int
    baseline_periods: int
    detectors: dict[str, Detector] = field(default_factory=dict)


# Actions in other languages than English, by language code -> their key in a rule.
ACTION_KEYS = {"zh": "action_zh"}
_NUMBERS = {
    "min_n": int, "min_hits": int, "max_before": int, "min_customers": int, "min_now": int,
    "min_change": float, "z": float, "impact": float, "top_share": float, "min_ratio": float,
}  # fmt: skip


def parse_rules(doc: Any, source: str = "digest_rules.yaml") -> Rules:
    """Check a loaded rules document; errors say which entry is wrong and why."""
    if not isinstance(doc, dict):
        raise RulesError(f"{source}: expected a mapping")
    top = {
        "period_days", "max_items", "quotes_per_item", "lookback_periods", "baseline_periods",
        "detectors",
    }  # fmt: skip
    if set(doc) - top:
        raise RulesError(f"{source}: unknown key(s) {sorted(set(doc) - top)}")

    def whole(key: str, low: int, high: int) -> int:
        value = doc.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise RulesError(f"{source}: {key} must be a whole number {low}..{high}, got {value!r}")
        return value

    dets = doc.get("detectors")
    if not isinstance(dets, dict):
        raise RulesError(f"{source}: detectors must map a detector name to its rules")
    detectors: dict[str, Detector] = {}
    for name, entry in dets.items():
        where = f"{source}: detector {name!r}"
        if name not in DETECTORS:
            raise RulesError(f"{where}: unknown detector (known: {', '.join(DETECTORS)})")
        if not isinstance(entry, dict):
            raise RulesError(f"{where}: expected a mapping")
        known = {"enabled", "levels", "action", *ACTION_KEYS.values(), *_NUMBERS}
        if set(entry) - known:
            raise RulesError(f"{where}: unknown key(s) {sorted(set(entry) - known)}")
        values: dict[str, Any] = {"name": name}
        for key, kind in _NUMBERS.items():
            if key not in entry:
                continue
            raw = entry[key]
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                raise RulesError(f"{where}: {key} must be a number >= 0, got {raw!r}")
            if kind is int and raw != int(raw):
                raise RulesError(f"{where}: {key} must be a whole number, got {raw!r}")
            values[key] = kind(raw)
        if "enabled" in entry:
            if not isinstance(entry["enabled"], bool):
                raise RulesError(f"{where}: enabled must be true or false")
            values["enabled"] = entry["enabled"]
        if "levels" in entry:
            levels = entry["levels"]
            if not isinstance(levels, list) or not levels or set(levels) - set(LEVELS):
                raise RulesError(f"{where}: levels must be a list of {LEVELS}, got {levels!r}")
            values["levels"] = tuple(levels)
        if "action" in entry:
            values["action"] = " ".join(str(entry["action"]).split())
        worded = {lang: entry[key] for lang, key in ACTION_KEYS.items() if key in entry}
        for lang, text in worded.items():
            if not isinstance(text, str) or not text.strip():
                raise RulesError(f"{where}: {ACTION_KEYS[lang]} must be a text")
        values["actions"] = {lang: " ".join(text.split()) for lang, text in worded.items()}
        if values.get("top_share", 0.1) > 1:
            raise RulesError(f"{where}: top_share is a share, 0..1")
        detectors[name] = Detector(**values)
    return Rules(
        period_days=whole("period_days", 1, MAX_PERIOD_DAYS),
        max_items=whole("max_items", 1, 100),
        quotes_per_item=whole("quotes_per_item", 0, 10),
        lookback_periods=whole("lookback_periods", 1, 24),
        baseline_periods=whole("baseline_periods", 1, 24),
        detectors=detectors,
    )


def load_rules(path: Path | str = RULES_FILE) -> Rules:
    path = Path(path)
    return _load_rules(path, path.stat().st_mtime_ns if path.exists() else 0)


@functools.lru_cache(maxsize=8)
def _load_rules(path: Path, _mtime: int) -> Rules:
    # Keyed by modification time: a shop's edit is read without a restart.
    if not path.exists():
        raise RulesError(f"no digest rules file at {path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_rules(doc, path.name)


def rules_for(ctx: ToolContext) -> Rules:
    """The workspace's own rules (digest_rules.yaml in its directory) or the shipped ones."""
    # The workspace directory holds models/; a shop's own rules sit beside it.
    if ctx.models_dir is not None:
        own = Path(ctx.models_dir).parent / RULES_FILE.name
        if own.exists():
            return load_rules(own)
    return load_rules()


# -- statistics -----------------------------------------------------------------------
def z_two_proportions(h1: int, n1: int, h0: int, n0: int) -> float | None:
    """One-sided z of a rise from h0/n0 to h1/n1 (pooled standard error)."""
    if n1 <= 0 or n0 <= 0:
        return None
    pooled = (h1 + h0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return None
    return (h1 / n1 - h0 / n0) / se


def z_counts(now: int, before: int) -> float | None:
    """z of ``now`` against ``before`` when both are Poisson counts of equal exposure
    (given their sum, ``now`` is binomial with p = 1/2 under no change)."""
    total = now + before
    if total <= 0:
        return None
    return (now - total / 2) / math.sqrt(total / 4)


def change_point(days: list[tuple[date, float, float]], kind: str = "rate") -> date | None:
    """The first day of the "after" segment that best splits a daily series in two.

    ``days`` are (day, hits, n) for rates (binomial likelihood) or (day, sum, n) for
    means (least squares on the daily means weighted by n). Only a split with a higher
    level after it counts (a rise; callers pass a negated series for drops)."""
    days = [d for d in days if d[2] > 0]
    if len(days) < 2:
        return days[0][0] if days else None
    total_h = sum(d[1] for d in days)
    total_n = sum(d[2] for d in days)
    best, best_day = -math.inf, None
    h0 = n0 = 0.0
    for i in range(1, len(days)):
        h0 += days[i - 1][1]
        n0 += days[i - 1][2]
        h1, n1 = total_h - h0, total_n - n0
        p0, p1 = h0 / n0, h1 / n1
        if p1 <= p0:
            continue
        score = _loglik(h0, n0) + _loglik(h1, n1) if kind == "rate" else n0 * p0 * p0 + n1 * p1 * p1
        if score > best:
            best, best_day = score, days[i][0]
    return best_day


def _loglik(h: float, n: float) -> float:
    p = h / n
    out = 0.0
    if 0 < p:
        out += h * math.log(p)
    if p < 1:
        out += (n - h) * math.log(1 - p)
    return out


# -- result types -----------------------------------------------------------------------
class Figure(TypedDict):
    value: float | None
    n: int
    hits: int | None
    ci: list[float] | None


class Where(TypedDict):
    level: Literal["product", "category", "shop", "segment", "subject", "customers"]
    id: str
    label: str


class Point(TypedDict):
    period: str
    value: float | None
    n: int


class Item(TypedDict):
    kind: str
    baseline: list[str]  # first and last day of the period the figures are compared with
    title: str
    where: Where
    aspect: str | None
    since: str | None
    now: Figure
    before: Figure
    change: float | None
    z: float | None
    impact: float
    evidence: list[dict[str, Any]]
    also: list[str]
    # ``also`` in parts, line for line, for answers in other languages than English.
    also_parts: NotRequired[list[dict[str, Any]]]
    action: str
    actions: NotRequired[dict[str, str]]  # the action in other languages, by language code
    series: list[Point]


@strict
class DigestResult(TypedDict):
    since: str
    until: str
    compare_since: str
    compare_until: str
    items: list[Item]
    tested: dict[str, int]
    interpretation: str
    notes: list[str]


# -- the period -------------------------------------------------------------------------
def digest_period(
    ctx: ToolContext, since: Any = None, until: Any = None, period_days: int | None = None
) -> tuple[date, date, date, date]:
    """(start, end, previous start, previous end): ``until`` defaults to the last day of
    the shop's data, not today, so an old export still has a "last 30 days"."""
    start, end = resolve.period(since, until)
    if period_days is not None and since is not None:
        raise UserError("give since or a period length, not both")
    if period_days is not None and not 1 <= int(period_days) <= MAX_PERIOD_DAYS:
        raise UserError(f"period must be 1 to {MAX_PERIOD_DAYS} days, got {period_days}")
    lay = ml.layer()
    if end is None:
        last = [ml.data_span(ctx, lay.metric(m))[1] for m in ("review_count", "orders", "tickets")]
        last = [d for d in last if d is not None]
        if not last:
            raise UserError("the shop has no orders, reviews or tickets yet")
        end = max(last)
    if start is None:
        days = int(period_days or rules_for(ctx).period_days)
        start = end - timedelta(days=days - 1)
    length = (end - start).days + 1
    if length > MAX_PERIOD_DAYS:
        raise UserError(f"the period is {length} days; at most {MAX_PERIOD_DAYS}")
    # Whole calendar months compare with as many whole months before (March against
    # February, not against the 31 days before March), as analyze does.
    prev_start, prev_end = _compare_period("previous", start, end)
    return start, end, prev_start, prev_end


# -- the engine -------------------------------------------------------------------------
@dataclass
class _Scan:
    ctx: ToolContext
    rules: Rules
    start: date
    end: date
    prev_start: date
    prev_end: date
    tested: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def lookback_start(self) -> date:
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days * self.rules.lookback_periods)

    @property
    def wide_start(self) -> date:
        days = (self.end - self.start).days + 1
        return self.prev_end - timedelta(days=days * self.rules.baseline_periods - 1)

    def run(
        self,
        metric: str,
        by: list[str],
        filters: dict | None = None,
        prev: bool = False,
        wide: bool = False,
    ):
        period = (self.prev_start, self.prev_end) if prev else (self.start, self.end)
        if wide:
            period = (self.wide_start, self.prev_end)
        req = ml.request(self.ctx, metric, by, filters or {}, *[d.isoformat() for d in period])
        return ml.run(self.ctx, req)


def digest(
    ctx: ToolContext,
    since: str | None = None,
    until: str | None = None,
    period_days: int | None = None,
    limit: int | None = None,
) -> dict:
    """What changed in the period against the one before, ranked by impact."""
    rules = rules_for(ctx)
    start, end, p_start, p_end = digest_period(ctx, since, until, period_days)
    scan = _Scan(ctx, rules, start, end, p_start, p_end)
    items: list[Item] = []
    for name in DETECTORS:
        det = rules.detectors.get(name)
        if det is None or not det.enabled:
            continue
        items += DETECT[name](scan, det)
    items = _merge(items, _categories(ctx))
    items.sort(key=lambda i: (-i["impact"], i["title"]))
    cap = min(int(limit), rules.max_items) if limit else rules.max_items
    if len(items) > cap:
        scan.notes.append(f"{cap} of {len(items)} changes shown")
        items = items[:cap]
    for item in items:
        _attach_evidence(scan, item)
    days = (end - start).days + 1
    tested = sum(scan.tested.values())
    return {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "compare_since": p_start.isoformat(),
        "compare_until": p_end.isoformat(),
        "items": items,
        "tested": scan.tested,
        "interpretation": (
            f"what changed from {start.isoformat()} to {end.isoformat()} ({days} days) against "
            f"{p_start.isoformat()} to {p_end.isoformat()}; {tested} comparisons tested, a "
            f"change is shown when it is large, backed by enough records in both periods and "
            f"unlikely to be chance (one-sided z-test), ranked by excess records x impact"
        ),
        "notes": scan.notes,
    }


def _figure(hits: int | None, n: int, value: float | None = None) -> Figure:
    if hits is not None:
        share = round(hits / n, 4) if n else None
        return {"value": share, "n": n, "hits": hits, "ci": wilson(hits, n)}
    return {"value": value, "n": n, "hits": None, "ci": None}


def _action(text: str, **names: str) -> str:
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


def _actions(det: Detector, **names: str) -> dict:
    """The item's ``action`` (English) and, where the rules word it in other languages
    too, ``actions`` by language, with an aspect named in that language."""
    out: dict[str, Any] = {"action": _action(det.action, **names)}
    worded = {}
    for lang, text in det.actions.items():
        local = dict(names)
        if local.get("aspect"):
            local["aspect"] = aliases.aspect_label(local["aspect"], lang)
        worded[lang] = _action(text, **local)
    if worded:
        out["actions"] = worded
    return out


def _label(level: str, key: Any, title: str | None) -> str:
    return f"{title} ({key})" if level == "product" and title else str(key)


# -- rate rises: complaints per aspect, returns, cancellations ---------------------------
RATE_METRICS = {
    "complaint_spike": "aspect_complaint_share",
    "return_wave": "return_rate",
    "cancel_wave": "cancel_rate",
}
RATE_WORDS = {
    "complaint_spike": "Complaints about {aspect} rose",
    "return_wave": "Returns rose",
    "cancel_wave": "Cancellations rose",
}


def _rate_rises(scan: _Scan, det: Detector) -> list[Item]:
    metric = RATE_METRICS[det.name]
    items: list[Item] = []
    for level in det.levels:
        by = [level, "aspect"] if metric == "aspect_complaint_share" else [level]
        now = scan.run(metric, by)
        # The baseline is the periods before (baseline_periods of them): one quiet
        # month before is not "normal", and a slow seller needs more than 3 reviews.
        prior, counts = _baseline(scan, metric, by, level, wide=True)
        for g in now.groups:
            key = tuple(g.keys.values())
            h1, n1 = g.hits or 0, g.n
            b = prior.get(key)
            h0 = (b.hits or 0) if b else 0
            n0 = b.n if b else counts.get(key[:1], 0)
            if n1 < det.min_n or n0 < det.min_n:
                continue
            scan.tested[det.name] = scan.tested.get(det.name, 0) + 1
            change = h1 / n1 - h0 / n0
            z = z_two_proportions(h1, n1, h0, n0)
            if h1 < det.min_hits or change < det.min_change or z is None or z < det.z:
                continue
            at, ident = level, key[0]
            aspect = key[1] if len(key) > 1 else None
            where = _label(at, ident, g.title)
            said = _top_complaint(scan, level, ident) if aspect is None else None
            if said:
                aspect = said[0]
            driver = _driver(scan, metric, level, ident, aspect, h1 - n1 * h0 / n0)
            if driver is not None:
                # The category's rise is one product's: the card is about that product,
                # tested at the category (its own records are too few for the test).
                said = (
                    aspect,
                    f"{where}: {_pct(h1 / n1)} of {n1} vs {_pct(h0 / n0)} of {n0}",
                    {"kind": "figures", "where": where, "level": at, "share": h1 / n1,
                     "n": n1, "before_share": h0 / n0, "before_n": n0},
                )  # fmt: skip
                at, ident, where, g, (h1, n1, h0, n0) = driver
                change = h1 / n1 - h0 / n0 if n0 else h1 / n1
            on_aspect = aspect if metric == "aspect_complaint_share" else None
            filters = {at: ident, **({"aspect": on_aspect} if on_aspect else {})}
            series, since = _rate_history(scan, metric, filters)
            if said and metric != "aspect_complaint_share":
                # Returns count by order day, and units bought shortly before a problem
                # surfaces come back too: the problem's start is when buyers began to
                # complain about it, the order-day start is kept beside it.
                _points, spoke = _rate_history(
                    scan, "aspect_complaint_share", {at: ident, "aspect": said[0]}
                )
                if spoke and since and spoke != since:
                    said = (
                        said[0],
                        f"{said[1]}; the orders affected were placed from {since}",
                        {**said[2], "orders_from": since},
                    )
                    since = spoke
            items.append(
                {
                    "kind": det.name,
                    "baseline": [scan.wide_start.isoformat(), scan.prev_end.isoformat()],
                    "title": f"{RATE_WORDS[det.name].format(aspect=aspect)} for {where}",
                    "where": {"level": at, "id": str(ident), "label": where},
                    "aspect": aspect,
                    "since": since,
                    "now": _figure(h1, n1),
                    "before": _figure(h0, n0),
                    "change": round(change, 4),
                    "z": round(z, 2) if driver is None else None,
                    # Excess affected records: those above what the old rate predicts.
                    "impact": round(det.impact * change * n1, 2),
                    "evidence": [{"id": i} for i in g.evidence],
                    "also": [said[1]] if said else [],
                    "also_parts": [said[2]] if said else [],
                    **_actions(det, where=where, aspect=aspect or "", since=since or ""),
                    "series": series,
                }
            )
    return items


DRIVER_SHARE = 0.5


def _driver(scan: _Scan, metric: str, level: str, ident: Any, aspect: str | None, excess: float):
    """The product behind a category's rise, when one product accounts for at least
    half of the category's excess records: (level, id, label, group, figures)."""
    if level != "category" or excess <= 0:
        return None
    filters = {
        "category": ident,
        **({"aspect": aspect} if metric == "aspect_complaint_share" else {}),
    }
    now = scan.run(metric, ["product"], filters)
    before = {
        g.keys["product"]: g
        for g in scan.run(metric, ["product"], filters, prev=True, wide=True).groups
    }
    best = None
    for g in now.groups:
        b = before.get(g.keys["product"])
        h1, n1 = g.hits or 0, g.n
        h0, n0 = ((b.hits or 0), b.n) if b else (0, 0)
        if not n1:
            continue
        extra = h1 - n1 * (h0 / n0 if n0 else 0.0)
        if best is None or extra > best[0]:
            best = (extra, g, (h1, n1, h0, n0))
    if best is None or best[0] < DRIVER_SHARE * excess:
        return None
    _extra, g, figures = best
    pid = g.keys["product"]
    return "product", pid, _label("product", pid, g.title), g, figures


def _top_complaint(scan: _Scan, level: str, ident: Any) -> tuple[str, str, dict] | None:
    """The aspect whose complaint share rose most for a product or category whose
    returns, cancellations or rating moved: what the buyers say went wrong."""
    filters = {level: ident}
    now = scan.run("aspect_complaint_share", ["aspect"], filters)
    before = {
        g.keys["aspect"]: g
        for g in scan.run(
            "aspect_complaint_share", ["aspect"], filters, prev=True, wide=True
        ).groups
    }
    best: tuple[float, str, str] | None = None
    for g in now.groups:
        b = before.get(g.keys["aspect"])
        h1, n1 = g.hits or 0, g.n
        h0 = (b.hits or 0) if b else 0
        n0 = b.n if b else 0
        if h1 < 2 or not n1:
            continue
        rise = h1 / n1 - (h0 / n0 if n0 else 0.0)
        if rise > 0 and (best is None or rise > best[0]):
            line = (
                f"buyers complain most about {g.keys['aspect']}: {h1} of {n1} reviews"
                f" ({_pct(h1 / n1)}), before {h0} of {n0}"
            )
            part = {"kind": "top_complaint", "aspect": str(g.keys["aspect"]), "hits": h1,
                    "n": n1, "share": h1 / n1, "before_hits": h0, "before_n": n0}  # fmt: skip
            best = (rise, str(g.keys["aspect"]), line, part)
    return (best[1], best[2], best[3]) if best else None


def _baseline(scan: _Scan, metric: str, by: list[str], level: str, wide: bool):
    """Groups of the baseline period by key, and the records per ``level`` key there
    (a product nobody complained about before has no aspect group, but has reviews)."""
    prior = {tuple(g.keys.values()): g for g in scan.run(metric, by, prev=True, wide=wide).groups}
    counts: dict[tuple, int] = {}
    if metric == "aspect_complaint_share":
        counts = {
            tuple(g.keys.values()): g.n
            for g in scan.run("review_count", [level], prev=True, wide=wide).groups
        }
    return prior, counts


def _rate_history(scan: _Scan, metric: str, filters: dict) -> tuple[list[Point], str | None]:
    """Weekly points for the sparkline and the start day of the rise, from the daily
    series over the lookback window (the layer's figures, grouped by day)."""
    req = ml.request(
        scan.ctx, metric, ["day"], filters, scan.lookback_start.isoformat(), scan.end.isoformat()
    )
    daily = sorted(ml.run(scan.ctx, req).groups, key=lambda g: g.keys["day"])
    days = [(g.keys["day"], float(g.hits or 0), float(g.n)) for g in daily]
    start = change_point(days)
    return _weekly(days, scan, rate=True), start.isoformat() if start else None


def _weekly(days: list[tuple[date, float, float]], scan: _Scan, rate: bool) -> list[Point]:
    weeks: dict[date, list[float]] = {}
    first = scan.lookback_start - timedelta(days=scan.lookback_start.weekday())
    monday = first
    while monday <= scan.end:
        weeks[monday] = [0.0, 0.0]
        monday += timedelta(days=7)
    for day, hits, n in days:
        slot = weeks.setdefault(day - timedelta(days=day.weekday()), [0.0, 0.0])
        slot[0] += hits
        slot[1] += n
    out: list[Point] = []
    for monday, (hits, n) in sorted(weeks.items()):
        value = round(hits / n, 4) if rate and n else (None if rate else hits)
        out.append({"period": monday.isoformat(), "value": value, "n": int(n)})
    return out


# -- rating drops -----------------------------------------------------------------------
def _rating_drops(scan: _Scan, det: Detector) -> list[Item]:
    items: list[Item] = []
    sd = _rating_sd(scan)
    if not sd:
        return items
    for level in det.levels:
        now, before = (
            scan.run("average_rating", [level]),
            scan.run("average_rating", [level], prev=True),
        )
        prior = {tuple(g.keys.values()): g for g in before.groups}
        for g in now.groups:
            b = prior.get(tuple(g.keys.values()))
            if b is None or g.n < det.min_n or b.n < det.min_n:
                continue
            if g.value is None or b.value is None:
                continue
            scan.tested[det.name] = scan.tested.get(det.name, 0) + 1
            drop = float(b.value) - float(g.value)
            z = drop / (sd * math.sqrt(1 / g.n + 1 / b.n))
            if drop < det.min_change or z < det.z:
                continue
            ident = g.keys[level]
            where = _label(level, ident, g.title)
            said = _top_complaint(scan, level, ident)
            req = ml.request(
                scan.ctx,
                "average_rating",
                ["day"],
                {level: ident},
                scan.lookback_start.isoformat(),
                scan.end.isoformat(),
            )
            daily = sorted(ml.run(scan.ctx, req).groups, key=lambda x: x.keys["day"])
            # A drop in the mean is a rise in (5 - rating): the same split search.
            days = [(x.keys["day"], (5 - float(x.value)) * x.n, float(x.n)) for x in daily]
            start = change_point(days, kind="mean")
            series = [
                {**p, "value": round(5 - p["value"], 2) if p["value"] is not None else None}
                for p in _weekly(days, scan, rate=True)
            ]
            items.append(
                {
                    "kind": det.name,
                    "baseline": [scan.prev_start.isoformat(), scan.prev_end.isoformat()],
                    "title": f"Average rating fell for {where}",
                    "where": {"level": level, "id": str(ident), "label": where},
                    "aspect": None,
                    "since": start.isoformat() if start else None,
                    "now": _figure(None, g.n, float(g.value)),
                    "before": _figure(None, b.n, float(b.value)),
                    "change": round(-drop, 2),
                    "z": round(z, 2),
                    # Stars lost across the period's reviews, in "record" units.
                    "impact": round(det.impact * drop * g.n / 4, 2),
                    "evidence": [{"id": i} for i in g.evidence],
                    "also": [said[1]] if said else [],
                    "also_parts": [said[2]] if said else [],
                    **_actions(det, where=where),
                    "series": series,
                }
            )
    return items


def _rating_sd(scan: _Scan) -> float | None:
    row = (
        scan.ctx.cursor()
        .execute(
            "SELECT stddev_samp(rating) FROM reviews WHERE created_at >= ? AND created_at < ?",
            [scan.prev_start, scan.end + timedelta(days=1)],
        )
        .fetchone()
    )
    return float(row[0]) if row and row[0] else None


# -- new topics ---------------------------------------------------------------------------
def _new_topics(scan: _Scan, det: Detector) -> list[Item]:
    now = scan.run("aspect_complaint_share", ["aspect"])
    before = {
        g.keys["aspect"]: g
        for g in scan.run("aspect_complaint_share", ["aspect"], prev=True).groups
    }
    items: list[Item] = []
    for g in now.groups:
        aspect = g.keys["aspect"]
        b = before.get(aspect)
        h0, n0 = ((b.hits or 0), b.n) if b else (0, 0)
        scan.tested[det.name] = scan.tested.get(det.name, 0) + 1
        if (g.hits or 0) < det.min_hits or h0 > det.max_before:
            continue
        series, since = _rate_history(scan, "aspect_complaint_share", {"aspect": aspect})
        items.append(
            {
                "kind": det.name,
                "baseline": [scan.prev_start.isoformat(), scan.prev_end.isoformat()],
                "title": f"New complaint topic: {aspect}",
                "where": {"level": "shop", "id": str(aspect), "label": "the whole shop"},
                "aspect": aspect,
                "since": since,
                "now": _figure(g.hits or 0, g.n),
                "before": _figure(h0, n0),
                "change": (g.hits or 0) - h0,
                "z": None,
                "impact": round(det.impact * ((g.hits or 0) - h0), 2),
                "evidence": [{"id": i} for i in g.evidence],
                "also": [],
                "also_parts": [],
                **_actions(det, aspect=str(aspect)),
                "series": series,
            }
        )
    return items


# -- high-value customers newly at risk -------------------------------------------------
AT_RISK_SQL = """
WITH spend AS (
  SELECT o.customer_id, sum(coalesce(i.quantity, 1) * i.unit_price) AS spend
  FROM orders o JOIN order_items i ON i.order_id = o.order_id
  WHERE o.status = 'completed' AND o.ordered_at < ?
  GROUP BY o.customer_id
), top AS (
  SELECT customer_id, spend FROM spend
  WHERE spend >= (SELECT quantile_cont(spend, ?) FROM spend)
), bad AS (
  SELECT customer_id, 'returned order ' || order_id AS what, ordered_at AS at
  FROM orders WHERE status = 'returned' AND ordered_at >= ? AND ordered_at < ?
  UNION ALL
  SELECT customer_id, 'review ' || review_id || ' (' || rating || '★)', created_at
  FROM reviews WHERE rating <= 2 AND created_at >= ? AND created_at < ?
  UNION ALL
  SELECT customer_id, 'ticket ' || ticket_id, opened_at
  FROM tickets WHERE opened_at >= ? AND opened_at < ?
)
SELECT t.customer_id, t.spend, list(b.what ORDER BY b.at DESC)[1:3] AS what, min(b.at) AS first
FROM top t JOIN bad b ON b.customer_id = t.customer_id
GROUP BY t.customer_id, t.spend ORDER BY t.spend DESC
"""


def _at_risk(scan: _Scan, det: Detector) -> list[Item]:
    def bad_customers(start: date, end: date) -> list[tuple]:
        stop = end + timedelta(days=1)
        params = [start, 1 - det.top_share, start, stop, start, stop, start, stop]
        return scan.ctx.cursor().execute(AT_RISK_SQL, params).fetchall()

    now = bad_customers(scan.start, scan.end)
    before = bad_customers(scan.prev_start, scan.prev_end)
    earlier = {r[0] for r in before}
    # Newly at risk: a bad experience in this period and none in the one before.
    fresh = [r for r in now if r[0] not in earlier]
    scan.tested[det.name] = 1
    z = z_counts(len(fresh), len(before))
    if len(fresh) < det.min_customers or z is None or z < det.z:
        return []
    first = min(r[3] for r in fresh)
    return [
        {
            "kind": det.name,
            "baseline": [scan.prev_start.isoformat(), scan.prev_end.isoformat()],
            "title": f"{len(fresh)} high-value customers had a bad experience",
            "where": {
                "level": "customers",
                "id": "top_spenders",
                "label": f"top {det.top_share:.0%} of buyers by spend",
            },
            "aspect": None,
            "since": first.date().isoformat() if hasattr(first, "date") else str(first)[:10],
            "now": _figure(None, len(fresh), float(len(fresh))),
            "before": _figure(None, len(before), float(len(before))),
            "change": float(len(fresh) - len(before)),
            "z": round(z, 2),
            "impact": round(det.impact * (len(fresh) - len(before)), 2),
            "evidence": [
                {"customer_id": r[0], "spend": round(float(r[1]), 2), "what": list(r[2])}
                for r in fresh[:50]
            ],
            "also": [],
            "also_parts": [],
            **_actions(det),
            "series": [],
        }
    ]


# -- segment shifts ---------------------------------------------------------------------
SNAPSHOT_SQL = """
SELECT customer_id,
  count(*) FILTER (WHERE status = 'completed') AS orders,
  max(ordered_at) FILTER (WHERE status IN ('completed', 'returned')) AS last_contact
FROM orders WHERE ordered_at < ?
GROUP BY customer_id HAVING count(*) FILTER (WHERE status = 'completed') > 0
"""


def segment_snapshot(ctx: ToolContext, as_of: date) -> dict[str, str]:
    """Each buyer's RFM segment as the shop stood at the end of ``as_of``, scored as
    tools/rfm.py scores today's (R and F by rank among the buyers of the time).

    The layer's segment dimension is today's segment, and today's segment of a
    period's buyers mostly says how recently they bought: comparing it across periods
    shows the calendar, not a shift. Two snapshots compare like with like."""
    import pandas as pd

    from tools.rfm import score_1_to_5, segment_name

    stop = as_of + timedelta(days=1)
    df = ctx.cursor().execute(SNAPSHOT_SQL, [stop]).df()
    if df.empty:
        return {}
    recency = (pd.Timestamp(stop) - pd.to_datetime(df["last_contact"])).dt.days
    r, f = score_1_to_5(-recency), score_1_to_5(df["orders"])
    return {
        str(c): segment_name(int(a), int(b))
        for c, a, b in zip(df["customer_id"], r, f, strict=True)
    }


def _segment_shifts(scan: _Scan, det: Detector) -> list[Item]:
    now = segment_snapshot(scan.ctx, scan.end)
    before = segment_snapshot(scan.ctx, scan.prev_end)
    n1, n0 = len(now), len(before)
    items: list[Item] = []
    if n1 < det.min_n or n0 < det.min_n:
        return items
    count_now: dict[str, int] = {}
    for seg in now.values():
        count_now[seg] = count_now.get(seg, 0) + 1
    count_before: dict[str, int] = {}
    for seg in before.values():
        count_before[seg] = count_before.get(seg, 0) + 1
    for seg in sorted(set(count_now) | set(count_before)):
        h1, h0 = count_now.get(seg, 0), count_before.get(seg, 0)
        scan.tested[det.name] = scan.tested.get(det.name, 0) + 1
        change = h1 / n1 - h0 / n0
        rise, fall = z_two_proportions(h1, n1, h0, n0), z_two_proportions(h0, n0, h1, n1)
        strength = max(rise or 0, fall or 0)
        if abs(change) < det.min_change or strength < det.z:
            continue
        moved = sorted(c for c, s in now.items() if s == seg and before.get(c) != seg)
        left = sorted(c for c, s in before.items() if s == seg and now.get(c) != seg)
        way = "grew" if change > 0 else "shrank"
        items.append(
            {
                "kind": det.name,
                "baseline": [scan.prev_start.isoformat(), scan.prev_end.isoformat()],
                "title": f"The {seg} segment {way}",
                "where": {"level": "segment", "id": seg, "label": seg},
                "aspect": None,
                "since": None,
                "now": _figure(h1, n1),
                "before": _figure(h0, n0),
                "change": round(change, 4),
                "z": round(strength, 2),
                "impact": round(det.impact * abs(change) * n1, 2),
                "evidence": [
                    {"customer_id": c, "moved": "into" if change > 0 else "out of"}
                    for c in (moved if change > 0 else left)[:20]
                ],
                "also": [f"{len(moved)} buyers moved in, {len(left)} moved out"],
                "also_parts": [{"kind": "moved", "moved_in": len(moved), "moved_out": len(left)}],
                **_actions(det, where=seg),
                "series": [],
            }
        )
    return items


# -- ticket surges by subject -----------------------------------------------------------
TICKETS_SQL = """
SELECT lower(trim(subject)) AS subject, any_value(subject) AS shown,
  count(*) FILTER (WHERE opened_at >= ?) AS now,
  count(*) FILTER (WHERE opened_at < ?) AS before,
  count(*) FILTER (WHERE opened_at >= ?
    AND lower(coalesce(status, 'open')) NOT IN ('closed', 'resolved', 'solved')) AS still_open,
  arg_max(ticket_id, opened_at, 3) FILTER (WHERE opened_at >= ?) AS ids,
  min(opened_at) FILTER (WHERE opened_at >= ?) AS first
FROM tickets WHERE opened_at >= ? AND opened_at < ? AND subject IS NOT NULL
GROUP BY 1
"""


def _ticket_surges(scan: _Scan, det: Detector) -> list[Item]:
    s = scan.start
    params = [s, s, s, s, s, scan.prev_start, scan.end + timedelta(days=1)]
    rows = scan.ctx.cursor().execute(TICKETS_SQL, params).fetchall()
    items: list[Item] = []
    for _key, shown, now, before, still_open, ids, first in rows:
        scan.tested[det.name] = scan.tested.get(det.name, 0) + 1
        z = z_counts(now, before)
        if now < det.min_now or now < det.min_ratio * before or z is None or z < det.z:
            continue
        items.append(
            {
                "kind": det.name,
                "baseline": [scan.prev_start.isoformat(), scan.prev_end.isoformat()],
                "title": f"More tickets about “{shown}”",
                "where": {"level": "subject", "id": str(shown), "label": str(shown)},
                "aspect": None,
                "since": str(first)[:10] if first else None,
                "now": _figure(None, int(now), float(now)),
                "before": _figure(None, int(before), float(before)),
                "change": float(now - before),
                "z": round(z, 2),
                "impact": round(det.impact * (now - before), 2),
                "evidence": [{"id": i} for i in (ids or [])],
                "also": [f"{still_open} of {now} still open"],
                "also_parts": [{"kind": "still_open", "open": int(still_open), "now": int(now)}],
                **_actions(det, where=str(shown)),
                "series": [],
            }
        )
    return items


DETECT = {
    "complaint_spike": _rate_rises,
    "return_wave": _rate_rises,
    "cancel_wave": _rate_rises,
    "rating_drop": _rating_drops,
    "new_topic": _new_topics,
    "at_risk_customers": _at_risk,
    "segment_shift": _segment_shifts,
    "ticket_surge": _ticket_surges,
}


# -- one card per thing -------------------------------------------------------------------
def _categories(ctx: ToolContext) -> dict[str, str]:
    rows = ctx.cursor().execute("SELECT product_id, category FROM products").fetchall()
    return {str(pid): str(cat) for pid, cat in rows}


def _merge(items: list[Item], categories: dict[str, str]) -> list[Item]:
    """Fold corroborating signals into the item they corroborate.

    A product's rating drop or return wave joins its complaint spike; a category's
    signal joins a product item of that category when that product explains it; a
    shop-wide new topic joins a spike about the same aspect."""
    order = {k: i for i, k in enumerate(DETECTORS)}
    # Hosts first: products before the categories and the shop-wide signals they explain.
    levels = {"product": 0, "category": 1}
    items = sorted(
        items, key=lambda i: (levels.get(i["where"]["level"], 2), order[i["kind"]], -i["impact"])
    )
    kept: list[Item] = []
    for item in items:
        host = _host(kept, item, categories)
        if host is None:
            kept.append(item)
            continue
        # A category's rise reported on its driving product is the product's own item
        # again: it adds nothing, and a second wave of the same kind counts once.
        same = (item["kind"], item["where"]["id"], item["aspect"])
        if same == (host["kind"], host["where"]["id"], host["aspect"]):
            continue
        line = _summary_line(item)
        if line in host["also"] or any(line.split(":")[0] == a.split(":")[0] for a in host["also"]):
            continue
        host["also"].append(line)
        host.setdefault("also_parts", []).append(
            {"kind": "item", "item": {k: item[k] for k in SUMMARY_KEYS}}
        )
        host["impact"] = round(host["impact"] + item["impact"] / 2, 2)
    return kept


def _host(kept: list[Item], item: Item, categories: dict[str, str]) -> Item | None:
    where = item["where"]
    for k in kept:
        kw = k["where"]
        if where["level"] == "product" and kw["level"] == "product" and kw["id"] == where["id"]:
            return k
        if where["level"] == "category" and kw["level"] in ("product", "category"):
            owner = categories.get(kw["id"]) if kw["level"] == "product" else kw["id"]
            same = owner == where["id"]
            if same and (item["aspect"] is None or item["aspect"] == k["aspect"]):
                return k
        if where["level"] == "shop" and item["aspect"] and item["aspect"] == k["aspect"]:
            return k
    return None


# What a folded item's line says, kept as parts for answers in other languages.
SUMMARY_KEYS = ("kind", "title", "where", "aspect", "now", "before", "change")


def _summary_line(item: Item) -> str:
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        return (
            f"{item['title']}: {_pct(now['value'])} of {now['n']} (95% "
            f"{_pct(now['ci'][0])}–{_pct(now['ci'][1])}) vs {_pct(before['value'])} of {before['n']}"
            if now["ci"]
            else item["title"]
        )
    return f"{item['title']}: {now['value']} (n {now['n']}) vs {before['value']} (n {before['n']})"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


# -- evidence ---------------------------------------------------------------------------
def _attach_evidence(scan: _Scan, item: Item) -> None:
    """Replace evidence ids with the records behind them: quotes for reviews, order or
    ticket records, customers as they are."""
    keep = scan.rules.quotes_per_item
    ids = [e["id"] for e in item["evidence"] if "id" in e]
    if not ids:
        item["evidence"] = item["evidence"][
            : max(keep, 3) if item["kind"] != "at_risk_customers" else 50
        ]
        return
    cur = scan.ctx.cursor()
    marks = ", ".join("?" * len(ids))
    found: dict[str, dict[str, Any]] = {}
    if item["kind"] in ("complaint_spike", "rating_drop", "new_topic"):
        rows = cur.execute(
            f"SELECT review_id, product_id, rating, CAST(created_at AS DATE), text FROM reviews "  # noqa: S608 -- markers only
            f"WHERE review_id IN ({marks})",
            ids,
        ).fetchall()
        for rid, pid, rating, day, text in rows:
            found[rid] = {
                "review_id": rid,
                "product_id": pid,
                "rating": int(rating),
                "date": day.isoformat(),
                "quote": _cut(text),
            }
    elif item["kind"] in ("return_wave", "cancel_wave"):
        rows = cur.execute(
            f"SELECT order_id, customer_id, status, CAST(ordered_at AS DATE) FROM orders "  # noqa: S608 -- markers only
            f"WHERE order_id IN ({marks})",
            ids,
        ).fetchall()
        for oid, cid, status, day in rows:
            found[oid] = {
                "order_id": oid,
                "customer_id": cid,
                "status": status,
                "date": day.isoformat(),
            }
    elif item["kind"] == "ticket_surge":
        rows = cur.execute(
            f"SELECT ticket_id, customer_id, status, CAST(opened_at AS DATE), subject FROM tickets "  # noqa: S608 -- markers only
            f"WHERE ticket_id IN ({marks})",
            ids,
        ).fetchall()
        for tid, cid, status, day, subject in rows:
            found[tid] = {
                "ticket_id": tid,
                "customer_id": cid,
                "status": status,
                "date": day.isoformat(),
                "subject": subject,
            }
    item["evidence"] = [found[i] for i in ids if i in found][:keep]


def _cut(text: str | None) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


# -- the tool ---------------------------------------------------------------------------
class DigestArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(
        None, description="First day of the period, YYYY-MM-DD (default: period_days back)."
    )
    until: str | None = Field(
        None, description="Last day of the period, YYYY-MM-DD (default: the latest data)."
    )
    period_days: int | None = Field(
        None, ge=1, le=MAX_PERIOD_DAYS, description="Length of the period in days (7, 30...)."
    )
    limit: int | None = Field(None, ge=1, le=100, description="At most this many items.")


SPECS = (
    ToolSpec(
        name="digest",
        engine=digest,
        args=DigestArgs,
        result=DigestResult,
        roles=frozenset({"marketer", "support", "admin"}),
        subject="none",
        label="What changed",
        purpose="report what changed in the shop since the period before, ranked by impact",
        description="What changed in a period (default: the last 30 days of data) against "
        "the period of the same length before: complaint spikes per aspect for products "
        "and categories, rating drops, return and cancellation waves, new complaint "
        "topics, high-value customers newly at risk, segment shifts and ticket surges by "
        "subject. Only significant changes (enough records, z-test); each item has n, 95% "
        "intervals, the start date, quotes or records with ids and a suggested action.",
    ),
)
