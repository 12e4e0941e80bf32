"""Evaluation reports: a terminal table, JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.evaluation.runner import EvalRun

_TOTAL_LABELS = [
    ("score", "cases passed"),
    ("tool_accuracy", "tool accuracy"),
    ("argument_accuracy", "argument accuracy"),
    ("fact_accuracy", "fact accuracy"),
    ("citation_rate", "citation rate"),
    ("faithfulness", "faithful answers"),
]


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def print_table(run: EvalRun, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"evaluation — backend {run.backend or '?'}, pass^{run.repeat}")
    for col in ("case", "result", "tools called", "latency ms", "why"):
        table.add_column(col, overflow="fold")
    for r in run.results:
        verdict = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
        table.add_row(
            r.case.id,
            verdict,
            ", ".join(r.tools_called),
            f"{r.latency_ms:.0f}",
            "; ".join(r.reasons),
        )
    console.print(table)
    t = run.totals
    console.print(
        f"{t['passed']}/{t['cases']} passed  "
        + "  ".join(f"{label}: {_pct(t[key])}" for key, label in _TOTAL_LABELS[1:])
        + f"  p50 {t['latency_p50_ms']:.0f} ms  p95 {t['latency_p95_ms']:.0f} ms  fallbacks {t['fallbacks']}"
    )
    sets = run.by_set
    if len(sets) > 1:
        console.print(
            "per set: " + ", ".join(f"{n} {e['passed']}/{e['cases']}" for n, e in sets.items())
        )
    if t["usage"]:
        console.print("usage: " + ", ".join(f"{k} {v:,.0f}" for k, v in t["usage"].items()))


def to_markdown(run: EvalRun) -> str:
    t = run.totals
    lines = [
        f"# Evaluation — backend `{run.backend}`",
        "",
        f"{t['passed']} of {t['cases']} cases passed (pass^{run.repeat}); "
        f"latency p50 {t['latency_p50_ms']:.0f} ms, p95 {t['latency_p95_ms']:.0f} ms "
        "(machine-dependent); "
        f"{t['fallbacks']} fallbacks.",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| {label} | {_pct(t[key])} |" for key, label in _TOTAL_LABELS],
        "",
        "| set | cases | passed | score |",
        "|---|---|---|---|",
        *[
            f"| {name} | {e['cases']} | {e['passed']} | {e['score']:.1%} |"
            for name, e in run.by_set.items()
        ],
        "",
        "| case | result | tools called | latency ms | reason |",
        "|---|---|---|---|---|",
    ]
    for r in run.results:
        why = "; ".join(r.reasons).replace("|", "\\|")
        lines.append(
            f"| {r.case.id} | {'pass' if r.passed else 'FAIL'} | {', '.join(r.tools_called)} "
            f"| {r.latency_ms:.0f} | {why} |"
        )
    return "\n".join(lines) + "\n"


def write_reports(run: EvalRun, json_path: Path | None, markdown_path: Path | None) -> None:
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(run.to_dict(), indent=2, default=str), encoding="utf-8")
    if markdown_path:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(to_markdown(run), encoding="utf-8")
