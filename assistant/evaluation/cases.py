"""Question-set files (YAML or JSONL) and the shape of one case.

A file is a list of cases, or a mapping with a ``cases`` list (and optional
``defaults`` applied to every case, ``today``: the date its relative periods
count from, and ``shop``: the demo shop its figures and ids belong to, en or zh).
Field meanings are documented on ``Case``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from assistant.errors import UserError


class Fact(BaseModel):
    """A figure the answer must state, computed at run time by a named store query."""

    query: str = Field(description="name of a query in assistant.evaluation.queries")
    params: dict[str, Any] = Field(default_factory=dict)
    tolerance: float = Field(default=0.01, description="relative tolerance when matching numbers")


class Case(BaseModel):
    id: str
    question: str | None = None
    conversation: list[str] | None = Field(
        default=None,
        description="earlier turns asked first in the same thread; the last one is scored",
    )
    role: str = "marketer"
    expect_tools: list[str] | None = Field(
        default=None,
        description="tools the scored turn must call; an empty list means no tool may be called",
    )
    tools_match: Literal["subset", "exact"] = "subset"
    expect_args: dict[str, dict[str, Any]] = Field(default_factory=dict)
    must_contain: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description='texts the answer must contain (a text, or {"$fact": ...} giving one or a list)',
    )
    must_not_contain: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description='texts the answer must not contain (a text, or {"$fact": ...} giving one '
        "or a list, e.g. a customer's email from the store)",
    )
    must_cite: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description='evidence ids the answer must cite (an id, or {"$fact": ...})',
    )
    facts: list[Fact] = Field(default_factory=list)
    max_latency_ms: float | None = None
    vars: dict[str, Any] = Field(
        default_factory=dict,
        description='names filled into "{name}" anywhere in the case, each a value or '
        '{"$fact": ...} evaluated at run time, in order (a later one may use an earlier one)',
    )
    tags: list[str] = Field(default_factory=list)
    shop: Literal["en", "zh"] | None = Field(
        default=None,
        description="the demo shop the case is written for (its ids, category names and "
        "figures); a run refuses a case whose shop is not the workspace's",
    )
    source: str = ""

    @model_validator(mode="after")
    def _has_a_question(self) -> Case:
        if not self.question and not self.conversation:
            raise ValueError("a case needs `question` or `conversation`")
        return self

    @property
    def turns(self) -> list[str]:
        return list(self.conversation or []) + ([self.question] if self.question else [])


def _records(path: Path) -> tuple[list[dict], dict]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".jsonl", ".ndjson"):
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise UserError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        return rows, {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc})") from exc
    if isinstance(data, dict):
        defaults = dict(data.get("defaults") or {})
        if data.get("shop") is not None:
            defaults.setdefault("shop", data["shop"])
        return list(data.get("cases") or []), defaults
    if isinstance(data, list):
        return data, {}
    raise UserError(f"{path}: expected a list of cases or a mapping with `cases`")


def load_cases(paths: list[str | Path]) -> list[Case]:
    cases: list[Case] = []
    seen: set[str] = set()
    for raw_path in paths:
        path = Path(raw_path)
        if not path.exists():
            raise UserError(f"no such question set: {path}")
        rows, defaults = _records(path)
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise UserError(f"{path}: case {i} is not a mapping")
            try:
                case = Case(**{**defaults, **row, "source": str(path)})
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "case"
                raise UserError(
                    f"{path}: case {i} ({row.get('id', '?')}): {where}: {first['msg']}"
                ) from exc
            if case.id in seen:
                raise UserError(f"{path}: duplicate case id {case.id!r}")
            seen.add(case.id)
            cases.append(case)
    if not cases:
        raise UserError("the question sets hold no cases")
    return cases


def declared_today(paths: list[str | Path]) -> str | None:
    """The ``today`` the question sets pin (YAML mappings only); they must agree."""
    found: dict[str, str] = {}
    for raw_path in paths:
        path = Path(raw_path)
        if path.suffix in (".jsonl", ".ndjson") or not path.exists():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # load_cases reports the syntax error with its location
        if isinstance(data, dict) and data.get("today"):
            found[str(path)] = str(data["today"])
    if len(set(found.values())) > 1:
        raise UserError(
            "the question sets pin different dates: "
            + ", ".join(f"{p} today={d}" for p, d in found.items()),
            hint="run them separately or pass --today",
        )
    return next(iter(found.values()), None)


def declared_shop(path: str | Path) -> str | None:
    """The ``shop`` a YAML question set names at its top (en, zh), or None."""
    path = Path(path)
    if path.suffix in (".jsonl", ".ndjson"):
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc})") from exc
    shop = data.get("shop") if isinstance(data, dict) else None
    if shop is not None and shop not in ("en", "zh"):
        raise UserError(f"{path}: shop must be en or zh, not {shop!r}")
    return shop
