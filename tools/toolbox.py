"""The one guarded entry to the tools: ``Toolbox(ctx).call(name, **args)``.

Every front end (the chat agent's LangChain tools, the web panels, the command line)
calls tools through here, so each call is checked against the caller's role, its
arguments are validated against the tool's declared model, a product error comes
back as data the caller can show or act on, and the result passes
:func:`tools.guard.guard_result` (contact details per role, PII, injection flags)
before anyone sees it. Each call is timed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import InjectedToolCallId, StructuredTool
from pydantic import ValidationError, create_model

from assistant.errors import BackendError, InsightError, PermissionDenied, UserError
from tools.context import ToolContext
from tools.guard import guard_result
from tools.registry import SPEC_BY_NAME
from tools.spec import ToolSpec

log = logging.getLogger(__name__)


class BadArguments(UserError):
    """Arguments that do not fit the tool's declared model; names the fields."""

    def __init__(self, message: str, *, fields: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.fields = fields

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fields": self.fields}


@dataclass
class Outcome:
    """One tool call: the guarded result (an error record when it failed) and its time."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any]
    duration_ms: float
    error: InsightError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> dict[str, Any]:
        """The result, or the product error raised again (for callers that report
        errors as exceptions, like the command line)."""
        if self.error is not None:
            raise self.error
        return self.result


class Toolbox:
    """The tools one role may use over one workspace context."""

    def __init__(self, ctx: ToolContext, specs: Mapping[str, ToolSpec] | None = None) -> None:
        self.ctx = ctx
        self.specs = dict(SPEC_BY_NAME if specs is None else specs)

    @property
    def role(self) -> str:
        return self.ctx.role

    def names(self) -> list[str]:
        """The tools this role may call, in declaration order."""
        return [name for name, spec in self.specs.items() if self.role in spec.roles]

    def allows(self, name: str) -> bool:
        spec = self.specs.get(name)
        return spec is not None and self.role in spec.roles

    def guard(self, result: Mapping[str, Any]) -> dict:
        """A result this role may see (for engines a front end runs in bulk)."""
        return guard_result(result, self.role, self._author_names)

    def _author_names(self, customer_ids: list[str]) -> dict[str, str]:
        """Names of the customers who wrote the records in a result (for redaction)."""
        try:
            rows = (
                self.ctx.cursor()
                .execute(
                    "SELECT customer_id, name FROM customers "
                    "WHERE customer_id IN (SELECT unnest(?)) AND name IS NOT NULL",
                    [customer_ids],
                )
                .fetchall()
            )
        except Exception:  # noqa: BLE001 - a context without a store redacts no names
            return {}
        return {str(cid): str(name) for cid, name in rows}

    def call(self, name: str, /, **args: Any) -> Outcome:
        """Run one tool as this role; never raises for a product error."""
        started = time.perf_counter()
        error: InsightError | None = None
        try:
            spec, arguments = self._check(name, args)
            raw = spec.run(self.ctx, arguments)
        except InsightError as exc:
            error, raw = exc, exc.to_dict()
        except Exception as exc:  # a tool bug must not end the conversation or the page
            log.exception("tool %s failed", name)
            error = BackendError(f"{name} failed: {exc}")
            raw = error.to_dict()
        result = guard_result(raw, self.role, self._author_names)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        return Outcome(name, dict(args), result, duration_ms, error)

    def _check(self, name: str, args: dict[str, Any]):
        spec = self.specs.get(name)
        if spec is None:
            raise UserError(f"no tool named {name!r}", hint="tools: " + ", ".join(self.specs))
        if self.role not in spec.roles:
            raise PermissionDenied(
                f"the {self.role} role may not use {name}",
                hint="allowed roles: " + ", ".join(sorted(spec.roles)),
            )
        try:
            return spec, spec.accepted.model_validate(args)
        except ValidationError as exc:
            raise BadArguments(
                f"bad arguments for {name}: {_problems(exc)}",
                fields=sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")}),
                hint="arguments: " + ", ".join(spec.accepted.model_fields),
            ) from None

    # -- the chat agent's view ---------------------------------------------------------
    def langchain_tools(self) -> list[StructuredTool]:
        """The role's tools for ``create_agent``: each call goes through :meth:`call` and
        comes back as a ToolMessage (JSON for the model, the guarded dict as artifact,
        the duration in its metadata)."""
        return [self._langchain_tool(self.specs[name]) for name in self.names()]

    def _langchain_tool(self, spec: ToolSpec) -> StructuredTool:
        # The call id is injected (hidden from the model's schema) so the tool can
        # return the whole ToolMessage with its timing.
        schema = create_model(
            f"{spec.name.title().replace('_', '')}Call",
            __base__=spec.args,
            tool_call_id=(Annotated[str, InjectedToolCallId], ...),
        )

        def run(tool_call_id: str, **kwargs: Any) -> ToolMessage:
            outcome = self.call(spec.name, **kwargs)
            return ToolMessage(
                content=json.dumps(outcome.result, ensure_ascii=False, default=str),
                artifact=outcome.result,
                tool_call_id=tool_call_id,
                name=spec.name,
                response_metadata={"duration_ms": outcome.duration_ms},
            )

        return StructuredTool.from_function(
            func=run, name=spec.name, description=spec.description, args_schema=schema
        )


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc") or ()) or "arguments"
        parts.append(f"{where}: {err.get('msg')}")
    return "; ".join(parts)
