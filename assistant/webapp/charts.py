"""Plotly figures for the product insight tab and the chat, built from plain rows.

Each builder takes rows as the tools return them (one dict per month or per
aspect, or a :class:`~assistant.result_table.ResultTable` for a grouped metric) and
returns an interactive ``go.Figure``; hover text carries the number of records
behind every point, so no figure hides how thin its data is.
"""

from __future__ import annotations

import plotly.graph_objects as go

from assistant.result_table import TIME_DIMS, ResultTable
from assistant.webapp.i18n import text

SENTIMENT_COLOURS = {"positive": "#16a34a", "neutral": "#9ca3af", "negative": "#dc2626"}


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        yaxis_title=y_title,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        height=320,
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
    )
    return fig


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def rating_by_month(rows: list[dict], title: str | None = None, lang: str = "en") -> go.Figure:
    """Rows: {"month": "YYYY-MM", "avg_rating": float, "n": int}; labels in ``lang``."""
    if not rows:
        return empty_figure(text("chart.no_reviews", lang))
    reviews = text("chart.reviews", lang)
    months = [r["month"] for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=months,
            y=[r["avg_rating"] for r in rows],
            mode="lines+markers",
            name=text("chart.average_rating", lang),
            customdata=[r.get("n", 0) for r in rows],
            hovertemplate=f"%{{x}}: %{{y:.2f}} ★ {text('chart.from_reviews', lang)}<extra></extra>",
        )
    )
    fig.add_bar(
        x=months,
        y=[r.get("n", 0) for r in rows],
        name=reviews,
        yaxis="y2",
        opacity=0.25,
        hovertemplate=f"%{{y}} {reviews}<extra></extra>",
    )
    fig.update_layout(
        yaxis={"range": [1, 5.2]},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": reviews},
    )
    return _layout(fig, title or text("chart.rating_title", lang), text("chart.stars", lang))


