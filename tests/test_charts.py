"""Grouped and ranked metric results as tables, charts, CSV files and choice buttons:
the builders on hand-made results in both tool shapes (no demo shop needed)."""

from __future__ import annotations

import csv
import io

import duckdb
import gradio as gr
import pytest

from assistant.result_table import table_of, tables_of
from assistant.webapp import charts
from assistant.webapp.chat_results import MAX_SHOWN_ROWS, markdown_table, result_messages
from assistant.webapp.choices import candidate_ids, choice_options, store_lookup
from assistant.webapp.tab_chat import AnswerTap, chat_turn_with_results, with_results


def sales(metric="revenue", group_by="month", rows=None, **extra) -> dict:
    rows = (
        rows
        if rows is not None
        else [
            {"group": "2026-02-01", "value": 80.5, "n": 3},
            {"group": "2026-01-01", "value": 120.25, "n": 4},
        ]
    )
    return {
        "metric": metric,
        "group_by": group_by,
        "filters": {},
        "total": 200.75,
        "n": 7,
        "counted_in": "orders",
        "rows": rows,
        "evidence": {},
        **extra,
    }


def analyze_row(keys, label, value, n, ci=None, previous=None) -> dict:
    change = None if previous is None else value - previous
    return {
        "keys": keys,
        "label": label,
        "value": value,
        "n": n,
        "ci": ci,
        "previous": previous,
        "previous_n": None if previous is None else n,
        "change": change,
        "relative_change": None if previous is None else change / previous,
        "evidence": [],
    }


def analyze(metric="return_rate", unit="rate", by=("product",), rows=None, **extra) -> dict:
    rows = rows or [
        analyze_row({"product": "P0016"}, "Aurora Pulse (P0016)", 0.25, 40, ci=[0.14, 0.4]),
        analyze_row({"product": "P0059"}, "Stridex Tempo 3 (P0059)", 0.1, 50, ci=[0.04, 0.21]),
    ]
    return {
        "metric": metric,
        "metric_label": metric.replace("_", " ").capitalize(),
        "unit": unit,
        "by": list(by),
        "filters": {},
        "since": "2026-01-01",
        "until": "2026-06-30",
        "compare_since": None,
        "compare_until": None,
        "rows": rows,
        "total": analyze_row({}, "all", 0.17, 90),
        "interpretation": "top 2 products by return rate",
        "left_out": 0,
        "notes": [],
        **extra,
    }


# -- tables ------------------------------------------------------------------------
def test_sales_month_table_names_months_and_keeps_raw_numbers():
    table = table_of("sales_metrics", sales())
    assert table.kind == "time" and table.by == ("month",)
    assert table.columns == ("month", "value", "n")
    assert table.rows == [
        {"month": "2026-02", "value": 80.5, "n": 3},
        {"month": "2026-01", "value": 120.25, "n": 4},
    ]
    assert table.display_rows() == [["2026-02", "80.50", "3"], ["2026-01", "120.25", "4"]]
    assert table.headers() == ["month", "Revenue (shop currency)", "records"]


def test_sales_product_ranking_carries_titles_and_rates_show_as_percent():
    result = sales(
        metric="return_rate",
        group_by="product",
        rows=[
            {"group": "P0016", "value": 0.2513, "n": 1200, "title": "Aurora Pulse"},
            {"group": "P0059", "value": 0.1, "n": 15, "title": "Stridex Tempo 3"},
        ],
    )
    table = table_of("sales_metrics", result)
    assert table.kind == "ranking" and table.unit == "rate"
    assert table.columns == ("product", "title", "value", "n")
    assert table.display_rows()[0] == ["P0016", "Aurora Pulse", "25.1%", "1,200"]
    assert table.row_label(table.rows[0]) == "Aurora Pulse (P0016)"
    assert table.headers()[2] == "Return rate (%)"


