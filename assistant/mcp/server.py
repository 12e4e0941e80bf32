"""An MCP server whose tools are the tool specs and whose calls are ``Toolbox.call``.

Built on the SDK's low-level ``Server`` so each tool's input schema is exactly its
spec's argument model. Who is calling is decided per request by ``role_of`` (a fixed
role over stdio, the bearer token's user over HTTP); a request without a role sees no
tools and may call none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import anyio
import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from assistant import templates
from assistant.guard import delimit_customer_text
from tools.registry import SPEC_BY_NAME
from tools.spec import ToolSpec
from tools.toolbox import Outcome, Toolbox

log = logging.getLogger(__name__)

SERVER_NAME = "customer-insight"

RoleOf = Callable[[ServerRequestContext], str | None]
ToolboxFor = Callable[[str], Toolbox]


def tool_definition(spec: ToolSpec) -> types.Tool:
    """The MCP view of one spec: the model-facing argument schema, and hints saying the
    tool only reads this shop's own data."""
    return types.Tool(
        name=spec.name,
        title=spec.label,
        description=spec.description,
        input_schema=spec.args.model_json_schema(),
        annotations=types.ToolAnnotations(
            title=spec.label,
            read_only_hint=spec.read_only,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )


def tool_result(outcome: Outcome) -> types.CallToolResult:
    """The guarded result as JSON text plus structured content; a product error becomes an
    MCP tool error whose text is the product's message and hint."""
    # The caller is another agent's model: customer-written text reaches it inside
    # <data> fields, in the text and in the structured content alike.
    structured = delimit_customer_text(json.loads(json.dumps(outcome.result, default=str)))
    if outcome.error is not None:
        text = outcome.error.message
        if outcome.error.hint:
            text += f"\nhint: {outcome.error.hint}"
    else:
        text = json.dumps(structured, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=outcome.error is not None,
    )


def _refused(message: str) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], is_error=True
    )


def build_server(
    toolbox_for: ToolboxFor,
    role_of: RoleOf,
    *,
    ready: Future | None = None,
    version: str = "",
) -> Server:
    """The MCP server over one workspace.

    ``toolbox_for(role)`` gives the role's guarded toolbox; ``ready`` (when given) is
    the background warm-up of the models, which a call waits for so the models load
    once, while the handshake and the tool list never wait for it.
    """
    # One call at a time: the workspace's store connection and model caches are
    # shared by every session of this server.
    limiter = anyio.CapacityLimiter(1)

    async def list_tools(
        ctx: ServerRequestContext, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        role = role_of(ctx)
        if role is None:
            return types.ListToolsResult(tools=[])
        names = toolbox_for(role).names()
        return types.ListToolsResult(tools=[tool_definition(SPEC_BY_NAME[n]) for n in names])

    async def call_tool(
        ctx: ServerRequestContext, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        role = role_of(ctx)
        if role is None:
            return _refused("not authorised: no valid bearer token, so no tools")
        toolbox = toolbox_for(role)
        arguments: dict[str, Any] = dict(params.arguments or {})

        def run() -> Outcome:
            if ready is not None:
                ready.result()
            return toolbox.call(params.name, **arguments)

        outcome = await anyio.to_thread.run_sync(run, limiter=limiter)
        log.info(
            "mcp %s as %s: %s in %.1f ms",
            params.name,
            role,
            "ok" if outcome.ok else "error",
            outcome.duration_ms,
        )
        return tool_result(outcome)

    return Server(
        SERVER_NAME,
        version=version,
        instructions=templates.text("mcp_server.md").strip(),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