def sentiment_over_time(rows: list[dict], title: str | None = None, lang: str = "en") -> go.Figure:
    """Rows: {"month", "positive", "neutral", "negative"} with review counts."""
    if not rows:
        return empty_figure(text("chart.no_labelled", lang))
    fig = go.Figure()
    months = [r["month"] for r in rows]
    for key, colour in SENTIMENT_COLOURS.items():
        name = text(f"chart.{key}", lang)
        fig.add_bar(
            x=months,
            y=[r.get(key, 0) for r in rows],
            name=name,
            marker_color=colour,
            hovertemplate=f"{name}: %{{y}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, title or text("chart.sentiment_title", lang), text("chart.reviews", lang))


def aspect_balance(rows: list[dict], title: str | None = None, lang: str = "en") -> go.Figure:
    """Rows: {"aspect", "praise", "complaints"} as mention counts; complaints plot leftwards."""
    if not rows:
        return empty_figure(text("chart.no_aspects", lang))
    complaints, praise = text("chart.complaints", lang), text("chart.praise", lang)
    rows = sorted(rows, key=lambda r: r.get("praise", 0) + r.get("complaints", 0))
    aspects = [r["aspect"] for r in rows]
    fig = go.Figure()
    fig.add_bar(
        y=aspects,
        x=[-r.get("complaints", 0) for r in rows],
        orientation="h",
        name=complaints,
        marker_color=SENTIMENT_COLOURS["negative"],
        customdata=[r.get("complaints", 0) for r in rows],
        hovertemplate=f"%{{y}}: %{{customdata}} {complaints}<extra></extra>",
    )
    fig.add_bar(
        y=aspects,
        x=[r.get("praise", 0) for r in rows],
        orientation="h",
        name=praise,
        marker_color=SENTIMENT_COLOURS["positive"],
        hovertemplate=f"%{{y}}: %{{x}} {praise}<extra></extra>",
    )
    fig.update_layout(barmode="relative", hovermode="y unified")
    fig = _layout(fig, title or text("chart.aspects_title", lang), "")
    fig.update_layout(hovermode="y unified", xaxis_title=text("chart.mentions", lang))
    return fig


# Hover formats by unit; a rate is a fraction in the result and a percentage on screen.
VALUE_FORMATS = {"currency": ",.2f", "count": ",.0f", "rate": ".1%", "rating": ".2f"}
# More bars than this are a wall, not a chart; the table and the CSV keep every row.
MAX_BARS = 20
MAX_LABEL = 48


def short_label(label: str, limit: int = MAX_LABEL) -> str:
    """A bar label that fits beside the chart: a long title is cut, its id kept."""
    if len(label) <= limit:
        return label
    head, sep, ident = label.rpartition(" (")
    if sep and ident.endswith(")") and len(ident) < limit // 2:
        keep = limit - len(ident) - 3
        return f"{head[:keep].rstrip(' ,')}… ({ident}"
    return label[: limit - 1] + "…"


def result_figure(table: ResultTable, lang: str = "en") -> go.Figure:
    """A line over time for a time grouping (one line per group of a second dimension),
    horizontal bars for a ranking or a categorical grouping, in table order."""
    if not table.rows:
        return empty_figure(text("chart.no_rows", lang))
    fmt = VALUE_FORMATS.get(table.unit, ",.2f")
    if table.kind == "time":
        fig = _time_lines(table, fmt, lang)
    else:
        fig = _ranking_bars(table, fmt, lang)
    if table.unit == "rate":
        fig.update_layout(**{_value_axis(table): {"tickformat": ".0%"}})
    elif table.unit == "rating":
        fig.update_layout(**{_value_axis(table): {"range": [0, 5.2]}})
    return fig


def _value_axis(table: ResultTable) -> str:
    return "yaxis" if table.kind == "time" else "xaxis"


def _error(table: ResultTable, rows: list[dict]) -> dict | None:
    """Wilson intervals as asymmetric error bars, when the rows carry them."""
    if not table.has_ci:
        return None
    plus = [
        (r["ci_high"] - r["value"])
        if r.get("ci_high") is not None and r.get("value") is not None
        else None
        for r in rows
    ]
    minus = [
        (r["value"] - r["ci_low"])
        if r.get("ci_low") is not None and r.get("value") is not None
        else None
        for r in rows
    ]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


def _time_lines(table: ResultTable, fmt: str, lang: str) -> go.Figure:
    time_dim = next(d for d in table.by if d in TIME_DIMS)
    others = [d for d in table.by if d != time_dim]
    series: dict[str, list[dict]] = {}
    for row in table.rows:
        name = table.row_label(row, others) if others else table.metric_label
        series.setdefault(name, []).append(row)
    records = text("chart.from_records", lang)
    fig = go.Figure()
    for name, rows in series.items():
        rows = sorted(rows, key=lambda r: str(r.get(time_dim)))
        error = _error(table, rows)
        fig.add_scatter(
            x=[str(r.get(time_dim)) for r in rows],
            y=[r.get("value") for r in rows],
            mode="lines+markers",
            name=name,
            customdata=[r.get("n") for r in rows],
            hovertemplate=f"%{{x}}: %{{y:{fmt}}} {records}<extra>{name}</extra>",
            **({"error_y": error} if error else {}),
        )
    fig.update_xaxes(type="category", title=time_dim)
    fig = _layout(fig, table.title, table.value_title)
    fig.update_layout(showlegend=bool(others), hovermode="closest")
    return fig


def _ranking_bars(table: ResultTable, fmt: str, lang: str) -> go.Figure:
    rows = table.rows[:MAX_BARS]
    records, previous_name = text("chart.from_records", lang), text("chart.previous_period", lang)
    labels = [short_label(table.row_label(r)) for r in rows]
    error = _error(table, rows)
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=[r.get("value") for r in rows],
            orientation="h",
            name=table.metric_label,
            customdata=[r.get("n") for r in rows],
            hovertemplate=f"%{{y}}: %{{x:{fmt}}} {records}<extra></extra>",
            **({"error_x": error} if error else {}),
        )
    )
    previous = [r.get("previous") for r in rows]
    if any(v is not None for v in previous):
        # A compared period: its bar beside each row's, so the change is seen, not read.
        fig.data[0].name = text("chart.this_period", lang)
        fig.add_bar(
            y=labels,
            x=previous,
            orientation="h",
            name=previous_name,
            opacity=0.45,
            customdata=[r.get("previous_n") for r in rows],
            hovertemplate=f"%{{y}}: %{{x:{fmt}}} {records}<extra>{previous_name}</extra>",
        )
        fig.update_layout(barmode="group")
    # The table's first row (the top of a ranking) is drawn at the top.
    fig.update_yaxes(autorange="reversed", automargin=True, title=" and ".join(table.by))
    title = table.title
    if len(table.rows) > len(rows):
        title += text("chart.first_of", lang, shown=len(rows), total=len(table.rows))
    fig = _layout(fig, title, "")
    fig.update_layout(
        xaxis_title=table.value_title,
        hovermode="closest",
        showlegend=len(fig.data) > 1,
        height=max(320, 60 + 28 * len(rows) * len(fig.data)),
    )
    return fig
