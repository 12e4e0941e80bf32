"""Serving the MCP server over stdio or streamable HTTP from one workspace.

The workspace opens read-only and the models (embedder, review index) load once, in a
background thread started after the server is built: the handshake and the tool list
answer at once, and the first tool call waits for the warm-up instead of loading a
second copy.
"""

from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import Future
from importlib.metadata import PackageNotFoundError, version

import anyio

from assistant.mcp.server import build_server
from assistant.workspace import Workspace

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("customer-insight")
    except PackageNotFoundError:
        return ""


def warm_up(ws: Workspace) -> Future:
    """Load the shared models in the background; the future resolves when they are
    loaded or failed to load (the failing tool then reports its own error)."""
    done: Future = Future()

    def load() -> None:
        ctx = ws.tool_context("admin")
        for what in ("embedder", "review_index"):
            try:
                loaded = getattr(ctx, what)
                if what == "review_index":
                    loaded.connect()  # an embedded index opens Chroma lazily
                log.info("mcp: %s loaded", what)
            except Exception as exc:  # the tool that needs it will say what is wrong
                log.warning("mcp: could not load the %s: %s", what, exc)
        done.set_result(None)

    threading.Thread(target=load, name="mcp-warm-up", daemon=True).start()
    return done


def log_to_stderr(level: int = logging.INFO) -> None:
    """Logs and progress go to stderr: over stdio, stdout is the protocol's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def serve_stdio(ws: Workspace, role: str) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(ws.toolbox, lambda ctx: role, ready=warm_up(ws), version=_version())

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


def http_app(ws: Workspace, *, host: str, ready: Future | None = None):
    """The ASGI app: the SDK's streamable HTTP app behind the bearer-token gate."""
    from assistant.mcp.http import BearerGate, role_from_request

    users_path = ws.settings.users_path
    server = build_server(
        ws.toolbox, role_from_request(users_path), ready=ready, version=_version()
    )
    return BearerGate(server.streamable_http_app(host=host), users_path)


def serve_http(ws: Workspace, *, host: str, port: int) -> None:
    import uvicorn

    app = http_app(ws, host=host, ready=warm_up(ws))
    log.info("mcp: serving streamable HTTP on http://%s:%d/mcp", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning", log_config=None)
