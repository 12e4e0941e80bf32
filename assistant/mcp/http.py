"""Bearer-token access for the MCP server over streamable HTTP.

Each token belongs to one user in the users file (``insight users token NAME``) and
so to that user's role. A request without a valid token is answered 401 before the
MCP layer sees it; the tool handlers look the token up again on every message, so a
revoked token or a changed role takes effect at once, whatever session it rides on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mcp.server.context import ServerRequestContext

from assistant.users import user_for_token


def bearer(headers) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, else None."""
    value = headers.get("authorization") if headers is not None else None
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def role_from_request(users_path: Path) -> Callable[[ServerRequestContext], str | None]:
    """The per-message role lookup for :func:`assistant.mcp.server.build_server`."""

    def role_of(ctx: ServerRequestContext) -> str | None:
        request = ctx.request
        headers = getattr(request, "headers", None)
        user = user_for_token(users_path, bearer(headers))
        return user["role"] if user else None

    return role_of


class BearerGate:
    """ASGI middleware: HTTP requests need a token the users file knows."""

    def __init__(self, app, users_path: Path) -> None:
        self.app = app
        self.users_path = users_path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if user_for_token(self.users_path, bearer(headers)) is None:
            body = json.dumps(
                {
                    "error": "unauthorized",
                    "message": "a valid bearer token is required",
                    "hint": "create one with: insight users token NAME",
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="insight"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
