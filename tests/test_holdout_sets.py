"""The held-out question sets load, are the size and shape their issues ask for, and
every ground-truth figure in them evaluates on the demo shop. No planner is run: the
sets measure the planner only once, at the end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.evaluation.cases import Case, declared_shop, declared_today, load_cases
from assistant.evaluation.queries import evaluate
from assistant.evaluation.runner import _resolve, _texts, bind_vars
from tools.registry import TOOL_NAMES

# In their own folder, so `insight eval evals/*.yaml` (and CI) never scores them.
EVALS = Path(__file__).resolve().parent.parent / "evals" / "holdout"
HOLDOUTS = sorted(EVALS.glob("*.yaml"))
# Sets written for the Chinese demo shop are checked on that shop in tests/test_eval_zh_sets.py.
EN_SHOP_HOLDOUTS = [p for p in HOLDOUTS if declared_shop(p) != "zh"]
# Tools the analyst and conversation issues declare and other branches build.
PLANNED_TOOLS = {"analyze", "compare_products", "campaign_brief"}
CANNOT = "can't answer"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _cases(name: str) -> list[Case]:
    return load_cases([EVALS / name])


def test_every_holdout_file_is_found_and_pins_today():
    names = {p.name for p in HOLDOUTS}
    assert {"analyst.yaml", "conversations.yaml", "zh.yaml"} <= names
    for path in HOLDOUTS:
        assert declared_today([path]) == "2026-11-01", path.name


def test_analyst_holdout_size_and_unanswerable_questions():
    cases = _cases("analyst.yaml")
    cannot = [c for c in cases if CANNOT in c.must_contain]
    answerable = [c for c in cases if c not in cannot]
    assert len(answerable) >= 30
    assert len(cannot) >= 5
    for case in cannot:
        assert case.expect_tools == [] and not case.facts, case.id
    # each analyst class the issue lists is present
    classes = {c.id.split("-")[1] for c in answerable}
    assert {"rank", "bottom", "count", "compare", "change", "group", "aspect", "verified"} <= (
        classes
    )


def test_conversation_holdout_has_earlier_turns():
    cases = _cases("conversations.yaml")
    assert len(cases) >= 10
    for case in cases:
        assert case.conversation and case.question, case.id
    kinds = {c.id.split("-")[1] for c in cases}
    assert {"resume", "narrow", "scope", "audience", "campaign"} <= kinds


def test_chinese_holdout_asks_in_chinese():
    cases = _cases("zh.yaml")
    assert len(cases) >= 15
    for case in cases:
        assert HAN.search(case.question or ""), case.id


@pytest.mark.parametrize("path", HOLDOUTS, ids=lambda p: p.name)
def test_expected_tools_exist_or_are_planned(path):
    known = set(TOOL_NAMES) | PLANNED_TOOLS
    for case in load_cases([path]):
        named = set(case.expect_tools or []) | set(case.expect_args)
        assert named <= known, f"{case.id}: unknown tools {sorted(named - known)}"
        assert set(case.expect_args) <= set(case.expect_tools or []), case.id


@pytest.mark.parametrize("path", EN_SHOP_HOLDOUTS, ids=lambda p: p.name)
def test_every_fact_evaluates_on_the_demo_shop(path, demo_ws):
    cur = demo_ws.cursor()
    evaluated = 0
    for case in load_cases([path]):
        case = bind_vars(case, cur)
        for field in (case.must_contain, case.must_not_contain, case.must_cite):
            for text in _texts(field, cur):
                assert text.strip(), f"{case.id}: an empty text to look for"
        for expected in case.expect_args.values():
            for value in expected.values():
                _resolve(value, cur)
        for fact in case.facts:
            value = evaluate(cur, fact.query, fact.params)
            assert value is not None, f"{case.id}: {fact.query}{fact.params} is empty"
            evaluated += 1
        evaluated += sum(isinstance(e, dict) for e in case.must_contain)
    assert evaluated >= 5, "a holdout set should check figures, not only tool choice"
