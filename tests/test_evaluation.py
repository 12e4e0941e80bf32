"""The evaluation runner, scored against a scripted assistant and a hand-built store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from typer.testing import CliRunner

from assistant.errors import UserError
from assistant.evaluation import load_cases, run_cases
from assistant.evaluation.faithfulness import trace_answer
from assistant.evaluation.queries import evaluate
from assistant.evaluation.report import to_markdown


@dataclass
class Call:
    name: str
    args: dict
    result: dict


@dataclass
class FakeAnswer:
    text: str
    tool_calls: list
    evidence: dict = field(default_factory=dict)
    backend: str = "scripted"
    fell_back: bool = False
    usage: dict = field(default_factory=dict)


class ScriptedAssistant:
    """Answers each question from a table; records threads so tests can check follow-ups."""

    def __init__(self, ws, script):
        self.workspace = ws
        self.script = script
        self.asked: list[tuple[str, str]] = []
        self.deleted: list[str] = []

    def ask(self, question, *, role, thread_id, user):
        self.asked.append((thread_id, question))
        return self.script[question]

    def delete_thread(self, thread_id):
        self.deleted.append(thread_id)


@pytest.fixture
def shop(empty_ws):
    c = empty_ws.conn
    c.execute(
        "INSERT INTO products VALUES ('P1','Aurora Wireless Headphones','Aurora','Headphones',99,'EUR','',NULL)"
    )
    c.execute("INSERT INTO customers (customer_id, country) VALUES ('C1','DE'), ('C2','FR')")
    for rid, rating, day in [
        ("R1", 5, "2024-02-01"),
        ("R2", 2, "2024-05-01"),
        ("R3", 4, "2025-01-01"),
    ]:
        c.execute(
            "INSERT INTO reviews (review_id, product_id, customer_id, rating, text, created_at) VALUES (?,?,?,?,?,?)",
            [rid, "P1", "C1", rating, "ok", datetime.fromisoformat(day)],
        )
    c.execute(
        "INSERT INTO orders VALUES ('O1','C1','2024-03-01','completed',100), ('O2','C2','2024-04-01','returned',50)"
    )
    c.execute("INSERT INTO order_items VALUES ('O1','P1',1,100), ('O2','P1',1,50)")
    return empty_ws


def write_set(tmp_path, cases, name="set.yaml"):
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(cases))
    return path


def test_named_queries_match_hand_computation(shop):
    cur = shop.cursor()
    assert (
        evaluate(
            cur, "avg_rating", {"product_id": "P1", "since": "2024-01-01", "until": "2024-12-31"}
        )
        == 3.5
    )
    assert evaluate(cur, "review_count", {"category": "headphones"}) == 3
    assert evaluate(cur, "revenue", {}) == 100
    assert evaluate(cur, "return_rate", {"product_id": "P1"}) == 0.5
    assert evaluate(cur, "product_with_title", {"contains": "aurora"}) == "P1"
    with pytest.raises(UserError, match="unknown ground-truth query"):
        evaluate(cur, "drop_tables", {})


def test_case_file_errors_name_the_file_and_case(tmp_path):
    bad = write_set(tmp_path, [{"id": "a", "question": "q"}, {"id": "b"}])
    with pytest.raises(UserError, match=r"set.yaml: case 2 \(b\)"):
        load_cases([bad])
    dup = write_set(
        tmp_path, [{"id": "a", "question": "q"}, {"id": "a", "question": "r"}], "dup.yaml"
    )
    with pytest.raises(UserError, match="duplicate case id"):
        load_cases([dup])
    jsonl = tmp_path / "set.jsonl"
    jsonl.write_text('{"id": "x", "question": "q"}\n{oops\n')
    with pytest.raises(UserError, match=r"set.jsonl:2"):
        load_cases([jsonl])


def test_scoring_passes_and_fails_for_the_right_reasons(shop, tmp_path):
    result = {
        "average_rating": 3.5,
        "n": 2,
        "evidence": {"reviews": ["R1", "R2"]},
        "quotes": [{"text": "the battery died after two days"}],
    }
    good = FakeAnswer(
        'Average rating 3.5 from 2 reviews; "battery died after two days" (R2).',
        [Call("product_insights", {"product_id": "P1", "since": "2024-01-01"}, result)],
        evidence={"reviews": ["R1", "R2"]},
    )
    invented = FakeAnswer(
        "Average rating 4.1 from 9 reviews.", [Call("search_reviews", {"query": "x"}, result)]
    )
    cases = write_set(
        tmp_path,
        [
            {
                "id": "good",
                "question": "How is the Aurora doing in 2024?",
                "expect_tools": ["product_insights"],
                "expect_args": {
                    "product_insights": {
                        "product_id": {
                            "$fact": {
                                "query": "product_with_title",
                                "params": {"contains": "Aurora"},
                            }
                        },
                        "since": "2024-01-01",
                    }
                },
                "facts": [
                    {"query": "avg_rating", "params": {"product_id": "P1", "until": "2024-12-31"}}
                ],
                "must_cite": ["R2"],
                "must_contain": ["3.5"],
            },
            {
                "id": "bad",
                "question": "Invent something",
                "expect_tools": ["product_insights"],
                "must_not_contain": ["4.1"],
            },
        ],
    )
    assistant = ScriptedAssistant(
        shop, {"How is the Aurora doing in 2024?": good, "Invent something": invented}
    )
    run = run_cases(assistant, load_cases([cases]), workers=2)
    by_id = {r.case.id: r for r in run.results}
    assert by_id["good"].passed, by_id["good"].reasons
    bad = by_id["bad"]
    assert not bad.passed
    assert bad.checks == {"tools": False, "facts": False, "faithful": False}
    assert bad.trace.untraced_numbers == ["4.1", "9"]
    totals = run.totals
    assert (
        totals["passed"] == 1 and totals["tool_accuracy"] == 0.5 and totals["citation_rate"] == 1.0
    )
    assert "| bad | FAIL |" in to_markdown(run)
    assert sorted(assistant.deleted) == sorted(t for t, _ in assistant.asked)


def test_conversation_turns_share_a_thread_and_repeat_reports_pass_hat_n(shop, tmp_path):
    answer = FakeAnswer("Done.", [Call("customer_profile", {"customer_id": "C1"}, {})])
    cases = write_set(
        tmp_path,
        [
            {
                "id": "follow",
                "conversation": ["Profile of C1", "and their complaints?"],
                "expect_tools": ["customer_profile"],
            }
        ],
    )
    assistant = ScriptedAssistant(shop, {"Profile of C1": answer, "and their complaints?": answer})
    run = run_cases(assistant, load_cases([cases]), repeat=3)
    assert run.results[0].runs_passed == [True, True, True]
    threads = [t for t, _ in assistant.asked]
    assert len(set(threads)) == 3 and len(threads) == 6  # two turns per run, one thread per run


def test_faithfulness_ignores_ids_dates_and_numbers_from_the_question():
    results = [{"share": 0.356, "count": 12, "quotes": [{"text": "Won't hold a charge any more."}]}]
    trace = trace_answer(
        'Since 2026-03-01, 35.6% of 12 reviews of P0042 (top 5) complain: "won\'t hold a charge".',
        results,
        question="top 5 complaints since March?",
    )
    assert trace.faithful, trace.to_dict()
    assert trace_answer('They said "it is the best purchase ever".', results).untraced_quotes


def test_eval_command_exits_nonzero_below_min_score(shop, tmp_path, monkeypatch):
    from assistant.cli import app

    path = write_set(
        tmp_path,
        [{"id": "bad", "question": "Invent something", "expect_tools": ["segment_overview"]}],
    )
    answer = FakeAnswer("Nothing.", [])
    shop.close()

    class FakeAssistantCls:
        @staticmethod
        def open(settings=None):
            from assistant.workspace import Workspace

            return ScriptedAssistant(
                Workspace.open(settings.data_dir, read_only=True), {"Invent something": answer}
            )

    monkeypatch.setattr("assistant.agent.Assistant", FakeAssistantCls, raising=False)
    report = tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            str(path),
            "--data-dir",
            str(shop.path),
            "--min-score",
            "0.5",
            "--json-out",
            str(report),
        ],
    )
    assert result.exit_code == 1, result.output
    assert json.loads(report.read_text())["totals"]["passed"] == 0


def test_eval_json_is_a_flag_and_a_directory_as_report_path_is_one_clear_error(
    shop, tmp_path, monkeypatch
):
    """`--json` prints like ask/search/recommend do; `--json-out` takes the file. The
    issue's `eval set.yaml --json --data-dir ws` read the workspace as the report path."""
    from assistant.cli import app

    path = write_set(
        tmp_path,
        [{"id": "seg", "question": "Show the segments", "expect_tools": ["segment_overview"]}],
    )
    answer = FakeAnswer("Segments.", [Call("segment_overview", {}, {"segments": []})])
    ws_dir = shop.path
    shop.close()

    class FakeAssistantCls:
        @staticmethod
        def open(settings=None):
            from assistant.workspace import Workspace

            return ScriptedAssistant(
                Workspace.open(settings.data_dir, read_only=True), {"Show the segments": answer}
            )

    monkeypatch.setattr("assistant.agent.Assistant", FakeAssistantCls, raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(path), "--json", "--data-dir", str(ws_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"]["cases"] == 1 and report["totals"]["passed"] == 1

    for option in ("--json-out", "--markdown"):
        bad = runner.invoke(
            app, ["eval", str(path), option, str(ws_dir), "--data-dir", str(ws_dir)]
        )
        assert bad.exit_code == 2
        assert f"{option} {ws_dir} is a directory" in bad.stderr
        assert "Traceback" not in bad.output
    bad = runner.invoke(app, ["eval", str(tmp_path), "--data-dir", str(ws_dir)])
    assert bad.exit_code == 2 and "is a directory, not a file" in bad.stderr


@dataclass
class _Call:
    name: str
    args: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)


@dataclass
class _Answer:
    text: str
    tool_calls: list = field(default_factory=list)


def test_an_empty_tool_list_means_no_tool_may_run():
    from assistant.evaluation.cases import Case
    from assistant.evaluation.runner import score_turn

    refusal = Case(id="r", question="What is our profit margin?", expect_tools=[])
    checks, reasons, _ = score_turn(refusal, _Answer("I can't answer that yet"), 1.0, None)
    assert checks["tools"]
    checks, reasons, _ = score_turn(
        refusal, _Answer("Top products", [_Call("sales_metrics")]), 1.0, None
    )
    assert not checks["tools"] and "sales_metrics" in reasons[0]
    unchecked = Case(id="u", question="Anything")
    checks, _, _ = score_turn(unchecked, _Answer("x", [_Call("search_reviews")]), 1.0, None)
    assert "tools" not in checks
