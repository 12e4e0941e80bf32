"""The one list of tools, and every table derived from it.

Adding a tool is its module's ToolSpec, one line here, its intent examples
(prompts/intents.yaml) and its answer template (prompts/answers.yaml).
"""

from __future__ import annotations

from tools import (
    analyze,
    campaign,
    catalog,
    customers,
    digest,
    insights,
    metrics,
    offers,
    recommend,
    reviews,
    tickets,
)
from tools.access import ROLES, check_role
from tools.spec import ToolSpec

SPECS: tuple[ToolSpec, ...] = (
    *reviews.SPECS,
    *insights.SPECS,
    *customers.SPECS,
    *recommend.SPECS,
    *metrics.SPECS,
    *catalog.SPECS,
    *tickets.SPECS,
    *offers.SPECS,
    *analyze.SPECS,
    *campaign.SPECS,
    *digest.SPECS,
)


def _by_name(specs: tuple[ToolSpec, ...]) -> dict[str, ToolSpec]:
    out: dict[str, ToolSpec] = {}
    for spec in specs:
        if spec.name in out:
            raise RuntimeError(f"tool {spec.name!r} is declared twice")
        out[spec.name] = spec
    return out


SPEC_BY_NAME: dict[str, ToolSpec] = _by_name(SPECS)
TOOL_NAMES: tuple[str, ...] = tuple(SPEC_BY_NAME)
ROLE_TOOLS: dict[str, frozenset[str]] = {
    role: frozenset(s.name for s in SPECS if role in s.roles) for role in ROLES
}
LABELS: dict[str, str] = {s.name: s.label for s in SPECS}
PURPOSES: dict[str, str] = {s.name: s.purpose for s in SPECS}


def spec(name: str) -> ToolSpec:
    return SPEC_BY_NAME[name]


def allowed_tools(role: str) -> frozenset[str]:
    return ROLE_TOOLS[check_role(role)]


def tools_needing(subject: str) -> frozenset[str]:
    """Names of the tools whose spec says they need this subject."""
    return frozenset(s.name for s in SPECS if s.subject == subject)
