"""The digest on the demo shop: the planted defects are reported in their start month,
each item's figures agree with hand-written SQL, and the command is cron-safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tools.digest import DigestResult, load_rules


@pytest.fixture(scope="module")
def manifest(demo_dir):
    return json.loads((demo_dir / "demo_manifest.json").read_text())


def _month(first: str) -> tuple[str, str]:
    d = date.fromisoformat(first[:7] + "-01")
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return d.isoformat(), (nxt - timedelta(days=1)).isoformat()


def _next_month(first: str) -> str:
    d = date.fromisoformat(first[:7] + "-01")
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1).isoformat()


@pytest.fixture(scope="module")
def monthly(demo_ws, manifest):
    """The digest of each defect's start month and the month after, as the admin sees it."""
    box = demo_ws.toolbox("admin")
    out = {}
    for d in manifest["defects"]:
        for first in (d["since"], _next_month(d["since"])):
            since, until = _month(first)
            if since not in out:
                out[since] = box.call("digest", since=since, until=until).unwrap()
    return out


def test_every_planted_defect_is_reported_with_product_aspect_and_start_month(monthly, manifest):
    for d in manifest["defects"]:
        found = [
            item
            for result in monthly.values()
            for item in result["items"]
            if item["where"]["level"] == "product"
            and item["where"]["id"] == d["product_id"]
            and item["aspect"] == d["aspect"]
            and (item["since"] or "")[:7] == d["since"][:7]
        ]
        assert found, f"{d['product_id']} {d['aspect']} since {d['since'][:7]} not reported"


def test_few_other_items_per_period(monthly, manifest):
    defect_products = {d["product_id"] for d in manifest["defects"]}
    for result in monthly.values():
        others = [i for i in result["items"] if i["where"]["id"] not in defect_products]
        assert len(others) <= 3, [i["title"] for i in others]


def test_results_are_of_the_declared_type_with_quotes_and_actions(monthly):
    from pydantic import TypeAdapter

    for result in monthly.values():
        TypeAdapter(DigestResult).validate_python(result)
        for item in result["items"]:
            assert item["action"]
            assert 1 <= len(item["evidence"]) <= max(3, load_rules().quotes_per_item) or (
                item["kind"] in ("at_risk_customers", "segment_shift")
            )


# -- figures against hand-written SQL ---------------------------------------------------
def _end(day: str) -> date:
    return date.fromisoformat(day) + timedelta(days=1)


def _complaints(cur, level, ident, aspect, start, stop):
    scope = "r.product_id = ?" if level == "product" else "p.category = ?"
    row = cur.execute(
        f"""SELECT count(*) FILTER (WHERE r.review_id IN (SELECT review_id FROM review_aspects
              WHERE aspect = ? AND polarity = 'negative')), count(*)
            FROM reviews r JOIN products p ON p.product_id = r.product_id
            WHERE {scope} AND r.created_at >= ? AND r.created_at < ?""",  # noqa: S608 -- the test's own scope
        [aspect, ident, date.fromisoformat(start), _end(stop)],
    ).fetchone()
    return int(row[0]), int(row[1])


def _returns(cur, level, ident, start, stop, status):
    scope = "i.product_id = ?" if level == "product" else "p.category = ?"
    pool = (
        "('completed', 'returned')"
        if status == "returned"
        else "('completed', 'returned', 'cancelled')"
    )
    row = cur.execute(
        f"""SELECT count(DISTINCT o.order_id) FILTER (WHERE o.status = ?),
                   count(DISTINCT o.order_id) FILTER (WHERE o.status IN {pool})
            FROM orders o JOIN order_items i ON i.order_id = o.order_id
            JOIN products p ON p.product_id = i.product_id
            WHERE {scope} AND o.ordered_at >= ? AND o.ordered_at < ?""",  # noqa: S608 -- the test's own scope
        [status, ident, date.fromisoformat(start), _end(stop)],
    ).fetchone()
    return int(row[0]), int(row[1])


