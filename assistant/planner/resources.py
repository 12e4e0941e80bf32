"""Planner prompt files (prompts/*.yaml), through the one loader (assistant/templates.py)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from assistant import templates


def prompts(name: str) -> dict:
    return templates.load(name)


@cache
def aspects() -> list[dict]:
    text = resources.files("tools").joinpath("aspects.yaml").read_text(encoding="utf-8")
    return (yaml.safe_load(text) or {}).get("aspects", [])
