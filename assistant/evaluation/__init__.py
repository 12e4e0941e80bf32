"""Scripted evaluation runs: question sets scored against the agent's answers."""

from assistant.evaluation.cases import Case, load_cases
from assistant.evaluation.runner import EvalRun, run_cases

__all__ = ["Case", "EvalRun", "load_cases", "run_cases"]
