"""`insight` commands for the agent: ask, chat, threads."""

from __future__ import annotations

import json
from typing import Any

import typer

from assistant.commands import DataDir, app

RoleOpt = typer.Option(None, "--role", "-r", help="marketer, support or admin (default: settings).")
ThreadOpt = typer.Option(None, "--thread", "-t", help="Continue this conversation thread.")
ModelOpt = typer.Option(None, "--model", help='Chat model: "local" or "openai:<model>".')
UserOpt = typer.Option(None, "--user", help="Who is asking (recorded in the audit log).")


def _open(data_dir, model):
    from assistant.agent import Assistant
    from assistant.config import load_settings

    return Assistant.open(data_dir, settings=load_settings(model=model))


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_event(event: dict) -> None:
    if event["type"] == "tool_start":
        typer.secho(f"  → {event['name']}({_short(event['args'])})", fg="cyan", err=True)
    elif event["type"] == "tool_end":
        status = f"error: {event['error']}" if event["error"] else "ok"
        ms = event["duration_ms"] or 0
        typer.secho(f"  ← {event['name']} {status} ({ms:.0f} ms)", fg="cyan", err=True)
    elif event["type"] == "text":
        typer.echo(event["delta"], nl=False)


def _print_tables(answer) -> None:
    """Grouped and ranked metric results as tables under the answer text."""
    from assistant.result_table import tables_of

    tables = tables_of(answer)
    if not tables:
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from assistant.sanitize import terminal_text

    console = Console()
    typer.echo()
    for table in tables:
        shown = Table(title=table.title, title_justify="left")
        for column, header in zip(table.columns, table.headers(), strict=True):
            numeric = column not in (*table.by, "label", "title")
            shown.add_column(header, justify="right" if numeric else "left")
        for row in table.display_rows():
            # Text, not markup: a "[bold]" in a product title is printed as it is.
            shown.add_row(*(Text(terminal_text(cell)) for cell in row))
        console.print(shown)


def _answer_json(answer) -> str:
    """The answer object plus the rows of its grouped metric results, as the CLI prints them."""
    from assistant.result_table import tables_of

    data = answer.to_dict()
    data["tables"] = [table.to_dict() for table in tables_of(answer)]
    return json.dumps(data, ensure_ascii=False)


def _print_footer(answer) -> None:
    typer.echo()
    ids = "; ".join(f"{kind}: {', '.join(v[:8])}" for kind, v in answer.evidence.items() if v)
    if ids:
        typer.secho(f"evidence — {ids}", dim=True, err=True)
    if answer.flags:
        from assistant.flag_words import flags_sentence

        typer.secho(flags_sentence(answer.flags), fg="yellow", err=True)
    typer.secho(
        f"[{answer.backend}{' after fallback' if answer.fell_back else ''}, "
        f"{answer.timings.get('total_ms', 0):.0f} ms, thread {answer.thread_id}]",
        dim=True,
        err=True,
    )


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    role: str = RoleOpt,
    thread: str = ThreadOpt,
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the answer object as JSON, with the rows of grouped results under 'tables'.",
    ),
    model: str = ModelOpt,
    user: str = UserOpt,
    data_dir: DataDir = None,
):
    """Ask one question; prints the answer with its evidence (or the answer object as JSON)."""
    with _open(data_dir, model) as assistant:
        if as_json:
            answer = assistant.ask(question, role=role, thread_id=thread, user=user)
            typer.echo(_answer_json(answer))
            return
        for event in assistant.stream(question, role=role, thread_id=thread, user=user):
            if event["type"] == "done":
                _print_tables(event["answer"])
                _print_footer(event["answer"])
            else:
                _print_event(event)


@app.command()
def chat(
    role: str = RoleOpt,
    thread: str = ThreadOpt,
    model: str = ModelOpt,
    user: str = UserOpt,
    data_dir: DataDir = None,
):
    """A conversation in the terminal; tool calls are shown as they happen. Empty line or
    Ctrl-D ends it."""
    from assistant.errors import InsightError

    with _open(data_dir, model) as assistant:
        typer.secho("Ask about the shop. An empty line ends the conversation.", dim=True)
        while True:
            try:
                question = input("you> ").strip()
            except EOFError:
                break
            if not question:
                break
            typer.echo("assistant> ", nl=False)
            try:
                for event in assistant.stream(question, role=role, thread_id=thread, user=user):
                    if event["type"] == "done":
                        thread = event["answer"].thread_id
                        _print_tables(event["answer"])
                        _print_footer(event["answer"])
                    else:
                        _print_event(event)
            except InsightError as exc:
                typer.secho(f"\nerror: {exc}", fg="red", err=True)
        if thread:
            typer.secho(f"thread {thread} — resume with --thread {thread}", dim=True)


@app.command()
def threads(
    action: str = typer.Argument("list", help="list, show or delete"),
    thread_id: str = typer.Argument(None, help="Thread id (for show and delete)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: DataDir = None,
):
    """List conversation threads, show one, or delete one."""
    from assistant.errors import UserError

    if action not in ("list", "show", "delete"):
        raise UserError(f"unknown action {action!r}", hint="use list, show ID or delete ID")
    if action != "list" and not thread_id:
        raise UserError(f"`insight threads {action}` needs a thread id", hint="see `threads list`")
    with _open(data_dir, None) as assistant:
        if action == "list":
            rows = assistant.list_threads()
            if as_json:
                typer.echo(json.dumps(rows))
                return
            if not rows:
                typer.echo("no threads yet")
            for row in rows:
                typer.echo(
                    f"{row['thread_id']}  {row['role']:<8} {row['turns']:>3} turn(s)  "
                    f"{row['updated_at']}  {row['title']}"
                )
        elif action == "show":
            info = assistant.threads.get(thread_id)
            messages = assistant.thread_messages(thread_id)
            if as_json:
                typer.echo(json.dumps({**info, "messages": messages}, default=str))
                return
            typer.echo(f"thread {thread_id} ({info['role']}, {info['turns']} turn(s))")
            for message in messages:
                if message["speaker"] == "tool":
                    typer.secho(f"  ← {message['name']}", fg="cyan")
                    continue
                for call in message.get("tool_calls") or []:
                    typer.secho(f"  → {call['name']}({_short(call['args'])})", fg="cyan")
                if message["text"]:
                    typer.echo(f"{message['speaker']}> {message['text']}")
        else:
            assistant.delete_thread(thread_id)
            typer.echo(f"deleted thread {thread_id}")
