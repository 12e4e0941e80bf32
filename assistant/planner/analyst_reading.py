"""An analyst answer's reading ("理解为：…") and notes in the answer's language.

``analyze`` and ``compare_products`` say how they read a request in English (their
``interpretation`` and ``notes``), which English answers quote. A language whose
answer file has ``reading`` templates words the same reading from the result's parts
instead (``reading`` in an analyze result; products, metrics and period in a
comparison), with the metric layer's dimensions, notes and records named from its
``words`` tables. Anything those tables do not name, or a result without the parts (a
thread stored by an earlier version), keeps the tool's own words: a reading is never
half-translated with an id in the middle of it.
"""

from __future__ import annotations

from typing import Any

from assistant.planner.render import aspect_name, fill, value_words, word

HEADS_WITH_SIZE = ("rise", "fall")
READING_HEADS = (
    "total", "series", "by", "top", "bottom", "rise", "fall", "rise_relative", "fall_relative",
)  # fmt: skip


class _Unnamed(Exception):
    """A word the language's tables do not have: keep the tool's own reading."""


def _named(lang: str, table: str, key: Any) -> str:
    got = word(lang, table, key)
    if not isinstance(got, str) or got == key:
        raise _Unnamed(f"{table}.{key}")
    return got


def _listed(values: Any) -> list:
    return list(values) if isinstance(values, list | tuple) else [values]


def metric_words(r: dict, w: dict, lang: str) -> str:
    """The metric as the reading names it; an aspect metric with its aspects."""
    name = _named(lang, "metrics", r["metric"])
    if not r["metric"].startswith("aspect_"):
        return name
    if "aspect" in r["by"]:
        return fill(w["each_aspect"], metric=name) or name
    aspects = [aspect_name(a, lang) for a in _listed(r["filters"].get("aspect") or [])]
    if not aspects:
        return name
    return fill(w["aspect_metric"], metric=name, aspects=word(lang, "or").join(aspects)) or name


def _filters(r: dict, w: dict, lang: str) -> list[str]:
    out = []
    for key, values in (r.get("filters") or {}).items():
        if key == "aspect" and r["metric"].startswith("aspect_"):
            continue  # already in the metric's name
        dim = _named(lang, "dimensions", key)
        listed = _listed(values)
        if listed and all(isinstance(v, bool) for v in listed):
            out.append(fill(w["only" if listed == [True] else "excluded"], key=dim) or "")
            continue
        shown = word(lang, "list_sep").join(str(value_words(key, v, lang)) for v in listed)
        out.append(fill(w["filter"], key=dim, values=shown) or "")
    return out


def analyze_reading(r: dict, w: dict | None, lang: str) -> tuple[str, list[str]] | None:
    """(reading, notes) of an analyze result in ``lang``'s words, or None where the
    tool's own words are kept (see the module's docstring)."""
    parts = r.get("reading")
    if not w or not isinstance(parts, dict):
        return None
    try:
        return _analyze_reading(r, parts, w, lang)
    except (_Unnamed, KeyError, TypeError):
        return None


def _analyze_reading(r: dict, parts: dict, w: dict, lang: str) -> tuple[str, list[str]]:
    metric = r["metric"]
    what = metric_words(r, w, lang)
    dims = [_named(lang, "dimensions", d) for d in r["by"]]
    units = " × ".join(dims)
    kind = parts["head"]
    if kind in HEADS_WITH_SIZE and parts.get("relative"):
        kind += "_relative"
    head = fill(
        w[kind], metric=what, dims=word(lang, "and").join(dims), count=parts["count"], units=units
    )
    counts = _named(lang, "metric_counts", metric)
    period = parts.get("period")
    said = [
        head or "",
        fill(w["period"], since=period[0], until=period[1]) if period else w["no_period"],
        *_filters(r, w, lang),
    ]
    if r.get("compare_since") and r.get("compare_until"):
        said.append(fill(w["compare"], since=r["compare_since"], until=r["compare_until"]) or "")
    if parts.get("min_n"):
        said.append(fill(w["min_n"], n=parts["min_n"], counts=counts) or "")
    said.append(_named(lang, "metric_notes", metric))
    notes = []
    if r.get("left_out"):
        notes.append(
            fill(w["left_out"], count=r["left_out"], units=units, n=parts.get("min_n") or 1,
                 counts=counts)
        )  # fmt: skip
    if parts.get("shown_of"):
        notes.append(fill(w["shown"], of=parts["shown_of"], units=units, shown=len(r["rows"])))
    if parts.get("segments_note"):
        notes.append(w["segments"])
    if parts.get("no_records"):
        notes.append(w["no_records"])
    if len(notes) != len(r.get("notes") or []) or not all(notes):
        raise _Unnamed("notes")  # a note this version does not know how to word
    return w["sep"].join(s for s in said if s), notes


def compare_reading(r: dict, t: dict, lang: str) -> str | None:
    """A comparison's reading in ``lang``'s words, or None to keep the tool's."""
    template = t.get("reading")
    if not template:
        return None
    try:
        metrics = [_named(lang, "metrics", m) for m in r["metrics"]]
    except _Unnamed:
        return None
    sep = word(lang, "list_sep")
    products = sep.join(
        fill(t["product"], title=p["title"], product_id=p["product_id"]) or ""
        for p in r["products"]
    )
    return fill(
        template,
        products=products,
        metrics=sep.join(metrics),
        since=r.get("since") or word(lang, "data_start"),
        until=r.get("until") or word(lang, "data_end"),
    )


def row_label_words(row: dict, by: list[str], w: dict | None, lang: str) -> Any:
    """A time or yes/no row named in ``lang`` (the tool says "week of …", "verified
    purchase"); None where the tool's label stands."""
    keys = row.get("keys") or {}
    if not w or len(by) != 1 or by[0] not in keys:
        return None
    value = keys[by[0]]
    if by[0] == "week":
        return fill(w["week_of"], date=value)
    if isinstance(value, bool):
        try:
            dim = _named(lang, "dimensions", by[0])
        except _Unnamed:
            return None
        return fill(w["row_yes" if value else "row_no"], key=dim)
    return None
