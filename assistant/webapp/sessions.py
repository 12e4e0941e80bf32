"""Web sessions that end: on a timer, on a password change, on the user's removal.

Gradio keeps its login tokens (cookies named ``access-token-<id>`` and
``access-token-unsecure-<id>``) forever in memory. ``LoginGate`` is an ASGI
middleware around the Gradio app that

- records each token Gradio hands out at ``POST /login`` with the user and the
  credential they logged in with (``SessionRegistry``);
- drops a token cookie from every later request whose session has expired or
  whose user's credential changed or vanished, so Gradio sees a logged-out
  browser (the login page, a 401 on API calls and file downloads);
- rewrites the token cookies: ``SameSite=Lax``, a ``Max-Age`` of the session
  length, and ``Secure`` on both when the request came over HTTPS (uvicorn sets
  the scheme from ``X-Forwarded-Proto`` for a trusted proxy);
- tells the password check which address the attempt came from, and gives a
  refused attempt of a locked-out name or address a ``Retry-After`` header and a
  message saying so. The status stays 400: Gradio's login page shows its
  "incorrect credentials" note only for a 400 and shows nothing at all for a 429.

Sessions live in this process's memory, like Gradio's own tokens: a restart logs
everyone out.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

TOKEN_PREFIX = "access-token-"


@dataclass(frozen=True)
class Session:
    user: str
    credential: str
    started: float


@dataclass
class LoginAttempt:
    """One ``POST /login``: where it came from and what the password check decided."""

    address: str | None
    user: str | None = None
    credential: str | None = None
    retry_after: float = 0.0


_ATTEMPT: contextvars.ContextVar[LoginAttempt | None] = contextvars.ContextVar(
    "login_attempt", default=None
)


def current_attempt() -> LoginAttempt | None:
    return _ATTEMPT.get()


class SessionRegistry:
    def __init__(self, hours: float, clock: Callable[[], float] = time.time) -> None:
        if hours <= 0:
            raise ValueError(f"session hours must be positive, got {hours}")
        self.seconds = hours * 3600
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def start(self, token: str, user: str, credential: str) -> None:
        now = self.clock()
        with self._lock:
            # Expired sessions are dropped here, so the table stays as large as the
            # number of live logins.
            for old in [t for t, s in self._sessions.items() if now - s.started > self.seconds]:
                del self._sessions[old]
            self._sessions[token] = Session(user, credential, now)

    def get(self, token: str) -> Session | None:
        with self._lock:
            return self._sessions.get(token)

    def expired(self, session: Session) -> bool:
        return self.clock() - session.started > self.seconds

    def end(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)


def _cookie_pairs(header: bytes) -> list[tuple[str, str]]:
    pairs = []
    for part in header.decode("latin-1").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            pairs.append((name, value))
    return pairs


def _is_path(scope, name: str) -> bool:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.rstrip("/") == f"/{name}"


class LoginGate:
    """ASGI middleware; ``valid(token)`` says whether a session token may pass."""

    def __init__(
        self,
        app,
        *,
        sessions: SessionRegistry,
        valid: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.valid = valid

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope = self._drop_dead_tokens(scope)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "POST" and _is_path(scope, "login"):
            client = scope.get("client")
            attempt = LoginAttempt(address=client[0] if client else None)
            reset = _ATTEMPT.set(attempt)
            try:
                await self.app(scope, receive, self._login_send(scope, send, attempt))
            finally:
                _ATTEMPT.reset(reset)
            return
        if _is_path(scope, "logout"):
            for token in self._tokens(scope):
                self.sessions.end(token)
        await self.app(scope, receive, send)

    @staticmethod
    def _tokens(scope) -> set[str]:
        return {
            value
            for name, raw in scope.get("headers", [])
            if name == b"cookie"
            for key, value in _cookie_pairs(raw)
            if key.startswith(TOKEN_PREFIX)
        }

    def _drop_dead_tokens(self, scope):
        headers = scope.get("headers", [])
        if not any(name == b"cookie" for name, _ in headers):
            return scope
        kept_headers, changed = [], False
        for name, raw in headers:
            if name != b"cookie":
                kept_headers.append((name, raw))
                continue
            pairs = _cookie_pairs(raw)
            kept = [(k, v) for k, v in pairs if not k.startswith(TOKEN_PREFIX) or self.valid(v)]
            if len(kept) != len(pairs):
                changed = True
                raw = "; ".join(f"{k}={v}" for k, v in kept).encode("latin-1")
            if raw:
                kept_headers.append((name, raw))
        if not changed:
            return scope
        return {**scope, "headers": kept_headers}

    def _login_send(self, scope, send, attempt: LoginAttempt):
        https = scope.get("scheme") == "https"
        replaced = False

        async def wrapped(message):
            nonlocal replaced
            if message["type"] == "http.response.start":
                if message["status"] == 400 and attempt.retry_after > 0:
                    replaced = True
                    await send(self._too_many(attempt.retry_after))
                    return
                message = {**message, "headers": self._session_cookies(message, attempt, https)}
            elif message["type"] == "http.response.body" and replaced:
                if not message.get("more_body"):
                    wait = int(attempt.retry_after + 0.999)
                    body = {
                        "detail": f"too many failed logins; try again in {wait} s",
                        "retry_after": wait,
                    }
                    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
                return
            await send(message)

        return wrapped

    @staticmethod
    def _too_many(retry_after: float) -> dict:
        return {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(int(retry_after + 0.999)).encode()),
            ],
        }

    def _session_cookies(self, message, attempt: LoginAttempt, https: bool) -> list:
        headers = []
        for name, raw in message.get("headers", []):
            if name == b"set-cookie":
                try:
                    cookie = SimpleCookie(raw.decode("latin-1"))
                except CookieError:
                    cookie = None
                morsel = next(iter(cookie.values()), None) if cookie else None
                if morsel is not None and morsel.key.startswith(TOKEN_PREFIX):
                    if attempt.user is None or attempt.credential is None:
                        # Gradio accepted a login our check did not: hand out no cookie.
                        continue
                    self.sessions.start(morsel.value, attempt.user, attempt.credential)
                    secure = https or bool(morsel["secure"])
                    raw = (
                        f"{morsel.key}={morsel.value}; HttpOnly; Max-Age={int(self.sessions.seconds)}"
                        f"; Path=/; SameSite=lax{'; Secure' if secure else ''}"
                    ).encode("latin-1")
            headers.append((name, raw))
        return headers
