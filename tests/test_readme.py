"""The README's tour is a runnable path: its read-only `insight` commands run on the demo shop."""

from __future__ import annotations

import re
import shlex

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.conftest import ROOT

# Commands that build or change data, or wait for a person or a client, are exercised
# by their own tests.
NOT_HERE = {"demo", "ingest", "index", "chat", "eval", "users", "mcp"}


def tour_commands() -> list[tuple[str | None, list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            stdin = None
            if line.startswith("echo ") and "| insight " in line:
                echoed, line = line.split("| insight ", 1)
                stdin = shlex.split(echoed)[1] + "\n"
                line = "insight " + line
            if line.startswith("insight "):
                commands.append((stdin, shlex.split(line)[1:]))
    return commands


def test_the_tour_has_commands():
    names = {args[0] for _, args in tour_commands()}
    assert {"ask", "search", "insights", "profile", "recommend", "metrics"} <= names


@pytest.mark.parametrize(
    "stdin, args",
    [c for c in tour_commands() if c[1][0] not in NOT_HERE],
    ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else "",
)
def test_tour_command_runs_on_the_demo_shop(demo_dir, tmp_path, monkeypatch, stdin, args):
    monkeypatch.chdir(tmp_path)  # files the tour writes (CSV exports) land in a temporary folder
    monkeypatch.setenv("INSIGHT_TODAY", "2026-11-01")
    result = CliRunner().invoke(app, [*args, "--data-dir", str(demo_dir)], input=stdin)
    assert result.exit_code == 0, result.output
    assert result.output.strip()
    assert "Traceback" not in result.output
