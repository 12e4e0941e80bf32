"""A Chinese analyst answer words the tools' reading and notes in Chinese
(assistant/planner/analyst_reading.py): real analyze and compare_products results on
the Chinese demo shop, every kind of reading, the same figures as the English answer,
and the tool's own words kept where a result has no parts to word."""

from __future__ import annotations

import re

import pytest

from assistant.pipeline import build_demo
from assistant.planner.compose import render_call
from assistant.planner.render import spec
from assistant.planner.thread import Call
from assistant.workspace import Workspace
from tests.test_answers_zh import _figures
from tools import metric_layer as ml
from tools.analyze import analyze, compare_products
from tools.context import ToolContext

# Latin words left in a Chinese reading (ids like P0015 and dates are not words). RFM
# is the name of the segmentation in both languages.
LATIN_WORD = re.compile(r"\b(?!RFM\b)[A-Za-z]{2,}\b")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    path = tmp_path_factory.mktemp("reading_zh") / "ws"
    build_demo(path, seed=7, scale=0.3, lang="zh")  # the store only: no index needed
    ws = Workspace.open(path, read_only=True)
    yield ToolContext(ws.cursor, role="marketer")
    ws.close()


REQUESTS = {
    "total": dict(metric="revenue", since="2026-10-01", until="2026-10-31"),
    "top": dict(metric="units", by=["product"], limit=5),
    "bottom, with a floor and rows left out": dict(
        metric="average_rating", by=["product"], order="asc"
    ),
    "largest fall": dict(
        metric="revenue", by=["category"], since="2026-10-01", until="2026-10-31",
        compare="previous", sort="change", order="asc", limit=3,
    ),
    "largest relative rise": dict(
        metric="orders", by=["city"], since="2026-09-01", until="2026-10-31",
        compare="year_before", sort="relative_change",
    ),
    "by a number": dict(metric="review_count", by=["rating"]),
    "by yes or no": dict(metric="review_count", by=["verified"]),
    "a series by week": dict(
        metric="orders", by=["week"], since="2026-09-01", until="2026-10-31"
    ),
    "two dimensions": dict(metric="return_rate", by=["category", "month"], since="2026-08-01"),
    "filters": dict(
        metric="average_rating", by=["category"], filters={"verified": False, "rating": [1, 2]}
    ),
    "segments": dict(metric="revenue", by=["segment"]),
    "no records": dict(metric="orders", since="2020-01-01", until="2020-01-31"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_a_chinese_reading_has_no_english_and_the_english_figures(ctx, kind):
    args = REQUESTS[kind]
    call = Call("c1", "analyze", args, analyze(ctx, **args))
    zh = render_call(call, "zh")
    en = render_call(call, "en")
    assert zh[0].startswith("理解为：") and en[0].startswith("Read as:")
    notes = [line for line in zh if line.startswith("注：")]
    assert len(notes) == len(call.result["notes"])
    for line in [zh[0], *notes]:
        assert not LATIN_WORD.search(line), line
    assert _figures("\n".join(zh)) == _figures("\n".join(en)), (zh, en)


def test_each_kind_of_reading_reads_as_it_should(ctx):
    def head(kind: str) -> str:
        args = REQUESTS[kind]
        return render_call(Call("c1", "analyze", args, analyze(ctx, **args)), "zh")[0]

    assert head("total").startswith("理解为：销售额，2026-10-01 至 2026-10-31，仅计已完成订单")
    assert head("top").startswith("理解为：销量最高的 5 个商品，")
    assert "平均评分最低的 10 个商品" in head("bottom, with a floor and rows left out")
    assert "每行至少 10 条评论" in head("bottom, with a floor and rows left out")
    fall = head("largest fall")
    assert "销售额减少最多的 3 个品类" in fall and "对比 2026-09-01 至 2026-09-30" in fall
    assert "订单数增幅最大的" in head("largest relative rise")
    assert head("a series by week").startswith("理解为：按周看订单数的走势，")
    assert "按品类和月看退货率的走势" in head("two dimensions")
    assert "不含已验证购买，星级：1、2" in head("filters")
    assert "暂无记录" in head("no records") or "2020-01-01 至 2020-01-31" in head("no records")


def test_rows_by_week_or_yes_no_are_named_in_chinese(ctx):
    week = REQUESTS["a series by week"]
    lines = render_call(Call("c1", "analyze", week, analyze(ctx, **week)), "zh")
    assert any(re.match(r"\d+\. \d{4}-\d\d-\d\d 当周：", line) for line in lines), lines
    verified = REQUESTS["by yes or no"]
    lines = render_call(Call("c1", "analyze", verified, analyze(ctx, **verified)), "zh")
    assert any(line.startswith(("1. 已验证购买：", "1. 非已验证购买：")) for line in lines)


def test_a_comparison_reads_in_chinese(ctx):
    rows = ctx.cursor().execute("SELECT product_id FROM products ORDER BY 1 LIMIT 2").fetchall()
    ids = [r[0] for r in rows]
    args = {"product_ids": ids, "since": "2026-01-01"}
    call = Call("c1", "compare_products", args, compare_products(ctx, **args))
    head = render_call(call, "zh")[0]
    assert head.startswith("理解为：") and "并排对比销售额、销量、平均评分" in head
    assert "2026-01-01 至 数据末尾" in head and f"（{ids[0]}）" in head
    assert "compared on" in render_call(call, "en")[0]


def test_a_result_without_the_parts_keeps_the_tools_words(ctx):
    # A conversation stored before results carried their reading's parts.
    args = REQUESTS["top"]
    result = analyze(ctx, **args)
    result.pop("reading")
    head = render_call(Call("c1", "analyze", args, result), "zh")[0]
    assert head == f"理解为：{result['interpretation']}。"


def test_aspect_metrics_name_their_aspects_in_chinese():
    base = {
        "metric": "aspect_complaint_share", "metric_label": "Share of reviews complaining "
        "about battery", "unit": "rate", "by": [], "filters": {"aspect": ["battery"]},
        "since": "2026-01-01", "until": "2026-10-31", "compare_since": None,
        "compare_until": None, "rows": [], "total": {"value": 0.25, "n": 40, "ci": None},
        "interpretation": "share of reviews complaining about battery, 2026-01-01 to "
        "2026-10-31", "left_out": 0, "notes": [],
        "reading": {"head": "total", "relative": False, "count": 10,
                    "period": ["2026-01-01", "2026-10-31"], "min_n": None, "shown_of": None,
                    "segments_note": False, "no_records": False},
    }  # fmt: skip
    lines = render_call(Call("c1", "analyze", {}, base), "zh")
    assert lines[0].startswith("理解为：电池的差评提及率，2026-01-01 至 2026-10-31，")
    assert lines[1].startswith("电池的差评提及率：25.0%")
    per_aspect = {**base, "by": ["aspect"], "filters": {}}
    per_aspect["reading"] = {**base["reading"], "head": "top"}
    assert (
        "各方面的差评提及率最高的 10 个方面"
        in render_call(Call("c1", "analyze", {}, per_aspect), "zh")[0]
    )


def test_every_metric_and_dimension_of_the_layer_has_chinese_words():
    words = spec("zh")["words"]
    layer = ml.layer()
    for table in ("metrics", "metric_counts", "metric_notes"):
        assert set(layer.metrics) <= set(words[table]), table
    assert set(layer.dimensions) <= set(words["dimensions"])
