"""The offline planner over the demo shop question set (evals/demo_shop.yaml): right
tools and key arguments in at least 90% of the cases, asked through the agent."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
import yaml

EVALS = Path(__file__).resolve().parents[1] / "evals" / "demo_shop.yaml"
TARGET = 0.9


def load_cases() -> tuple[date, list[dict]]:
    spec = yaml.safe_load(EVALS.read_text(encoding="utf-8"))
    return date.fromisoformat(str(spec["today"])), spec["cases"]


def _same(expected, actual) -> bool:
    if isinstance(expected, list):
        actual = actual if isinstance(actual, list) else [actual]
        return {str(x).lower() for x in expected} == {str(x).lower() for x in actual}
    if isinstance(expected, str):
        return isinstance(actual, str) and expected.lower() == actual.lower()
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return expected == actual


def score_case(case: dict, calls: list[tuple[str, dict]], text: str) -> list[str]:
    """What is wrong with an answer to ``case`` (empty when it passes)."""
    problems = []
    called = [name for name, _ in calls]
    expected = case.get("expect_tools", [])
    if not expected and called:
        problems.append(f"expected no tool call, got {called}")
    for tool in expected:
        if tool not in called:
            problems.append(f"{tool} not called (called {called})")
    for tool, args in (case.get("expect_args") or {}).items():
        candidates = [a for n, a in calls if n == tool]
        if candidates and not any(
            all(_same(v, a.get(k)) for k, v in args.items()) for a in candidates
        ):
            problems.append(f"{tool} args {candidates} do not match {args}")
    low = text.lower()
    problems += [f"missing {s!r}" for s in case.get("must_contain", []) if s.lower() not in low]
    problems += [f"contains {s!r}" for s in case.get("must_not_contain", []) if s.lower() in low]
    return problems


def test_case_format_is_valid():
    today, cases = load_cases()
    assert today == date(2026, 11, 1)
    assert len(cases) >= 60
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    for case in cases:
        assert ("question" in case) != ("conversation" in case), case["id"]
        assert set(case) <= {
            "id", "question", "conversation", "role", "expect_tools", "expect_args",
            "must_contain", "must_not_contain",
        }, case["id"]  # fmt: skip
        assert set(case.get("expect_args") or {}) <= set(case.get("expect_tools", [])), case["id"]
    kinds = {c["id"].split("-")[0] for c in cases}
    assert {"multi", "followup", "refuse", "reviews", "metrics"} <= kinds


def test_scoring_catches_wrong_answers():
    case = {"expect_tools": ["a"], "expect_args": {"a": {"x": "P1", "s": ["Loyal"]}}}
    assert score_case(case, [("a", {"x": "p1", "s": "loyal"})], "") == []
    assert score_case(case, [("a", {"x": "P2", "s": ["Loyal"]})], "")
    assert score_case(case, [("b", {})], "")
    assert score_case({"expect_tools": []}, [("a", {})], "")
    assert score_case({"must_contain": ["R1"]}, [], "see r1") == []
    assert score_case({"must_contain": ["R1"]}, [], "none")


@pytest.mark.slow
def test_planner_answers_the_demo_question_set(workspace_copy):
    from assistant.agent import Assistant
    from assistant.config import load_settings

    today, cases = load_cases()
    settings = load_settings(data_dir=workspace_copy, today=today, model="local")
    failures, latencies = [], []
    with Assistant.open(workspace_copy, settings=settings) as assistant:
        assistant.ask("warm up: how many orders did we get?")  # loads models once
        for case in cases:
            questions = case.get("conversation") or [case["question"]]
            thread = None
            for question in questions:
                start = time.perf_counter()
                answer = assistant.ask(
                    question, role=case.get("role", "marketer"), thread_id=thread
                )
                latencies.append(time.perf_counter() - start)
                thread = answer.thread_id
            calls = [(c.name, c.args) for c in answer.tool_calls]
            problems = score_case(case, calls, answer.text)
            if problems:
                failures.append((case["id"], problems))
    accuracy = 1 - len(failures) / len(cases)
    latencies.sort()
    print(
        f"\nplanner eval: {len(cases) - len(failures)}/{len(cases)} = {accuracy:.1%}; "
        f"latency per question p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    for case_id, problems in failures:
        print(f"  FAIL {case_id}: {'; '.join(problems)}")
    assert accuracy >= TARGET, failures
