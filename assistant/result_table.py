"""A grouped or ranked metric result as one table, shared by the web chat and the CLI.

``analyze`` (rows with ``keys``/``label``/``value``/``n``/``ci``/compare fields) and
``sales_metrics`` (rows with ``group``/``value``/``n``/``title``) answer the same kind of
question in two shapes. Both become a :class:`ResultTable`: the dimensions, one raw row
per group (numbers stay numbers, rates stay fractions, for the CSV and ``--json``) and
the same rows formatted for people (for the terminal and the chat). A result with no
grouping, or an error, is not a table: it is a single figure the answer already says.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.csv_export import write_table

TABLE_TOOLS = ("analyze", "sales_metrics")
TIME_DIMS = ("day", "week", "month", "quarter", "year")
UNITS = ("currency", "count", "rate", "rating")
# sales_metrics names no unit; analyze does. Same metric names, same units.
SALES_UNITS = {
    "revenue": "currency",
    "orders": "count",
    "units": "count",
    "return_rate": "rate",
    "average_rating": "rating",
    "review_count": "count",
}
# What a count counts, for axis titles and headers ("orders", not "count").
COUNT_NOUNS = {
    "orders": "orders",
    "units": "units",
    "review_count": "reviews",
    "customers": "customers",
    "views": "views",
    "carts": "carts",
    "tickets": "tickets",
    "open_tickets": "open tickets",
}
COMPARE_COLUMNS = ("previous", "previous_n", "change", "relative_change")

Kind = Literal["time", "ranking", "groups"]


@dataclass(frozen=True)
class ResultTable:
    tool: str
    metric: str
    metric_label: str
    unit: str
    by: tuple[str, ...]
    kind: Kind
    columns: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    interpretation: str = ""

    @property
    def title(self) -> str:
        return f"{self.metric_label} by {' and '.join(self.by)}"

    @property
    def value_title(self) -> str:
        """The value axis or column: the metric with its unit."""
        return value_title(self.metric, self.metric_label, self.unit)

    @property
    def has_ci(self) -> bool:
        return "ci_low" in self.columns

    def row_label(self, row: Mapping[str, Any], dims: Iterable[str] | None = None) -> str:
        """A row (or its ``dims`` part) as people name it: "Aurora Pulse (P0016)", "2026-03"."""
        dims = tuple(self.by if dims is None else dims)
        if dims == self.by and row.get("label"):
            return str(row["label"])
        parts = []
        for d in dims:
            key = row.get(d)
            if d == "product" and row.get("title"):
                parts.append(f"{row['title']} ({key})")
            else:
                parts.append(str(key))
        return " · ".join(parts)

    def display_rows(self) -> list[list[str]]:
        """The rows as people read them, in column order: 12.5% not 0.125, 1,234 not 1234."""
        return [[self.display(c, row.get(c)) for c in self.columns] for row in self.rows]

    def display(self, column: str, value: Any) -> str:
        if value is None:
            return "–"
        if column in ("value", "previous", "change", "ci_low", "ci_high"):
            return format_value(value, self.unit, signed=column == "change")
        if column == "relative_change":
            return f"{value:+.1%}"
        if column in ("n", "previous_n") and isinstance(value, int):
            return f"{value:,}"
        return str(value)

    def headers(self) -> list[str]:
        """Column headers for people: the value column names the metric and its unit."""
        names = {
            "value": self.value_title,
            "n": "records",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
            "previous": "previous period",
            "previous_n": "previous records",
            "relative_change": "change (relative)",
        }
        return [names.get(c, c) for c in self.columns]

    def csv_text(self) -> str:
        """The raw rows as CSV; the value column is named after the metric (``revenue``)."""
        buffer = io.StringIO()
        header = [self.metric if c == "value" else c for c in self.columns]
        write_table(buffer, header, ([row.get(c) for c in self.columns] for row in self.rows))
        return buffer.getvalue()

    def file_stem(self) -> str:
        return f"{self.metric}_by_{'_'.join(self.by)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "metric": self.metric,
            "metric_label": self.metric_label,
            "unit": self.unit,
            "by": list(self.by),
            "kind": self.kind,
            "columns": list(self.columns),
            "rows": [dict(r) for r in self.rows],
        }


def value_title(metric: str, label: str, unit: str) -> str:
    if unit == "rate":
        return f"{label} (%)"
    if unit == "rating":
        return f"{label} (stars, 1–5)"
    if unit == "count":
        noun = COUNT_NOUNS.get(metric)
        return f"{label} ({noun})" if noun and noun != label.lower() else label
    if unit == "currency":
        return f"{label} (shop currency)"
    return label


def format_value(value: Any, unit: str, *, signed: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    sign = "+" if signed else ""
    if unit == "rate":
        # A change in a rate is in percentage points, not percent.
        return f"{value * 100:{sign}.1f} pp" if signed else f"{value:.1%}"
    if unit == "rating":
        return f"{value:{sign}.2f}"
    if unit == "count" and float(value).is_integer():
        return f"{int(value):{sign},}"
    return f"{value:{sign},.2f}"


def metric_label_of(metric: str) -> str:
    words = metric.replace("_", " ")
    return words[:1].upper() + words[1:]


def table_of(tool: str, result: Any) -> ResultTable | None:
    """The table of one tool result, or None when it is not a grouped metric result."""
    if tool not in TABLE_TOOLS or not isinstance(result, Mapping) or result.get("error"):
        return None
    if not result.get("rows"):
        return None
    if tool == "analyze":
        return _analyze_table(result)
    return _sales_table(result)


def tables_of(answer: Any) -> list[ResultTable]:
    """Every grouped metric result among an answer's tool calls (an ``Answer`` or its dict)."""
    calls = answer.get("tool_calls") if isinstance(answer, Mapping) else answer.tool_calls
    tables = []
    for call in calls or []:
        name = call.get("name") if isinstance(call, Mapping) else call.name
        result = call.get("result") if isinstance(call, Mapping) else call.result
        table = table_of(name, result)
        if table is not None:
            tables.append(table)
    return tables


