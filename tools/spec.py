"""One declaration per tool.

A :class:`ToolSpec` sits beside its engine function and says everything the rest of
the product needs to know about the tool: its name, the engine, the argument model
the agent sees, the result type the engine really returns, the roles that may call
it, the subject it needs, its label and description. Role tables, labels, the
planner's tool sets and the system prompt's tool list are derived from the specs
(tools/registry.py), never restated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, with_config

from tools.access import ROLES

Subject = Literal["customer", "product", "product_or_category", "none"]
SUBJECTS: tuple[str, ...] = ("customer", "product", "product_or_category", "none")

# Result types forbid keys they do not declare, so a tool that starts returning a new
# field (or renames one a formatter reads) fails the spec test instead of drifting.
strict = with_config(ConfigDict(extra="forbid"))


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the product knows it.

    ``engine(ctx, **arguments)`` does the work. ``args`` is what a model may pass;
    ``options`` (a subclass of ``args``) adds arguments only a front end passes, such
    as "every id, not a sample". ``call`` maps validated arguments onto the engine
    when their names differ.
    """

    name: str
    engine: Callable[..., Mapping[str, Any]]
    args: type[BaseModel]
    result: Any  # a TypedDict or a pydantic model
    roles: frozenset[str]
    subject: Subject
    label: str  # what answers and the trace call the tool ("Bought together")
    purpose: str  # what it does, as a verb phrase ("find products bought together")
    description: str  # what a model is told about the tool
    read_only: bool = True
    options: type[BaseModel] | None = None
    call: Callable[..., Mapping[str, Any]] | None = None
    _adapter: TypeAdapter | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"tool spec {self.name!r}"
        if not self.name.isidentifier():
            raise ValueError(f"{where}: the name must be an identifier")
        unknown = set(self.roles) - set(ROLES)
        if unknown or not self.roles:
            raise ValueError(f"{where}: roles must be some of {ROLES}, got {sorted(self.roles)}")
        if self.subject not in SUBJECTS:
            raise ValueError(f"{where}: subject must be one of {SUBJECTS}, got {self.subject!r}")
        if self.options is not None and not issubclass(self.options, self.args):
            raise ValueError(f"{where}: options must extend the argument model")
        if not (self.label and self.purpose and self.description):
            raise ValueError(f"{where}: label, purpose and description are required")

    @property
    def accepted(self) -> type[BaseModel]:
        """The argument model a front end's call is validated against."""
        return self.options or self.args

    def run(self, ctx: Any, arguments: BaseModel) -> Mapping[str, Any]:
        """The engine over validated arguments; unset ones keep the engine's defaults."""
        values = arguments.model_dump(exclude_unset=True)
        if self.call is not None:
            return self.call(ctx, **values)
        return self.engine(ctx, **values)

    def check_result(self, result: Any) -> None:
        """Raise pydantic's ValidationError when ``result`` is not the declared type."""
        adapter = self._adapter
        if adapter is None:
            adapter = TypeAdapter(self.result)
            object.__setattr__(self, "_adapter", adapter)
        adapter.validate_python(result, strict=False)
