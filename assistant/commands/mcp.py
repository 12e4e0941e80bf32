"""`insight mcp`: the shop's tools for other agents over the Model Context Protocol."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.commands import DataDir, app, open_workspace
from assistant.errors import UserError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def mcp(
    role: Annotated[
        str | None,
        typer.Option(
            "--role", help="marketer, support or admin (stdio; HTTP uses each token's user)."
        ),
    ] = None,
    transport: Annotated[
        str, typer.Option("--transport", help="stdio (default) or http (streamable HTTP).")
    ] = "stdio",
    host: Annotated[str, typer.Option("--host", help="HTTP address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 8765,
    data_dir: DataDir = None,
) -> None:
    """Serve the tools to MCP clients, read-only and guarded by role.

    Over stdio every call runs as --role. Over HTTP each request needs
    `Authorization: Bearer TOKEN` from `insight users token NAME`, and runs as that
    user's role; without a valid token there are no tools.
    """
    try:
        from assistant.mcp import run
    except ImportError as exc:
        raise UserError(
            f"the MCP server needs the 'mcp' package: {exc}",
            hint="pip install 'customer-insight[mcp]'",
        ) from None
    from tools.access import check_role

    if transport not in ("stdio", "http"):
        raise UserError(f"unknown transport {transport!r}", hint="use stdio or http")
    run.log_to_stderr()
    if transport == "stdio":
        if role is None:
            raise UserError("--role is required over stdio", hint="marketer, support or admin")
        check_role(role)
        with open_workspace(data_dir, read_only=True) as ws:
            run.serve_stdio(ws, role)
        return
    if role is not None:
        raise UserError(
            "--role does not apply over HTTP: each bearer token's user has a role",
            hint="create a token with: insight users token NAME",
        )
    if host not in LOOPBACK:
        typer.echo(
            f"warning: serving on {host}: bearer tokens travel in clear text without TLS",
            err=True,
        )
    with open_workspace(data_dir, read_only=True) as ws:
        run.serve_http(ws, host=host, port=port)