def test_analyze_table_has_interval_and_compare_columns_only_when_present():
    table = table_of("analyze", analyze())
    assert table.columns == ("product", "label", "value", "n", "ci_low", "ci_high")
    assert table.rows[0]["ci_low"] == 0.14 and table.rows[0]["ci_high"] == 0.4
    assert table.display_rows()[0][2:] == ["25.0%", "40", "14.0%", "40.0%"]

    rows = [
        analyze_row({"category": "Kitchen"}, "Kitchen", 1500.0, 30, previous=1000.0),
        analyze_row({"category": "Audio"}, "Audio", 900.0, 20, previous=1200.0),
    ]
    table = table_of(
        "analyze",
        analyze(metric="revenue", unit="currency", by=("category",), rows=rows,
                compare_since="2025-07-01", compare_until="2025-12-31"),
    )  # fmt: skip
    # The label says no more than the key here, so it is no column of its own.
    assert table.columns == (
        "category", "value", "n", "previous", "previous_n", "change", "relative_change",
    )  # fmt: skip
    assert table.display_rows()[1] == [
        "Audio", "900.00", "20", "1,200.00", "20", "-300.00", "-25.0%",
    ]  # fmt: skip
    rate = table_of(
        "analyze",
        analyze(rows=[analyze_row({"product": "P1"}, "P1", 0.3, 10, previous=0.2)]),
    )
    assert rate.display(column="change", value=0.1) == "+10.0 pp"


def test_not_a_table_when_ungrouped_empty_failed_or_another_tool():
    assert table_of("sales_metrics", sales(group_by=None)) is None
    assert table_of("sales_metrics", sales(rows=[])) is None
    assert table_of("analyze", analyze(by=())) is None
    assert table_of("analyze", {"error": "user_error", "message": "unknown metric"}) is None
    assert table_of("search_reviews", sales()) is None
    assert table_of("sales_metrics", None) is None


def test_tables_of_reads_an_answer_object_or_its_dict():
    class Call:
        def __init__(self, name, result):
            self.name, self.result = name, result

    class Answer:
        tool_calls = [Call("find_product", {"candidates": []}), Call("sales_metrics", sales())]

    assert [t.metric for t in tables_of(Answer())] == ["revenue"]
    as_dict = {"tool_calls": [{"name": "analyze", "result": analyze()}]}
    assert [t.metric for t in tables_of(as_dict)] == ["return_rate"]


def test_csv_names_the_metric_keeps_numbers_and_defuses_formulas():
    result = sales(
        metric="units",
        group_by="product",
        rows=[{"group": "P0001", "value": 12, "n": 9, "title": '=HYPERLINK("http://x")'}],
    )
    text = table_of("sales_metrics", result).csv_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["product", "title", "units", "n"]
    assert rows[1] == ["P0001", '\'=HYPERLINK("http://x")', "12", "9"]


# -- charts ------------------------------------------------------------------------
def test_time_grouping_is_a_line_in_time_order_with_counts_in_hover():
    fig = charts.result_figure(table_of("sales_metrics", sales()))
    (trace,) = fig.data
    assert trace.type == "scatter" and trace.mode == "lines+markers"
    assert list(trace.x) == ["2026-01", "2026-02"]
    assert list(trace.y) == [120.25, 80.5]
    assert list(trace.customdata) == [4, 3]
    assert fig.layout.yaxis.title.text == "Revenue (shop currency)"
    assert fig.layout.title.text == "Revenue by month"