def test_each_item_figures_match_sql(monthly, demo_ws):
    cur = demo_ws.cursor()
    checked = 0
    for result in monthly.values():
        for item in result["items"]:
            w, (b0, b1) = item["where"], item["baseline"]
            now, before = item["now"], item["before"]
            if item["kind"] == "complaint_spike":
                got_now = _complaints(
                    cur, w["level"], w["id"], item["aspect"], result["since"], result["until"]
                )
                got_before = _complaints(cur, w["level"], w["id"], item["aspect"], b0, b1)
            elif item["kind"] in ("return_wave", "cancel_wave"):
                status = "returned" if item["kind"] == "return_wave" else "cancelled"
                got_now = _returns(
                    cur, w["level"], w["id"], result["since"], result["until"], status
                )
                got_before = _returns(cur, w["level"], w["id"], b0, b1, status)
            elif item["kind"] == "rating_drop":
                col = "r.product_id" if w["level"] == "product" else "p.category"
                sql = (
                    "SELECT avg(r.rating), count(*) FROM reviews r JOIN products p USING "  # noqa: S608 -- the test's own column
                    f"(product_id) WHERE {col} = ? AND r.created_at >= ? AND r.created_at < ?"
                )
                rows = [
                    cur.execute(sql, [w["id"], date.fromisoformat(a), _end(b)]).fetchone()
                    for a, b in ((result["since"], result["until"]), (b0, b1))
                ]
                assert now["value"] == pytest.approx(rows[0][0], abs=0.01)
                assert (now["n"], before["n"]) == (rows[0][1], rows[1][1])
                checked += 1
                continue
            else:
                continue
            assert (now["hits"], now["n"]) == got_now, item["title"]
            assert (before["hits"], before["n"]) == got_before, item["title"]
            assert now["value"] == pytest.approx(got_now[0] / got_now[1], abs=1e-4)
            lo, hi = now["ci"]
            assert lo <= now["value"] <= hi
            checked += 1
            # The quotes are the product's own reviews in the period.
            for record in item["evidence"]:
                if "review_id" in record:
                    pid, at = cur.execute(
                        "SELECT product_id, CAST(created_at AS DATE) FROM reviews WHERE review_id = ?",
                        [record["review_id"]],
                    ).fetchone()
                    assert result["since"] <= at.isoformat() <= result["until"]
                    if w["level"] == "product":
                        assert pid == w["id"]
    assert checked >= 3


def test_a_marketer_sees_no_contact_details(demo_ws, monthly):
    first = next(iter(monthly))
    since, until = _month(first)
    result = demo_ws.toolbox("marketer").call("digest", since=since, until=until).unwrap()
    text = json.dumps(result)
    assert "@" not in text or "[email]" in text
    assert result["items"]


def test_bad_arguments_are_clear_errors(demo_ws):
    box = demo_ws.toolbox("admin")
    out = box.call("digest", since="2026-03-31", until="2026-03-01")
    assert not out.ok and "after" in out.error.message
    out = box.call("digest", since="2026-03-01", period_days=7)
    assert not out.ok and "not both" in out.error.message


