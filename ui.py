"""Start the web app on the configured workspace.

Settings come from the environment (INSIGHT_DATA_DIR, INSIGHT_HOST, INSIGHT_PORT,
INSIGHT_UI_CONCURRENCY, INSIGHT_MODEL, ...). A workspace without a users file
gets one demo login per role, printed once here.
"""

from __future__ import annotations

import errno
import socket
import sys

from pydantic import ValidationError

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


def port_problem(host: str, port: int) -> str | None:
    """Why the app could not listen on ``host:port``, or None when it can.

    Checked before anything is created or printed: demo passwords are shown only
    once, so they must not scroll past on the way to a failed start.
    """
    if not 1 <= port <= 65535:
        return f"INSIGHT_PORT must be between 1 and 65535, got {port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}:{port}: unknown host ({exc.strerror}); check INSIGHT_HOST"
    with socket.socket(family, kind, proto) as sock:
        # As uvicorn does, so a port left in TIME_WAIT by a previous run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return _bind_error(host, port, exc)
    return None


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (is the app already running?); "
            "stop it or set INSIGHT_PORT to a free port"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port}; use a port above 1023 (INSIGHT_PORT)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; check INSIGHT_HOST"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def main() -> int:
    from assistant.agent import Assistant
    from assistant.users import ensure_demo_users
    from assistant.webapp.app import create_app, launch
    from assistant.webapp.readiness import warm_up

    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "INSIGHT_" + "_".join(str(part) for part in first["loc"]).upper()
        print(f"error: setting {name}: {first['msg']}", file=sys.stderr)
        return 2
    problem = port_problem(settings.host, settings.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        created = ensure_demo_users(settings.users_path)
        assistant = Assistant.open(settings=settings)
    except InsightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo = create_app(assistant, settings, users_path=settings.users_path)
    print("Warming up: loading models and answering the example questions…", flush=True)
    ready = warm_up(assistant)
    if not ready.answered:
        failed = [t for t in ready.turns if not t["answered"]]
        print(f"warning: {len(failed)} warm-up question(s) got no answer", file=sys.stderr)
    for line in login_lines(settings, created):
        print(line, flush=True)
    try:
        # Not listening until warm: the first question after "ready" runs at warm speed.
        launch(demo, settings, users_path=settings.users_path, prevent_thread_lock=True)
    except OSError as exc:  # the port was taken between the check and the start
        print(f"error: {_bind_error(settings.host, settings.port, exc)}", file=sys.stderr)
        return 2
    print(
        f"Customer insight app ready (warm-up {ready.seconds:.1f} s): "
        f"http://{settings.host}:{settings.port}",
        flush=True,
    )
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
