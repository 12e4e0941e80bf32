"""The one loader for the files in prompts/, and the one template syntax: ``{name}``.

A template may only use placeholders the code supplies. Each template file has a
contract (template key -> the names its code fills in); loading a file checks every
template in it against its contract, so a misspelt or new placeholder fails when the
prompts are loaded, not by silently dropping a line of an answer. A template key the
contract does not know fails the same way.

Data files (intents.yaml, and the data sections of planner.yaml) are loaded by the
same function without a contract for those sections.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

from assistant.errors import InsightError

ANY = "*"  # in a contract: any key at this level (e.g. every tool's section)


class TemplateError(InsightError):
    """A prompt file uses a placeholder (or a template) the code does not supply."""


# Contracts of the template files: nested like the file; a leaf is the set of names
# the code supplies; DATA marks a section that holds data, not templates.
DATA = None
_contracts: dict[str, Any] = {
    "system.md": {"role", "today", "tools", "privacy", "period_day", "period_rule"},
    "fallback_note.md": {"backend", "reason"},
    "fallback_note.zh.md": {"backend", "reason"},
    "privacy_marketer.md": set(),
    "privacy_support.md": set(),
    "privacy_admin.md": set(),
    "planner.yaml": {
        "refusal": {"example"},
        "refusal_example": set(),
        "clarify": {
            "intent": set(),
            "customer": set(),
            "customer_unknown": {"raw", "suggestions"},
            "customer_unknown_none": {"raw"},
            "product": set(),
            "product_ambiguous": {"options"},
            "product_unknown": {"text"},
            "not_allowed": {"tools", "available"},
            "text": set(),
        },
        "ignore_words": DATA,
        "countries": DATA,
    },
    "intents.yaml": DATA,
}
_lock = threading.Lock()


def declare(name: str, contract: Mapping[str, Any]) -> None:
    """Add to the contract of ``name`` (the answer formatters declare their templates
    where they fill them). Call at import time, before the file is first loaded."""
    with _lock:
        merged = dict(_contracts.get(name) or {})
        merged.update(contract)
        _contracts[name] = merged
        _load_yaml.cache_clear()


def declare_translation(name: str, original: str, **extra: Any) -> None:
    """``name`` holds the texts of ``original`` in another language: the same keys and
    placeholders, plus ``extra`` keys only it has (word lists of that language)."""
    with _lock:
        base = dict(_contracts[original])
    declare(name, {**base, **extra})


def placeholders(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise TemplateError(f"unreadable template {template!r}: {exc}") from None


def check(doc: Any, contract: Any, where: str) -> None:
    """Raise TemplateError for any template in ``doc`` using a name its contract lacks."""
    if contract is DATA:
        return
    if isinstance(contract, set | frozenset):
        if not isinstance(doc, str):
            raise TemplateError(f"{where}: expected a template string, got {type(doc).__name__}")
        unknown = placeholders(doc) - set(contract)
        if unknown:
            supplied = ", ".join(sorted(contract)) or "none"
            raise TemplateError(
                f"{where}: placeholder {{{sorted(unknown)[0]}}} is not supplied by the code",
                hint=f"placeholders this template may use: {supplied}",
            )
        return
    if not isinstance(doc, dict):
        raise TemplateError(f"{where}: expected a section of templates, got {type(doc).__name__}")
    for key, value in doc.items():
        sub = contract.get(key, contract.get(ANY, _MISSING))
        if sub is _MISSING:
            raise TemplateError(
                f"{where}.{key}: no code fills this template",
                hint="known templates here: " + ", ".join(k for k in contract if k != ANY),
            )
        check(value, sub, f"{where}.{key}")


_MISSING = object()


def _read(name: str) -> str:
    return resources.files("prompts").joinpath(name).read_text(encoding="utf-8")


@cache
def _load_yaml(name: str) -> dict:
    doc = yaml.safe_load(_read(name)) or {}
    check(doc, _contracts.get(name, {}), name)
    return doc


def load(name: str) -> dict:
    """A YAML file of prompts/, checked against its contract (loaded once)."""
    return _load_yaml(name)


@cache
def _load_text(name: str) -> str:
    text = _read(name)
    check(text, _contracts.get(name, set()), name)
    return text


def text(name: str, **values: Any) -> str:
    """A text file of prompts/ with its placeholders filled in; every one is required."""
    return fill_all(_load_text(name), where=name, **values)


def fill_all(template: str, *, where: str = "template", **values: Any) -> str:
    missing = placeholders(template) - set(values)
    if missing:
        raise TemplateError(f"{where}: no value for {{{sorted(missing)[0]}}}")
    return template.format(**values)


def check_all() -> None:
    """Load every prompt file with its contract now, so a broken prompt stops the
    assistant at start-up rather than in the middle of an answer."""
    # The answer formatters declare their templates' placeholders when imported.
    import assistant.planner.formatters  # noqa: F401

    for name in list(_contracts):
        if name.endswith((".yaml", ".yml")):
            load(name)
        else:
            _load_text(name)
