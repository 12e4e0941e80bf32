"""Planner prompt files (prompts/*.yaml), loaded once with importlib.resources."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def load_yaml(package: str, name: str) -> dict:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def prompts(name: str) -> dict:
    return load_yaml("prompts", name)


def aspects() -> list[dict]:
    return load_yaml("tools", "aspects.yaml").get("aspects", [])
