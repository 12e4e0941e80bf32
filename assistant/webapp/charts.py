"""Plotly figures for the product insight tab, built from plain row dicts.

Each builder takes rows as the tools return them (one dict per month or per
aspect) and returns an interactive ``go.Figure``; hover text carries the number
of reviews behind every point, so no figure hides how thin its data is.
"""

from __future__ import annotations

import plotly.graph_objects as go

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


def rating_by_month(rows: list[dict], title: str = "Average rating by month") -> go.Figure:
    """Rows: {"month": "YYYY-MM", "avg_rating": float, "n": int}."""
    if not rows:
        return empty_figure("No reviews in this period")
    months = [r["month"] for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=months,
            y=[r["avg_rating"] for r in rows],
            mode="lines+markers",
            name="average rating",
            customdata=[r.get("n", 0) for r in rows],
            hovertemplate="%{x}: %{y:.2f} ★ from %{customdata} reviews<extra></extra>",
        )
    )
    fig.add_bar(
        x=months,
        y=[r.get("n", 0) for r in rows],
        name="reviews",
        yaxis="y2",
        opacity=0.25,
        hovertemplate="%{y} reviews<extra></extra>",
    )
    fig.update_layout(
        yaxis={"range": [1, 5.2]},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "reviews"},
    )
    return _layout(fig, title, "stars")


def sentiment_over_time(rows: list[dict], title: str = "Sentiment by month") -> go.Figure:
    """Rows: {"month", "positive", "neutral", "negative"} with review counts."""
    if not rows:
        return empty_figure("No labelled reviews in this period")
    fig = go.Figure()
    months = [r["month"] for r in rows]
    for label, colour in SENTIMENT_COLOURS.items():
        fig.add_bar(
            x=months,
            y=[r.get(label, 0) for r in rows],
            name=label,
            marker_color=colour,
            hovertemplate=f"{label}: %{{y}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, title, "reviews")


def aspect_balance(rows: list[dict], title: str = "Aspects: praise vs complaints") -> go.Figure:
    """Rows: {"aspect", "praise", "complaints"} as mention counts; complaints plot leftwards."""
    if not rows:
        return empty_figure("No aspect mentions in this period")
    rows = sorted(rows, key=lambda r: r.get("praise", 0) + r.get("complaints", 0))
    aspects = [r["aspect"] for r in rows]
    fig = go.Figure()
    fig.add_bar(
        y=aspects,
        x=[-r.get("complaints", 0) for r in rows],
        orientation="h",
        name="complaints",
        marker_color=SENTIMENT_COLOURS["negative"],
        customdata=[r.get("complaints", 0) for r in rows],
        hovertemplate="%{y}: %{customdata} complaints<extra></extra>",
    )
    fig.add_bar(
        y=aspects,
        x=[r.get("praise", 0) for r in rows],
        orientation="h",
        name="praise",
        marker_color=SENTIMENT_COLOURS["positive"],
        hovertemplate="%{y}: %{x} praise<extra></extra>",
    )
    fig.update_layout(barmode="relative", hovermode="y unified")
    fig = _layout(fig, title, "")
    fig.update_layout(hovermode="y unified", xaxis_title="mentions (complaints left, praise right)")
    return fig
