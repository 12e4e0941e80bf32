"""The chart, table and CSV file shown in the chat under an answer built on a grouped or
ranked metric (``analyze`` or ``sales_metrics`` with a grouping).

The rows come from :mod:`assistant.result_table`, the same the CLI prints and
``insight ask --json`` carries, so the chat, the terminal and the download agree.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.result_table import ResultTable, tables_of
from assistant.sanitize import md_text
from assistant.webapp import charts

# One answer rarely needs more; a runaway tool loop must not flood the page with charts.
MAX_TABLES = 3
# A chat message stays readable; the CSV has every row.
MAX_SHOWN_ROWS = 25


def markdown_table(table: ResultTable) -> str:
    """The table as markdown (Gradio's chatbot renders no dataframe inside a message).
    Keys and titles are data, so they are escaped: a ``|`` in a product title stays text;
    numbers are formatted here and go in as they are."""
    rows = table.display_rows()
    lines = [
        f"**{md_text(table.title)}**",
        "",
        "| " + " | ".join(md_text(h) for h in table.headers()) + " |",
        "|" + "|".join(_align(table, c) for c in table.columns) + "|",
    ]
    escape = [c in _text_columns(table) for c in table.columns]
    for row in rows[:MAX_SHOWN_ROWS]:
        cells = (
            md_text(cell) if is_text else cell for cell, is_text in zip(row, escape, strict=True)
        )
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > MAX_SHOWN_ROWS:
        lines += ["", f"First {MAX_SHOWN_ROWS} of {len(rows)} rows; the CSV has all of them."]
    return "\n".join(lines)


def _text_columns(table: ResultTable) -> tuple[str, ...]:
    return (*table.by, "label", "title")


def _align(table: ResultTable, column: str) -> str:
    return " --- " if column in _text_columns(table) else " ---: "


def write_csv(table: ResultTable, folder: Path) -> Path:
    """The table as a CSV file in a folder of its own, so two users' downloads of the same
    metric never overwrite each other and the file keeps a readable name."""
    target = folder / uuid.uuid4().hex
    target.mkdir(parents=True)
    path = target / f"{table.file_stem()}.csv"
    path.write_text(table.csv_text(), encoding="utf-8")
    return path


def result_messages(
    answer: dict[str, Any], csv_folder: Path, lang: str = "en"
) -> list[dict[str, Any]]:
    """Chat messages for every grouped metric result of an answer: the chart (labelled in
    ``lang``), the table and the CSV file, one message each (Gradio renders one component
    per message best)."""
    messages: list[dict[str, Any]] = []
    for table in tables_of(answer)[:MAX_TABLES]:
        messages.append(
            {
                "role": "assistant",
                "content": gr.Plot(charts.result_figure(table, lang), show_label=False),
            }
        )
        messages.append({"role": "assistant", "content": markdown_table(table)})
        path = write_csv(table, csv_folder)
        messages.append(
            {
                "role": "assistant",
                "content": {"path": str(path), "alt_text": f"{path.name} ({len(table.rows)} rows)"},
            }
        )
    return messages
