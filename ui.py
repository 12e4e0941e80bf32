"""Start the web app on the configured workspace.

Settings come from the environment (INSIGHT_DATA_DIR, INSIGHT_HOST, INSIGHT_PORT,
INSIGHT_UI_CONCURRENCY, INSIGHT_MODEL, ...). A workspace without a users file
gets one demo login per role, printed once here.
"""

from __future__ import annotations

import sys

from assistant.config import Settings, load_settings
from assistant.errors import InsightError


def login_lines(settings: Settings, created: dict[str, dict]) -> list[str]:
    """What to print about logins: the new demo passwords, or who exists."""
    from assistant.users import list_users

    if created:
        lines = [
            "Demo logins (shown once; change with `insight users add NAME --role R --replace`):"
        ]
        lines += [
            f"  {name:<9} password {info['password']:<14} role {info['role']}"
            for name, info in created.items()
        ]
        return lines
    users = list_users(settings.users_path)
    names = ", ".join(f"{u['name']} ({u['role']})" for u in users) or "none"
    return [f"Logins in {settings.users_path}: {names}"]


def main() -> int:
    from assistant.agent import Assistant
    from assistant.users import ensure_demo_users
    from assistant.webapp.app import create_app, launch

    try:
        settings = load_settings()
        created = ensure_demo_users(settings.users_path)
        assistant = Assistant.open(settings=settings)
    except InsightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo = create_app(assistant, settings, users_path=settings.users_path)
    print(f"Customer insight app: http://{settings.host}:{settings.port}", flush=True)
    for line in login_lines(settings, created):
        print(line, flush=True)
    launch(demo, settings, users_path=settings.users_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
