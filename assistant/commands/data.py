"""`insight` commands over the store: status and ingest."""

from __future__ import annotations

import json
from pathlib import Path

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


FORMAT_HELP = "Input format: auto (detect from contents/names), canonical, amazon2023, amazon2018."


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to ingest."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    data_dir: DataDir = None,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
):
    """Validate and load shop data; bad rows go to the workspace quarantine."""
    from assistant.data.ingest import ingest_paths

    with open_workspace(data_dir, create=True) as ws:
        report = ingest_paths(ws, paths, fmt=fmt, progress=not as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    typer.echo(f"detected format: {report.detected_format} ({report.files_processed} file(s))")
    for file in report.files:
        notes = ", ".join(
            f"{k.replace('_', ' ')}: {', '.join(v) if isinstance(v, list) else v}"
            for k, v in file.notes.items()
        )
        typer.echo(f"  {file.path}: {file.kind}" + (f" ({notes})" if notes else ""))
    for path in report.skipped:
        typer.echo(f"  skipped (not a data file): {path}")
    for table, c in report.tables.items():
        extra = []
        if c.duplicates_collapsed:
            extra.append(f"{c.duplicates_collapsed} identical duplicates collapsed")
        if c.conflicting_duplicates:
            extra.append(f"{c.conflicting_duplicates} conflicting duplicates quarantined")
        typer.echo(
            f"  {table:<12} {c.loaded:>9,} rows (new {c.inserted:,}, updated {c.updated:,}, "
            f"unchanged {c.unchanged:,})" + ("; " + "; ".join(extra) if extra else "")
        )
        if c.changed_fields:
            changed = ", ".join(f"{col} {n:,}" for col, n in sorted(c.changed_fields.items()))
            typer.echo(f"  {'':<12} changed fields: {changed}")
    if report.quarantined:
        typer.echo(f"quarantined {report.quarantined:,} row(s): {report.quarantine_path}")
    else:
        typer.echo("quarantined 0 rows")
