"""Evaluation reports: a terminal table, JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.errors import UserError
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


def check_report_paths(*, files: list[Path], json_out: Path | None, markdown: Path | None) -> None:
    """Every path names a file: question sets to read, reports to write. A directory in
    either place is a mistyped argument (e.g. a workspace taken as a report path)."""
    for path in files:
        if Path(path).is_dir():
            raise UserError(
                f"question set {path} is a directory, not a file",
                hint="pass the YAML or JSONL files, e.g. evals/*.yaml",
            )
    for option, path in (("--json-out", json_out), ("--markdown", markdown)):
        if path is not None and Path(path).is_dir():
            raise UserError(
                f"{option} {path} is a directory; it needs a file path for the report",
                hint="e.g. --json-out eval.json; --json alone prints the report on stdout",
            )


def report_json(run: EvalRun) -> str:
    return json.dumps(run.to_dict(), indent=2, default=str)


def write_reports(run: EvalRun, json_path: Path | None, markdown_path: Path | None) -> None:
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(report_json(run), encoding="utf-8")
    if markdown_path:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(to_markdown(run), encoding="utf-8")
