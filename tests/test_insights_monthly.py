"""product_insights' monthly trend carries sentiment counts (one call draws the sentiment chart)."""

from __future__ import annotations

from tools.context import ToolContext
from tools.insights import product_insights


def test_monthly_sentiment_counts_match_sql(demo_ws):
    ctx = ToolContext(
        cursor=demo_ws.cursor, role="marketer", models_dir=demo_ws.settings.models_dir
    )
    months = product_insights(ctx, product_id="P0016", since="2025-10-01")["rating_trend"]["months"]
    expected = {
        (m, label): n
        for m, label, n in demo_ws.cursor()
        .execute(
            """SELECT strftime(r.created_at, '%Y-%m'), s.label, count(*)
               FROM reviews r JOIN review_sentiment s USING (review_id)
               WHERE r.product_id = 'P0016' AND r.created_at >= DATE '2025-10-01'
               GROUP BY ALL"""
        )
        .fetchall()
    }
    assert months, "the defective headphones have reviews every month"
    for m in months:
        for label in ("positive", "neutral", "negative"):
            assert m["sentiment"][label] == expected.get((m["month"], label), 0)
        assert sum(m["sentiment"].values()) == m["n"]
    # The planted battery defect starts in March 2026: negatives dominate from then on.
    after = [m for m in months if m["month"] >= "2026-03"]
    assert all(m["sentiment"]["negative"] > m["sentiment"]["positive"] for m in after)
