"""`insight` commands over the store: status (and ingest)."""

from __future__ import annotations

import json

import typer

from assistant.commands import DataDir, app, open_workspace


@app.command()
def status(
    data_dir: DataDir = None, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
):
    """Show the workspace location and how many rows each table holds."""
    with open_workspace(data_dir, read_only=True) as ws:
        counts = ws.table_counts()
        if as_json:
            typer.echo(json.dumps({"data_dir": str(ws.path), "tables": counts}))
            return
        typer.echo(f"workspace: {ws.path}")
        for name, n in counts.items():
            typer.echo(f"  {name:<12} {n:>10,}")