# -- the command --------------------------------------------------------------------------
def _cli(demo_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "digest", "--data-dir", str(demo_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_json_is_all_stdout_and_exits_zero(demo_dir, manifest):
    since, until = _month(manifest["defects"][0]["since"])
    done = _cli(demo_dir, "--since", since, "--until", until, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["since"] == since and result["items"]
    done = _cli(demo_dir, "--period", "7d", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["since"]


def test_a_bad_period_is_a_clear_error(demo_dir):
    done = _cli(demo_dir, "--period", "week")
    assert done.returncode == 2
    assert "--period takes a number of days" in done.stderr
    assert done.stdout == ""


def test_the_chat_answers_what_changed_from_the_digest(demo_dir):
    from assistant.agent import Assistant

    with Assistant.open(demo_dir) as bot:
        for question in ("What changed this month?", "Anything I should worry about?"):
            reply = bot.ask(question, role="marketer")
            assert [c.name for c in reply.tool_calls] == ["digest"], question
            assert "What changed" in reply.text


def test_the_chat_digest_covers_the_period_asked_for(demo_dir):
    from assistant.agent import Assistant

    with Assistant.open(demo_dir) as bot:
        for question in ("What changed in September 2026?", "2026年9月有什么变化？"):
            reply = bot.ask(question, role="marketer")
            (call,) = reply.tool_calls
            assert call.name == "digest", question
            assert call.args == {"since": "2026-09-01", "until": "2026-09-30"}, question
            assert "2026-09-01" in reply.text.split("\n\n")[-1] or "2026-09-01" in reply.text
            # The period compared with is the month before.
            assert "2026-08-01" in reply.text and "2026-08-31" in reply.text, reply.text
        # No period asked for: the shop's default window.
        reply = bot.ask("Anything I should worry about?", role="marketer")
        assert reply.tool_calls[0].args == {}


def test_a_chinese_digest_answer_titles_and_advises_in_chinese(monthly):
    import re

    from assistant.planner.compose import render_call
    from assistant.planner.thread import Call

    items = 0
    for result in monthly.values():
        zh = render_call(Call("c1", "digest", {}, result), "zh")
        en = render_call(Call("c1", "digest", {}, result), "en")
        assert zh[-1].startswith("理解为：") and "天）相对" in zh[-1]
        for item in result["items"]:
            line = next(x for x in zh if x.startswith(f"{result['items'].index(item) + 1}. "))
            assert item["title"] not in line and item["action"] not in line, line
            assert item["actions"]["zh"] in line, line
            title = line.split("：", 1)[0]
            # What is left of the title once the place is taken out is Chinese.
            rest = title.replace(item["where"]["label"], "").replace(item["where"]["id"], "")
            assert not re.search(r"[A-Za-z]{3,}", rest), line
            items += 1
        assert (
            any(item["title"] in x for x in en for item in result["items"]) or not result["items"]
        )
    assert items


def test_the_home_tab_cards_in_chinese(monthly):
    from html import escape

    from assistant.planner.formatters import digest_title
    from assistant.webapp.tab_digest import card_html

    for result in monthly.values():
        for rank, item in enumerate(result["items"], 1):
            zh, en = card_html(rank, item, "zh"), card_html(rank, item, "en")
            assert escape(digest_title(item, "zh")) in zh and escape(item["title"]) in en
            assert escape(item["actions"]["zh"]) in zh and "建议：" in zh
            assert "Suggested:" in en and "Suggested:" not in zh


def test_the_also_lines_in_chinese_say_the_english_figures(monthly):
    import re

    from assistant.evaluation.faithfulness import _NUMBER
    from assistant.planner.formatters import also_words

    def figures(text: str) -> list[str]:
        return sorted(m.group(0).strip() for m in _NUMBER.finditer(text))

    lines = 0
    for result in monthly.values():
        for item in result["items"]:
            zh = also_words(item, "zh")
            assert zh is not None and len(zh) == len(item["also"]), item["also"]
            assert also_words(item, "en") is None  # English quotes the tool's lines
            for said, english in zip(zh, item["also"], strict=True):
                assert figures(said) == figures(english), (said, english)
                named = said
                for part in (
                    item["where"]["label"],
                    *(p.get("where", "") for p in item["also_parts"]),
                ):
                    named = named.replace(str(part), "")
                for part in item["also_parts"]:
                    if part["kind"] == "item":
                        named = named.replace(part["item"]["where"]["label"], "")
                assert not re.search(r"\b(of|vs|rose|fell|buyers|still|open)\b", named), said
                lines += 1
    assert lines
