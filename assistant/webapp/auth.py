"""Login for the web app: Gradio's auth callable backed by the users file.

Gradio 6 calls the ``auth=`` callable from its async ``/login`` route, directly
on the event loop unless the callable is a coroutine function, in which case it
awaits it. A bcrypt check takes a quarter of a second, so ``authenticate`` (the
coroutine given to Gradio) runs it in a worker thread, at most
``parallel_checks`` at a time, so a storm of logins can neither freeze the
loop nor take every core from the people already working.

The logged-in name arrives in every handler as ``gr.Request.username`` and the
session token as its cookie; the role resolver checks on each request that the
session has not expired and that the user still exists with the credential
they logged in with (see ``sessions``). Roles come from the users file, read
again when the file changes, so `insight users add` takes effect without a
restart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import anyio

from assistant.errors import InsightError, PermissionDenied
from assistant.users import authenticate, credentials
from assistant.webapp.login_limits import FailureLimiter
from assistant.webapp.sessions import (
    TOKEN_PREFIX,
    LoginAttempt,
    LoginGate,
    SessionRegistry,
    current_attempt,
)

DEFAULT_SESSION_HOURS = 12.0
log = logging.getLogger(__name__)


class UserDirectory:
    """Roles and credentials by user name, cached until the users file changes."""

    def __init__(
        self,
        path: Path,
        *,
        session_hours: float = DEFAULT_SESSION_HOURS,
        limiter: FailureLimiter | None = None,
        parallel_checks: int | None = None,
        sessions: SessionRegistry | None = None,
    ) -> None:
        self.path = Path(path)
        self.limiter = limiter or FailureLimiter()
        self.sessions = sessions or SessionRegistry(session_hours)
        # Half the cores for password checks: logins queue, the app's handlers do not.
        self.parallel_checks = parallel_checks or max(1, (os.cpu_count() or 2) // 2)
        self._checks: anyio.CapacityLimiter | None = None
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._users: dict[str, tuple[str, str]] = {}

    # -- logging in ----------------------------------------------------------------
    def check_login(
        self,
        username: str,
        password: str,
        address: str | None = None,
        *,
        attempt: LoginAttempt | None = None,
    ) -> bool:
        """True when the password matches and neither the name nor the address is
        locked out; records the outcome (blocking: bcrypt runs here)."""
        attempt = attempt or current_attempt()
        wait = self.limiter.retry_after(username, address)
        if wait > 0:
            if attempt is not None:
                attempt.retry_after = wait
            return False
        found = authenticate(self.path, username, password)
        if found is None:
            wait = self.limiter.failed(username, address)
            if attempt is not None:
                attempt.retry_after = wait
            return False
        self.limiter.succeeded(username)
        if attempt is not None:
            attempt.user, attempt.credential = username, found["credential"]
        return True

    async def authenticate(self, username: str, password: str) -> bool:
        """Gradio's ``auth=`` callable: the password check, off the event loop."""
        attempt = current_attempt()
        address = attempt.address if attempt else None
        # A locked-out name or address is refused without queueing for a bcrypt slot.
        wait = self.limiter.retry_after(username, address)
        if wait > 0:
            if attempt is not None:
                attempt.retry_after = wait
            return False
        if self._checks is None:
            self._checks = anyio.CapacityLimiter(self.parallel_checks)
        # The attempt is handed over explicitly: a worker thread need not share the
        # request's context variables.
        check = partial(self.check_login, username, password, address, attempt=attempt)
        return await anyio.to_thread.run_sync(check, limiter=self._checks)

    # -- each request ----------------------------------------------------------------
    def _entries(self) -> dict[str, tuple[str, str]]:
        with self._lock:
            try:
                st = self.path.stat()
                stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                self._users = credentials(self.path)
                self._stamp = stamp
            return self._users

    def role(self, username: str | None) -> str:
        """The role of a user by name; a name not (or no longer) in the file is refused."""
        entry = self._entries().get(username or "")
        if entry is None:
            raise PermissionDenied(
                f"user {username!r} has no role in {self.path}",
                hint="log in again, or ask an admin to run `insight users add`",
            )
        return entry[0]

    def session_problem(self, token: str, username: str | None = None) -> str | None:
        """Why this session token may not be used, or None when it may."""
        session = self.sessions.get(token)
        if session is None:
            return "no such session (the app restarted, or you logged out)"
        if username is not None and session.user != username:
            return "the session belongs to another user"
        if self.sessions.expired(session):
            return f"the session expired after {self.sessions.seconds / 3600:g} hours"
        entry = self._entries().get(session.user)
        if entry is None:
            return f"user {session.user!r} was removed"
        if entry[1] != session.credential:
            return f"the password of {session.user!r} changed"
        return None

    def session_valid(self, token: str) -> bool:
        try:
            return self.session_problem(token) is None
        except InsightError as exc:
            # A users file that cannot be read logs everyone out rather than failing
            # every request (static files included) with a server error.
            log.warning("session check failed: %s", exc)
            return False

    def session_role(self, username: str | None, tokens: list[str]) -> str:
        """The role for a request carrying these session tokens, checked afresh."""
        problems = [self.session_problem(t, username) for t in tokens]
        if tokens and None in problems:
            return self.role(username)
        reason = next((p for p in problems if p), "no session cookie")
        raise PermissionDenied(f"not logged in: {reason}", hint="reload the page and log in again")

    def middleware(self) -> tuple[type, dict]:
        """The ASGI middleware (class, options) that gives these sessions their end."""
        return LoginGate, {"sessions": self.sessions, "valid": self.session_valid}


def session_tokens(request) -> list[str]:
    """The Gradio login tokens a request carries (the same token in two cookies)."""
    cookies = getattr(request, "cookies", None)
    try:
        pairs = dict(cookies or {})
    except (TypeError, ValueError):
        return []
    return sorted({v for k, v in pairs.items() if k.startswith(TOKEN_PREFIX) and v})


def role_resolver(directory: UserDirectory | None, default_role: str) -> Callable[[object], str]:
    """A function from a ``gr.Request`` to a role.

    Without a directory (the app started with auth off, e.g. a local test) every
    request gets ``default_role``.
    """

    def resolve(request) -> str:
        if directory is None:
            return default_role
        return directory.session_role(getattr(request, "username", None), session_tokens(request))

    return resolve
