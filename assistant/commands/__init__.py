"""The `insight` Typer app and what every command shares.

Each command module in this package registers its commands on ``app``;
``assistant.cli`` imports them all. Errors of the product's own hierarchy are
printed as one clear line (with a hint) instead of a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from typer.core import TyperGroup

from assistant.errors import InsightError, UserError


class _InsightGroup(TyperGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InsightError as exc:
            typer.secho(f"error: {exc.message}", fg="red", err=True)
            if exc.hint:
                typer.echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(2 if isinstance(exc, UserError) else 1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_InsightGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Customer-insight assistant: ingest shop data, index reviews, ask questions with evidence.",
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Workspace directory (default: $INSIGHT_DATA_DIR or ./workspace)."
    ),
]


def open_workspace(data_dir: Path | None, **kwargs):
    from assistant.workspace import Workspace

    return Workspace.open(data_dir, **kwargs)


def echo_flags(result: dict) -> None:
    """Name the records whose text tried to instruct the assistant, as chat answers do."""
    if result.get("flags"):
        typer.echo(
            "flags (instruction-like customer text, never followed): " + ", ".join(result["flags"])
        )


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


@app.callback()
def _root() -> None:
    """Customer-insight assistant: ingest shop data, index reviews, ask questions with evidence."""