def _kind(by: Iterable[str], ranked: bool) -> Kind:
    by = tuple(by)
    if any(d in TIME_DIMS for d in by):
        return "time"
    return "ranking" if ranked else "groups"


def _period(dim: str, value: Any) -> Any:
    """A period key as people name it: the month 2026-03, not its first day 2026-03-01."""
    if not isinstance(value, str):
        return value
    if dim == "month" and len(value) == 10:
        return value[:7]
    if dim == "year" and len(value) == 10:
        return value[:4]
    return value


def _sales_table(result: Mapping[str, Any]) -> ResultTable | None:
    dim = result.get("group_by")
    if not dim:
        return None
    metric = str(result.get("metric") or "")
    with_title = any("title" in r for r in result["rows"])
    columns = [dim, *(["title"] if with_title else []), "value", "n"]
    rows = []
    for r in result["rows"]:
        row = {dim: _period(dim, r.get("group")), "value": r.get("value"), "n": r.get("n")}
        if with_title:
            row["title"] = r.get("title")
        rows.append(row)
    return ResultTable(
        tool="sales_metrics",
        metric=metric,
        metric_label=metric_label_of(metric),
        unit=SALES_UNITS.get(metric, "count"),
        by=(dim,),
        kind=_kind([dim], ranked=dim not in TIME_DIMS),
        columns=tuple(columns),
        rows=rows,
        interpretation=str(result.get("note") or ""),
    )


def _says_more(label: Any, keys: Iterable[Any]) -> bool:
    """Whether a row label holds more than its keys and separators ("Kitchen, 2026-Q1" no;
    "Aurora Pulse (P0016)" yes)."""
    rest = str(label or "")
    for key in keys:
        rest = rest.replace(str(key), "", 1)
    return bool(rest.strip(" ,·-/|()"))


def _analyze_table(result: Mapping[str, Any]) -> ResultTable | None:
    by = tuple(result.get("by") or ())
    if not by:
        return None
    rows_in = result["rows"]
    # The label is worth a column when it says more than the keys (a product's title).
    labelled = any(_says_more(r.get("label"), (r.get("keys") or {}).values()) for r in rows_in)
    with_ci = any(r.get("ci") for r in rows_in)
    with_compare = any(r.get("previous") is not None for r in rows_in) or (
        result.get("compare_since") is not None
    )
    columns = [*by, *(["label"] if labelled else []), "value", "n"]
    if with_ci:
        columns += ["ci_low", "ci_high"]
    if with_compare:
        columns += list(COMPARE_COLUMNS)
    rows = []
    for r in rows_in:
        keys = r.get("keys") or {}
        row: dict[str, Any] = {d: _period(d, keys.get(d)) for d in by}
        if labelled:
            row["label"] = r.get("label")
        row["value"] = r.get("value")
        row["n"] = r.get("n")
        if with_ci:
            ci = r.get("ci") or (None, None)
            row["ci_low"], row["ci_high"] = ci[0], ci[1]
        if with_compare:
            for c in COMPARE_COLUMNS:
                row[c] = r.get(c)
        rows.append(row)
    metric = str(result.get("metric") or "")
    unit = result.get("unit") if result.get("unit") in UNITS else "count"
    return ResultTable(
        tool="analyze",
        metric=metric,
        metric_label=str(result.get("metric_label") or metric_label_of(metric)),
        unit=unit,
        by=by,
        kind=_kind(by, ranked=True),
        columns=tuple(columns),
        rows=rows,
        interpretation=str(result.get("interpretation") or ""),
    )
