"""Entry point of the `insight` command: imports every command module so they register."""

from __future__ import annotations

import functools

import typer

from assistant.commands import (  # noqa: F401  (imported for their @app.command registrations)
    agent,
    app,
    data,
    demo,
    digest,
    index,
    mcp,
    ops,
    people,
    reviews,
    users,
)
from assistant.sanitize import terminal_text


def _plain(print_function):
    """``typer.echo``/``secho`` that drop control characters from the message before
    styling it: review text, names and model answers printed by any command can then
    not move the cursor, clear the screen, retitle the window or write the clipboard,
    while the commands' own colours still apply."""

    @functools.wraps(print_function)
    def printer(message=None, *args, **kwargs):
        if isinstance(message, str):
            message = terminal_text(message)
        return print_function(message, *args, **kwargs)

    printer.plain = True
    return printer


def plain_output() -> None:
    """Route every command's printing through :func:`_plain` (once per process)."""
    for name in ("echo", "secho"):
        current = getattr(typer, name)
        if not getattr(current, "plain", False):
            setattr(typer, name, _plain(current))


def main() -> None:
    plain_output()
    app()


if __name__ == "__main__":
    main()
