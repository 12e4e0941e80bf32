"""`insight` commands for operators: eval and doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.commands import DataDir, app


@app.command("eval")
def eval_command(
    files: Annotated[list[Path], typer.Argument(help="Question sets (YAML or JSONL).")],
    data_dir: DataDir = None,
    backend: Annotated[
        str | None, typer.Option(help='Chat model: "local" or "openai:<model>".')
    ] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="Runs per case; a case passes only if all pass.")
    ] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Cases run in parallel.")] = 4,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the report as JSON on stdout (the table goes to stderr)."
        ),
    ] = False,
    json_report: Annotated[
        Path | None, typer.Option("--json-out", help="Write the JSON report to this file.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown report here.")
    ] = None,
    min_score: Annotated[
        float, typer.Option(min=0, max=1, help="Exit 1 when the pass rate is below this.")
    ] = 0.0,
    today: Annotated[
        str | None, typer.Option(help="Pin the date relative periods count from (YYYY-MM-DD).")
    ] = None,
):
    """Run question sets against the agent and score them (tools, arguments, facts, citations, latency)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from assistant.agent import Assistant
    from assistant.config import load_settings
    from assistant.evaluation import load_cases, run_cases
    from assistant.evaluation.cases import declared_today
    from assistant.evaluation.report import (
        check_report_paths,
        print_table,
        report_json,
        write_reports,
    )
    from assistant.evaluation.shops import DEMO_COMMANDS, for_this_shop

    # Before the run, which can take minutes: a directory where a file is meant fails now.
    check_report_paths(files=files, json_out=json_report, markdown=markdown)
    cases = load_cases(files)
    today = today or declared_today(files)
    settings = load_settings(data_dir=data_dir, model=backend, today=today)
    console = Console(stderr=True)
    assistant = Assistant.open(settings=settings)
    cases, skipped = for_this_shop(cases, assistant.workspace.cursor())
    for source, n in sorted(skipped.items()):
        typer.secho(
            f"skipped {n} case(s) of {source}: written for the other demo shop "
            f"(`{DEMO_COMMANDS['zh']}` or `{DEMO_COMMANDS['en']}` builds it)",
            fg="yellow",
            err=True,
        )
    with Progress(
        TextColumn("eval"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("cases", total=len(cases))
        run = run_cases(
            assistant, cases, workers=workers, repeat=repeat, on_result=lambda _r: bar.advance(task)
        )
    print_table(run, console if as_json else Console())
    write_reports(run, json_report, markdown)
    if as_json:
        typer.echo(report_json(run))
    score = run.totals["score"]
    if score < min_score:
        typer.secho(f"score {score:.1%} is below --min-score {min_score:.1%}", fg="red", err=True)
        raise typer.Exit(1)


@app.command()
def doctor(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
):
    """Check the workspace: store, sentiment labels, review index (and that it matches the
    store), recommender, writer lock. Exit 1 when something is broken."""
    import json

    from rich.console import Console
    from rich.table import Table

    from assistant.config import load_settings
    from assistant.doctor import run_doctor

    report = run_doctor(load_settings(data_dir=data_dir))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        colour = {"ok": "green", "warn": "yellow", "error": "red"}
        table = Table(title=f"workspace {report.data_dir}")
        for col in ("check", "status", "finding", "fix"):
            table.add_column(col, overflow="fold")
        for c in report.checks:
            table.add_row(c.name, f"[{colour[c.status]}]{c.status}[/]", c.message, c.hint or "")
        console = Console()
        console.print(table)
        for c in report.checks:
            if c.counts:
                console.print(f"{c.name}: " + ", ".join(f"{k} {v:,}" for k, v in c.counts.items()))
        console.print("all good" if report.ok else "[red]problems found[/red]")
    if not report.ok:
        raise typer.Exit(1)
