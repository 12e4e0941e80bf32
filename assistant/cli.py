"""Entry point of the `insight` command: imports every command module so they register."""

from __future__ import annotations

from assistant.commands import (  # noqa: F401  (imported for their @app.command registrations)
    agent,
    app,
    data,
    demo,
    index,
    ops,
    people,
    reviews,
    users,
)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