def test_ranking_is_horizontal_bars_top_first_with_intervals_and_percent_axis():
    fig = charts.result_figure(table_of("analyze", analyze()))
    (trace,) = fig.data
    assert trace.type == "bar" and trace.orientation == "h"
    assert list(trace.y) == ["Aurora Pulse (P0016)", "Stridex Tempo 3 (P0059)"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.tickformat == ".0%"
    assert fig.layout.xaxis.title.text == "Return rate (%)"
    assert list(trace.error_x.array) == pytest.approx([0.15, 0.11])
    assert list(trace.error_x.arrayminus) == pytest.approx([0.11, 0.06])


def test_a_compared_ranking_draws_the_previous_period_beside_each_bar():
    rows = [
        analyze_row({"category": "Kitchen"}, "Kitchen", 1500.0, 30, previous=1000.0),
        analyze_row({"category": "Audio"}, "Audio", 900.0, 20, previous=None),
    ]
    fig = charts.result_figure(
        table_of("analyze", analyze("revenue", "currency", by=("category",), rows=rows))
    )
    now, before = fig.data
    assert (now.name, before.name) == ("this period", "previous period")
    assert list(before.x) == [1000.0, None] and list(before.y) == ["Kitchen", "Audio"]
    assert fig.layout.barmode == "group" and fig.layout.showlegend
    assert len(charts.result_figure(table_of("analyze", analyze())).data) == 1


def test_two_dimensions_with_time_draw_one_line_per_group():
    rows = [
        analyze_row({"category": c, "month": m}, f"{c}, {m}", v, 5)
        for c, m, v in [("Audio", "2026-02", 4.1), ("Kitchen", "2026-01", 3.9),
                        ("Audio", "2026-01", 4.3), ("Kitchen", "2026-02", 3.5)]
    ]  # fmt: skip
    table = table_of(
        "analyze", analyze("average_rating", "rating", by=("category", "month"), rows=rows)
    )
    # "Audio, 2026-02" says no more than the keys: no label column.
    assert table.columns == ("category", "month", "value", "n")
    fig = charts.result_figure(table)
    assert [t.name for t in fig.data] == ["Audio", "Kitchen"]
    assert list(fig.data[0].x) == ["2026-01", "2026-02"]
    assert list(fig.data[0].y) == [4.3, 4.1]
    assert tuple(fig.layout.yaxis.range) == (0, 5.2)


# -- the chat: result messages and choice buttons --------------------------------
def test_result_messages_show_chart_table_and_a_csv_of_the_rows(tmp_path):
    answer = {"text": "Revenue by month …", "tool_calls": [{"name": "sales_metrics",
              "result": sales()}, {"name": "search_reviews", "result": {"results": []}}]}  # fmt: skip
    plot, table, download = result_messages(answer, tmp_path)
    assert isinstance(plot["content"], gr.Plot)
    assert table["content"].splitlines() == [
        "**Revenue by month**",
        "",
        "| month | Revenue (shop currency) | records |",
        "| --- | ---: | ---: |",
        "| 2026-02 | 80.50 | 3 |",
        "| 2026-01 | 120.25 | 4 |",
    ]
    path = download["content"]["path"]
    assert path.endswith("revenue_by_month.csv")
    assert open(path, encoding="utf-8").read().splitlines() == [
        "month,revenue,n",
        "2026-02,80.5,3",
        "2026-01,120.25,4",
    ]
    # Gradio accepts the messages as chatbot content.
    gr.Chatbot().postprocess([{"role": "user", "content": "q"}, plot, table, download])
    assert result_messages({"text": "x", "tool_calls": []}, tmp_path) == []


def test_markdown_table_escapes_cells_and_caps_rows_the_csv_keeps(tmp_path):
    rows = [
        {"group": f"P{i:04d}", "value": 100 - i, "n": 1, "title": "Mug | <b>big</b> *x*"}
        for i in range(30)
    ]
    table = table_of("sales_metrics", sales(metric="units", group_by="product", rows=rows))
    text = markdown_table(table)
    first = text.splitlines()[4]
    assert first == "| P0000 | Mug \\| \\<b\\>big\\</b\\> \\*x\\* | 100 | 1 |"
    assert text.count("\n| P") == MAX_SHOWN_ROWS
    assert text.endswith(f"First {MAX_SHOWN_ROWS} of 30 rows; the CSV has all of them.")
    assert len(table.csv_text().splitlines()) == 31
    fig = charts.result_figure(table)
    assert len(fig.data[0].y) == charts.MAX_BARS
    assert fig.layout.title.text == f"Units by product (first {charts.MAX_BARS} of 30)"


def test_long_bar_labels_are_cut_but_keep_the_id():
    label = "Aurora Pulse ANC Wireless Headphones, Over-Ear Bluetooth 5.3 (P0016)"
    short = charts.short_label(label)
    assert len(short) <= charts.MAX_LABEL and short.endswith("… (P0016)")
    assert short.startswith("Aurora Pulse ANC Wireless")
    assert charts.short_label("Kitchen") == "Kitchen"


def test_candidate_ids_skip_plain_numbers_and_words():
    text = "Which one do you mean: Aurora Pulse 2 (P0016) or Aurora X-1000 (P0059)? In 2026."
    assert candidate_ids(text) == ["P0016", "X-1000", "P0059"]


@pytest.fixture
def store_cursor():
    conn = duckdb.connect()
    conn.execute("CREATE TABLE products (product_id VARCHAR, title VARCHAR)")
    conn.execute("INSERT INTO products VALUES ('P0016', 'Aurora Pulse'), ('P0059', 'Aurora Max')")
    conn.execute("CREATE TABLE customers (customer_id VARCHAR)")
    conn.execute("INSERT INTO customers VALUES ('C00042'), ('C00043')")
    yield conn.cursor
    conn.close()


def test_choices_are_the_store_ids_a_question_offers(store_cursor):
    lookup = store_lookup(store_cursor)
    text = "Which one do you mean: Aurora Pulse (P0016) or Aurora Max (P0059)? Reply with the id."
    assert choice_options(text, lookup) == [
        {"value": "P0016", "label": "Aurora Pulse (P0016)"},
        {"value": "P0059", "label": "Aurora Max (P0059)"},
    ]
    text = "I couldn't find a customer with id C00041. Did you mean C00042 or C00043?"
    assert choice_options(text, lookup) == [
        {"value": "C00042", "label": "C00042"},
        {"value": "C00043", "label": "C00043"},
    ]
    # Not a question: ids in a statement are no choices; unknown ids never are.
    assert choice_options("P0016 sold 40 units.", lookup) == []
    answer = 'P0016 is rated 4.1. A buyer wrote "why did P0059 break?" Anything else?'
    assert choice_options(answer, lookup) == []
    assert choice_options("Linden & Co. Mug (P0016) or Aurora Max (P0059)?", lookup) == [
        {"value": "P0016", "label": "Aurora Pulse (P0016)"},
        {"value": "P0059", "label": "Aurora Max (P0059)"},
    ]
    assert choice_options("Did you mean P9999?", lookup) == []


def test_with_results_puts_choices_under_the_question_and_results_after_it(store_cursor, tmp_path):
    question = "Which one do you mean: Aurora Pulse (P0016) or Aurora Max (P0059)?"
    history = [
        {"role": "user", "content": "the aurora"},
        {"role": "assistant", "content": question},
    ]
    out = with_results(
        history, {"text": question, "tool_calls": []}, tmp_path, store_lookup(store_cursor)
    )
    assert [o["value"] for o in out[-1]["options"]] == ["P0016", "P0059"]
    assert "options" not in history[-1]  # the input history is left as it was

    answer = {"text": "Revenue by month", "tool_calls": [{"name": "sales_metrics",
              "result": sales()}]}  # fmt: skip
    out = with_results(history[:1] + [{"role": "assistant", "content": "Revenue by month"}],
                       answer, tmp_path, store_lookup(store_cursor))  # fmt: skip
    assert len(out) == 5 and "options" not in out[1]


def test_answer_tap_passes_events_through_and_keeps_the_answer():
    class Bot:
        def stream(self, message, **kwargs):
            yield {"type": "text", "delta": message}
            yield {"type": "done", "answer": {"text": message, "tool_calls": []}}

    tap = AnswerTap(Bot())
    events = list(tap.stream("hi", role="marketer"))
    assert [e["type"] for e in events] == ["text", "done"]
    assert tap.answer == {"text": "hi", "tool_calls": []}


class ScriptedBot:
    """Streams one finished answer with the given tool results, as the assistant does."""

    def __init__(self, text: str, calls: list[dict]) -> None:
        self.text, self.calls = text, calls

    def stream(self, message, **kwargs):
        yield {"type": "text", "delta": self.text}
        yield {"type": "done", "answer": {"text": self.text, "tool_calls": self.calls}}


def test_a_chat_turn_ends_with_the_chart_and_survives_a_failing_extra(tmp_path):
    bot = ScriptedBot("Revenue by month", [{"name": "sales_metrics", "result": sales()}])
    updates = list(
        chat_turn_with_results(bot, "revenue by month", [], None, role="marketer", user=None,
                               csv_folder=tmp_path)
    )  # fmt: skip
    final = updates[-1][0]
    assert final[1]["content"].startswith("Revenue by month")
    assert isinstance(final[2]["content"], gr.Plot) and len(final) == 5
    # Only the finished answer gets the extras; the streamed snapshots before it do not.
    assert all(len(update[0]) <= 2 for update in updates[:-1])

    def broken_lookup(ids):
        raise RuntimeError("store gone")

    bot = ScriptedBot("Which one do you mean: A (P0016) or B (P0059)?", [])
    updates = list(
        chat_turn_with_results(bot, "the aurora", [], None, role="marketer", user=None,
                               csv_folder=tmp_path, lookup=broken_lookup)
    )  # fmt: skip
    history, evidence, notice, _thread = updates[-1]
    assert history[-1]["content"].startswith("Which one do you mean")
    assert "options" not in history[-1]
