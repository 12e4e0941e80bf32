"""Run question sets against the agent and score each case.

A case passes when every check it declares holds: the expected tools were called
(subset or exact), with the expected arguments, the answer contains (and avoids)
the given texts and ground-truth figures, cites the required evidence, stays
within its latency budget, and every number and quote in it traces back to the
tool results of its turn.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InsightError
from assistant.evaluation.cases import Case
from assistant.evaluation.faithfulness import _NUMBER, Trace, trace_answer
from assistant.evaluation.queries import evaluate
from assistant.evaluation.shops import check_shop
from assistant.planner.language import question_language
from tools import aliases


@dataclass
class CaseResult:
    case: Case
    passed: bool
    reasons: list[str]
    checks: dict[str, bool]
    tools_called: list[str]
    latency_ms: float
    backend: str = ""
    fell_back: bool = False
    answer: str = ""
    trace: Trace | None = None
    runs_passed: list[bool] = field(default_factory=list)
    usage: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "id": self.case.id,
            "set": Path(self.case.source).stem if self.case.source else "",
            "question": self.case.turns[-1],
            "role": self.case.role,
            "passed": self.passed,
            "reasons": self.reasons,
            "checks": self.checks,
            "tools_called": self.tools_called,
            "latency_ms": round(self.latency_ms, 1),
            "backend": self.backend,
            "fell_back": self.fell_back,
            "runs_passed": self.runs_passed,
            "faithfulness": self.trace.to_dict() if self.trace else None,
            "answer": self.answer,
            "usage": self.usage,
        }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class EvalRun:
    results: list[CaseResult]
    backend: str
    repeat: int = 1
    wall_s: float = 0.0

    def _rate(self, check: str) -> float | None:
        applicable = [r.checks[check] for r in self.results if check in r.checks]
        return sum(applicable) / len(applicable) if applicable else None

    @property
    def totals(self) -> dict[str, Any]:
        latencies = [r.latency_ms for r in self.results]
        usage: dict[str, float] = {}
        for r in self.results:
            for k, v in r.usage.items():
                usage[k] = usage.get(k, 0) + v
        n = len(self.results)
        return {
            "cases": n,
            "passed": sum(r.passed for r in self.results),
            "score": sum(r.passed for r in self.results) / n if n else 0.0,
            "tool_accuracy": self._rate("tools"),
            "argument_accuracy": self._rate("args"),
            "fact_accuracy": self._rate("facts"),
            "citation_rate": self._rate("citations"),
            "faithfulness": self._rate("faithful"),
            "fallbacks": sum(r.fell_back for r in self.results),
            "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
            "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
            "repeat": self.repeat,
            "usage": usage or None,
            "wall_s": round(self.wall_s, 2),
        }

    @property
    def by_set(self) -> dict[str, dict]:
        """Cases and passes per question-set file."""
        out: dict[str, dict] = {}
        for r in self.results:
            name = Path(r.case.source).stem if r.case.source else ""
            entry = out.setdefault(name, {"cases": 0, "passed": 0})
            entry["cases"] += 1
            entry["passed"] += int(r.passed)
        for entry in out.values():
            entry["score"] = entry["passed"] / entry["cases"]
        return out

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "totals": self.totals,
            "sets": self.by_set,
            "cases": [r.to_dict() for r in self.results],
        }


# -- matching ------------------------------------------------------------------


def _resolve(value: Any, cur) -> Any:
    """Expected values may be ground-truth queries: {"$fact": {"query": ..., "params": {...}}}."""
    if isinstance(value, dict) and "$fact" in value:
        spec = value["$fact"]
        return evaluate(cur, spec["query"], spec.get("params", {}))
    return value


def _texts(entries: list, cur) -> list[str]:
    """Literal texts, and the text (or list of texts) each ground-truth query yields."""
    out: list[str] = []
    for entry in entries:
        value = _resolve(entry, cur)
        values = value if isinstance(value, list | tuple) else [value]
        out.extend(str(v) for v in values if v not in (None, ""))
    return out


def _value_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        if "$in" in expected:
            return any(_value_matches(e, actual) for e in expected["$in"])
        if "$contains" in expected:
            return actual is not None and str(expected["$contains"]).lower() in str(actual).lower()
        if "$any" in expected:
            return actual is not None
    if expected is None:
        return actual in (None, "", [])
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            actual = [actual]
        return sorted(str(e).lower() for e in expected) == sorted(str(a).lower() for a in actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float | str):
        try:
            return abs(float(actual) - float(expected)) < 1e-9
        except ValueError:
            return False
    return str(expected).strip().lower() == str(actual).strip().lower()


def _names(needle: str, lang: str) -> list[str]:
    """The names an answer in ``lang`` may give ``needle``: a Chinese answer names a
    category or an aspect by its Chinese name (tools/aliases.yaml), "battery" as 电池."""
    names = [needle]
    if lang == "zh":
        for kind in aliases.KINDS:
            names += aliases.group(kind, needle) or aliases.group(kind, needle.replace("_", " "))
    return names


def _says(needle: str, text: str, lang: str = "en") -> bool:
    low = text.lower()
    return any(name.lower() in low for name in _names(needle, lang))


def _fact_stated(value: Any, text: str, tolerance: float, lang: str = "en") -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return _says(value, text, lang)
    stated = [float(m.group(1).replace(",", "")) for m in _NUMBER.finditer(text)]
    targets = [float(value)] + ([float(value) * 100] if abs(float(value)) <= 1 else [])
    return any(
        abs(s - t) <= max(tolerance * abs(t), 0.05 if t % 1 else 0.5)
        for s in stated
        for t in targets
    )


def score_turn(
    case: Case, answer, latency_ms: float, cur
) -> tuple[dict[str, bool], list[str], Trace]:
    checks: dict[str, bool] = {}
    reasons: list[str] = []
    calls = list(answer.tool_calls)
    called = [c.name for c in calls]

    if case.expect_tools is not None:
        want, got = set(case.expect_tools), set(called)
        # An empty list is a promise that nothing runs (a refusal or a question back).
        ok = want == got if case.tools_match == "exact" or not want else want <= got
        checks["tools"] = ok
        if not ok:
            reasons.append(f"tools: expected {sorted(want)} ({case.tools_match}), called {called}")
    if case.expect_args:
        ok = True
        for tool, expected in case.expect_args.items():
            expected = {k: _resolve(v, cur) for k, v in expected.items()}
            candidates = [c.args for c in calls if c.name == tool]
            if not any(
                all(_value_matches(v, args.get(k)) for k, v in expected.items())
                for args in candidates
            ):
                ok = False
                reasons.append(f"args: {tool} expected {expected}, got {candidates or 'no call'}")
        checks["args"] = ok
    text = answer.text or ""
    # The answer is in the question's language: names of categories and aspects may be
    # the Chinese ones; figures are written the same way in both.
    lang = question_language(case.turns[-1])
    if case.must_contain or case.must_not_contain or case.facts:
        ok = True
        for needle in _texts(case.must_contain, cur):
            if not _says(needle, text, lang):
                ok = False
                reasons.append(f"answer lacks {needle!r}")
        for needle in _texts(case.must_not_contain, cur):
            if _says(needle, text, lang):
                ok = False
                reasons.append(f"answer contains forbidden {needle!r}")
        for fact in case.facts:
            value = evaluate(cur, fact.query, fact.params)
            if not _fact_stated(value, text, fact.tolerance, lang):
                ok = False
                reasons.append(f"fact {fact.query}{fact.params} = {value!r} not stated")
        checks["facts"] = ok
    if case.must_cite:
        cited = {i for ids in (answer.evidence or {}).values() for i in ids}
        missing = [
            i
            for i in (_resolve(c, cur) for c in case.must_cite)
            if i not in cited and str(i) not in text
        ]
        checks["citations"] = not missing
        if missing:
            reasons.append(f"not cited: {missing}")
    if case.max_latency_ms is not None:
        checks["latency"] = latency_ms <= case.max_latency_ms
        if not checks["latency"]:
            reasons.append(f"latency {latency_ms:.0f} ms over budget {case.max_latency_ms:.0f} ms")
    trace = trace_answer(text, [c.result for c in calls], question=case.turns[-1])
    checks["faithful"] = trace.faithful
    if not trace.faithful:
        reasons.append(f"untraced: numbers {trace.untraced_numbers} quotes {trace.untraced_quotes}")
    return checks, reasons, trace


def _usage(answer) -> dict[str, float]:
    usage = getattr(answer, "usage", None) or {}
    return {k: float(v) for k, v in usage.items() if isinstance(v, int | float)}


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        for name, v in names.items():
            if value == "{" + name + "}":
                return v
            value = value.replace("{" + name + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def bind_vars(case: Case, cur) -> Case:
    """The case with its vars evaluated (in order) and filled into every field."""
    if not case.vars:
        return case
    names: dict[str, Any] = {}
    for name, spec in case.vars.items():
        names[name] = _resolve(_fill(spec, names), cur)
    data = _fill(case.model_dump(exclude={"vars", "id", "source"}), names)
    return Case(**data, id=case.id, source=case.source)


def run_case(assistant, case: Case, cur) -> CaseResult:
    thread = f"eval-{case.id}-{uuid.uuid4().hex[:8]}"
    try:
        case = bind_vars(case, cur)
    except InsightError as exc:
        return CaseResult(case, False, [f"ground truth: {exc}"], {"ground_truth": False}, [], 0.0)
    try:
        for turn in case.turns[:-1]:
            assistant.ask(turn, role=case.role, thread_id=thread, user="eval")
        started = time.perf_counter()
        answer = assistant.ask(case.turns[-1], role=case.role, thread_id=thread, user="eval")
        latency = (time.perf_counter() - started) * 1000
    except InsightError as exc:
        return CaseResult(case, False, [f"error: {exc}"], {"tools": False}, [], 0.0)
    finally:
        try:
            assistant.delete_thread(thread)
        except Exception:  # noqa: BLE001 - cleanup must not hide the result
            pass
    try:
        checks, reasons, trace = score_turn(case, answer, latency, cur)
    except InsightError as exc:
        # A ground-truth query that no longer fits the data fails this case, not the run.
        return CaseResult(
            case,
            False,
            [f"ground truth: {exc}"],
            {"ground_truth": False},
            [c.name for c in answer.tool_calls],
            latency,
            backend=answer.backend,
            fell_back=answer.fell_back,
            answer=answer.text,
        )
    return CaseResult(
        case=case,
        passed=all(checks.values()),
        reasons=reasons,
        checks=checks,
        tools_called=[c.name for c in answer.tool_calls],
        latency_ms=latency,
        backend=answer.backend,
        fell_back=answer.fell_back,
        answer=answer.text,
        trace=trace,
        usage=_usage(answer),
    )


def run_cases(
    assistant,
    cases: list[Case],
    *,
    workers: int = 4,
    repeat: int = 1,
    on_result: Callable[[CaseResult], None] | None = None,
) -> EvalRun:
    """Run every case ``repeat`` times (in parallel); a case passes only if all runs pass (pass^N)."""
    started = time.perf_counter()
    cur_factory = assistant.workspace.cursor
    if any(c.shop for c in cases):
        check_shop(cases, cur_factory())

    def one(case: Case) -> CaseResult:
        runs = [run_case(assistant, case, cur_factory()) for _ in range(repeat)]
        result = next((r for r in runs if not r.passed), runs[0])
        result.runs_passed = [r.passed for r in runs]
        result.passed = all(result.runs_passed)
        result.latency_ms = sorted(r.latency_ms for r in runs)[len(runs) // 2]
        if on_result:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, cases))
    backend = next((r.backend for r in results if r.backend), "")
    return EvalRun(results, backend, repeat, time.perf_counter() - started)
