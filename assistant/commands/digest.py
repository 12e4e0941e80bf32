"""`insight digest`: what changed in the shop, ranked by impact (cron-safe with --json)."""

from __future__ import annotations

import json
import logging
import re

import typer

from assistant.commands import DataDir, app, open_workspace
from assistant.errors import UserError

_PERIOD = re.compile(r"^\s*(\d{1,3})\s*d\s*$", re.IGNORECASE)


def period_days(text: str | None) -> int | None:
    """'7d' -> 7; None stays None; anything else is a clear error."""
    if text is None:
        return None
    match = _PERIOD.match(text)
    if not match:
        raise UserError(f"--period takes a number of days such as 7d or 30d, got {text!r}")
    return int(match[1])


@app.command("digest")
def digest_command(
    since: str = typer.Option(None, "--since", help="First day of the period (YYYY-MM-DD)."),
    until: str = typer.Option(None, "--until", help="Last day (default: the latest data)."),
    period: str = typer.Option(None, "--period", help="Length of the period: 7d, 30d..."),
    limit: int = typer.Option(None, "--limit", min=1, max=100, help="At most this many items."),
    role: str = typer.Option(None, "--role", help="marketer | support | admin (default: setting)."),
    data_dir: DataDir = None,
    as_json: bool = typer.Option(False, "--json", help="Print only JSON on stdout (for cron)."),
):
    """What changed in the period against the one before: spikes, drops, waves, risks."""
    if since is not None and period is not None:
        raise UserError("give --since or --period, not both")
    if as_json:
        # Cron reads stdout as JSON: every log line goes to stderr.
        logging.basicConfig(level=logging.WARNING, stream=__import__("sys").stderr, force=True)
    args = {"since": since, "until": until, "period_days": period_days(period), "limit": limit}
    with open_workspace(data_dir, read_only=True) as ws:
        toolbox = ws.toolbox(role or ws.settings.role)
        result = toolbox.call("digest", **{k: v for k, v in args.items() if v is not None}).unwrap()
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    typer.echo(
        f"What changed {result['since']} to {result['until']} "
        f"(against {result['compare_since']} to {result['compare_until']})"
    )
    if not result["items"]:
        typer.echo("Nothing changed beyond the shop's thresholds.")
    for rank, item in enumerate(result["items"], 1):
        typer.echo(f"\n{rank}. {item['title']}")
        typer.echo(f"   {figures(item)}")
        if item["since"]:
            typer.echo(f"   since {item['since']}")
        for line in item["also"]:
            typer.echo(f"   also: {line}")
        for record in item["evidence"][:3]:
            typer.echo(f"   - {record_line(record)}")
        typer.echo(f"   action: {item['action']}")
    for note in result["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"\nRead as: {result['interpretation']}")


def figures(item: dict) -> str:
    now, before = item["now"], item["before"]
    if now["hits"] is not None:
        ci = now["ci"] or [None, None]
        return (
            f"now {pct(now['value'])} ({now['hits']} of {now['n']}, 95% {pct(ci[0])}–{pct(ci[1])})"
            f" vs {pct(before['value'])} ({before['hits']} of {before['n']})"
        )
    return f"now {num(now['value'])} (n {now['n']}) vs {num(before['value'])} (n {before['n']})"


def record_line(record: dict) -> str:
    ident = next(
        (record[k] for k in ("review_id", "order_id", "ticket_id", "customer_id") if k in record),
        "",
    )
    rest = record.get("quote") or record.get("subject") or record.get("status") or ""
    if "what" in record:
        rest = "; ".join(record["what"])
    return f"{ident} {rest}".strip()


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def num(x) -> str:
    if x is None:
        return "–"
    return f"{x:.2f}" if isinstance(x, float) and not float(x).is_integer() else f"{int(x)}"
