"""The command line prints data without the terminal control codes hidden in it."""

from __future__ import annotations

import sys

import pytest
import typer

from assistant import cli
from assistant.workspace import Workspace
from tests.fakes import build_tiny_shop

HOSTILE_NAME = "Ada \x1b]0;owned\x07\x1b[2J\x9b31m\u202eLovelace"


@pytest.fixture
def restore_typer():
    echo, secho = typer.echo, typer.secho
    yield
    typer.echo, typer.secho = echo, secho


def test_profile_output_carries_no_control_codes(tmp_path, monkeypatch, capsys, restore_typer):
    path = tmp_path / "ws"
    build_tiny_shop(path)
    with Workspace.open(path) as ws:
        ws.conn.execute("UPDATE customers SET name = ? WHERE customer_id = 'C1'", [HOSTILE_NAME])
    monkeypatch.setattr(
        sys, "argv", ["insight", "profile", "C1", "--role", "support", "--data-dir", str(path)]
    )
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert "customer C1" in out and "Lovelace" in out
    for code in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert code not in out


def test_plain_output_is_installed_once_and_keeps_styles(restore_typer, capsys):
    cli.plain_output()
    cli.plain_output()
    assert typer.echo.plain and typer.echo.__wrapped__.__name__ == "echo"
    typer.secho("a\x1b[2Jb", fg="red", color=True)
    out = capsys.readouterr().out
    # The command's own colour stays; the data's escape sequence does not.
    assert out == "\x1b[31ma[2Jb\x1b[0m\n"
