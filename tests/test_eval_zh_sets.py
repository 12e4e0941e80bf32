"""The Chinese question sets (issue 17): the tuned ones (evals/zh.yaml over the Chinese
demo shop, evals/zh_en_shop.yaml over the English one) and the held-out one over the
Chinese shop (evals/holdout/zh_shop.yaml) load, are the size and shape the issue asks
for, name their shop, and every figure and id in them holds in that shop. No planner
runs here: a broken case fails loudly before anyone tunes against it.

The tuned sets are not scored here. Once the Chinese planner passes them, add them to
the eval run of tests/test_eval_sets.py with a workspace per shop (see that file).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from assistant.errors import UserError
from assistant.evaluation.cases import Case, declared_shop, declared_today, load_cases
from assistant.evaluation.queries import evaluate
from assistant.evaluation.runner import _resolve, _texts, bind_vars
from assistant.evaluation.shops import check_shop, for_this_shop, store_language
from assistant.planner.language import question_language
from tools.registry import TOOL_NAMES

EVALS = Path(__file__).resolve().parent.parent / "evals"
TUNED_ZH = EVALS / "zh.yaml"
TUNED_EN = EVALS / "zh_en_shop.yaml"
HELD_OUT_ZH = EVALS / "holdout" / "zh_shop.yaml"
ZH_SHOP_SETS = [TUNED_ZH, HELD_OUT_ZH]
PLANNED_TOOLS = {"analyze", "compare_products", "campaign_brief"}
CANNOT = "暂时无法回答："
# Ids as questions and arguments write them (c00294 is a customer too); a Latin
# letter or digit may not touch them, a Chinese character may.
ID = re.compile(r"(?<![A-Za-z0-9])([PpCcRrTt]\d{4,6})(?![0-9])")
ID_TABLES = {"P": "products", "C": "customers", "R": "reviews", "T": "tickets"}
ID_COLUMNS = {"P": "product_id", "C": "customer_id", "R": "review_id", "T": "ticket_id"}


def _kinds(cases: list[Case]) -> set[str]:
    return {c.id.split("-")[1] for c in cases}


def test_sets_name_their_shop_and_pin_today():
    assert declared_shop(TUNED_ZH) == "zh"
    assert declared_shop(HELD_OUT_ZH) == "zh"
    assert declared_shop(TUNED_EN) == "en"
    for path in (TUNED_ZH, TUNED_EN, HELD_OUT_ZH):
        assert declared_today([path]) == "2026-11-01", path.name
        assert {c.shop for c in load_cases([path])} == {declared_shop(path)}, path.name


def test_sizes_kinds_and_language():
    tuned_zh, tuned_en = load_cases([TUNED_ZH]), load_cases([TUNED_EN])
    held_out = load_cases([HELD_OUT_ZH])
    assert len(tuned_zh) >= 40 and len(tuned_en) >= 20 and len(held_out) >= 15
    wanted = {
        "reviews",
        "insights",
        "metric",
        "rank",
        "compare",
        "change",
        "profile",
        "recommend",
        "tickets",
        "cannot",
    }
    for name, cases in (("zh", tuned_zh), ("zh_en_shop", tuned_en), ("held out", held_out)):
        assert wanted <= _kinds(cases), (name, sorted(wanted - _kinds(cases)))
        for case in cases:
            assert question_language(case.question) == "zh", case.id
    # a cross-border seller writes English product and category names inside Chinese
    assert sum("english" in c.id for c in tuned_zh) >= 2
    assert sum("english" in c.id for c in held_out) >= 2


def test_tuned_sets_do_not_repeat_held_out_questions():
    held_out = load_cases(sorted((EVALS / "holdout").glob("zh*.yaml")))
    asked = {c.question for c in held_out}
    repeated = [c.id for c in load_cases([TUNED_ZH, TUNED_EN]) if c.question in asked]
    assert not repeated, f"tuned cases that repeat a held-out question: {repeated}"


@pytest.mark.parametrize("path", [TUNED_ZH, TUNED_EN, HELD_OUT_ZH], ids=lambda p: p.name)
def test_tools_exist_and_refusals_call_none(path):
    known = set(TOOL_NAMES) | PLANNED_TOOLS
    for case in load_cases([path]):
        named = set(case.expect_tools or []) | set(case.expect_args)
        assert named <= known, f"{case.id}: unknown tools {sorted(named - known)}"
        assert set(case.expect_args) <= set(case.expect_tools or []), case.id
        if CANNOT in case.must_contain:
            assert case.expect_tools == [] and not case.facts, case.id


# -- the run refuses the wrong shop (no demo needed) -------------------------------------


def _store(tmp_path: Path, categories: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE products (product_id VARCHAR, category VARCHAR)")
    con.executemany(
        "INSERT INTO products VALUES (?, ?)", [(f"P{i:04d}", c) for i, c in enumerate(categories)]
    )
    return con


def test_store_language_reads_the_category_names(tmp_path):
    assert store_language(_store(tmp_path, ["耳机", "跑鞋", "厨房用品"])) == "zh"
    other = tmp_path / "en"
    other.mkdir()
    assert store_language(_store(other, ["Headphones", "Running Shoes"])) == "en"


def test_a_case_for_the_other_shop_is_refused_with_the_file_and_the_fix(tmp_path):
    con = _store(tmp_path, ["Headphones", "Running Shoes", "Kitchen"])
    cases = load_cases([TUNED_ZH])
    with pytest.raises(UserError) as err:
        check_shop(cases, con)
    assert "zh.yaml" in str(err.value) and "holds the en one" in str(err.value)
    assert "--lang zh" in (err.value.hint or "")
    check_shop(load_cases([TUNED_EN]), con)  # the right shop passes
    check_shop([Case(id="x", question="q")], con)  # a case naming no shop runs anywhere


def test_a_run_over_several_sets_keeps_the_ones_that_fit_the_shop(tmp_path):
    con = _store(tmp_path, ["Headphones", "Running Shoes", "Kitchen"])
    english = load_cases([TUNED_EN])
    kept, skipped = for_this_shop(load_cases([TUNED_ZH]) + english, con)
    assert [c.id for c in kept] == [c.id for c in english]
    assert list(skipped) == [str(TUNED_ZH)] or [p.endswith("zh.yaml") for p in skipped] == [True]
    with pytest.raises(UserError, match="holds the en one"):
        for_this_shop(load_cases([TUNED_ZH]), con)


def test_a_case_may_override_the_file_shop(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "shop: zh\ncases:\n  - {id: a, question: 耳机}\n  - {id: b, question: x, shop: en}\n",
        encoding="utf-8",
    )
    assert [c.shop for c in load_cases([path])] == ["zh", "en"]
    path.write_text("shop: fr\ncases: [{id: a, question: q}]\n", encoding="utf-8")
    with pytest.raises(UserError, match="shop must be en or zh"):
        declared_shop(path)
    with pytest.raises(UserError, match="case 1 \\(a\\): shop"):
        load_cases([path])


# -- every figure and id holds in its shop ------------------------------------------------


@pytest.fixture(scope="module")
def zh_cursor(tmp_path_factory):
    """The Chinese demo shop at full size with its sentiment and aspect labels (the
    figures need them); no review index or recommender, which no figure reads."""
    from assistant.pipeline import build_demo, label_sentiment
    from assistant.workspace import Workspace

    path = tmp_path_factory.mktemp("demo_zh") / "ws"
    build_demo(path, seed=7, lang="zh")
    with Workspace.open(path) as ws:
        label_sentiment(ws, report=lambda _msg: None)
    con = duckdb.connect(str(path / "store.duckdb"), read_only=True)
    yield con
    con.close()


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _check_set(path: Path, cur) -> None:
    categories = {
        r[0].lower() for r in cur.execute("SELECT DISTINCT category FROM products").fetchall()
    }
    evaluated = 0
    for case in load_cases([path]):
        case = bind_vars(case, cur)
        for field in (case.must_contain, case.must_not_contain, case.must_cite):
            for text in _texts(field, cur):
                assert text.strip(), f"{case.id}: an empty text to look for"
            evaluated += sum(isinstance(e, dict) for e in field)
        args = {}
        for tool, expected in case.expect_args.items():
            args[tool] = {k: _resolve(v, cur) for k, v in expected.items()}
            category = args[tool].get("category")
            if category is not None:
                assert str(category).lower() in categories, f"{case.id}: no category {category!r}"
        for fact in case.facts:
            value = evaluate(cur, fact.query, fact.params)
            assert value is not None, f"{case.id}: {fact.query}{fact.params} is empty"
            evaluated += 1
        for text in [case.question or "", *_strings(args)]:
            for found in ID.findall(text):
                ident = found.upper()
                table, column = ID_TABLES[ident[0]], ID_COLUMNS[ident[0]]
                hit = cur.execute(
                    f"SELECT 1 FROM {table} WHERE {column} = ?",  # noqa: S608 -- names from the constant maps above
                    [ident],
                ).fetchone()
                assert hit, f"{case.id}: {ident} is not in the {declared_shop(path)} shop"
    assert evaluated >= 10, f"{path.name} should check figures, not only tool choice"


@pytest.mark.parametrize("path", ZH_SHOP_SETS, ids=lambda p: p.name)
def test_every_figure_and_id_holds_in_the_chinese_shop(path, zh_cursor):
    assert store_language(zh_cursor) == "zh"
    _check_set(path, zh_cursor)


def test_every_figure_and_id_holds_in_the_english_shop(demo_ws):
    cur = demo_ws.cursor()
    assert store_language(cur) == "en"
    _check_set(TUNED_EN, cur)
