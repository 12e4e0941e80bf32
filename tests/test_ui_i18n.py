"""The web app's interface text: both languages hold the same keys with the same fields,
every key the app's code names exists, and server-written words follow the language."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from assistant.webapp import charts, i18n, panels

WEBAPP = Path(i18n.__file__).parent.parent
# The functions whose first argument is an interface-text key.
KEY_FUNCTIONS = {"label", "text"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def used_keys() -> dict[str, str]:
    """Every literal key passed to ``i18n.label``/``i18n.text`` (or ``text`` imported from
    it) in the web app's modules, with where it is used."""
    found: dict[str, str] = {}
    for path in sorted(WEBAPP.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in KEY_FUNCTIONS and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    found.setdefault(first.value, f"{path.name}:{node.lineno}")
            # f"chart.{key}" over the sentiment labels: each expansion must exist too.
            if name in KEY_FUNCTIONS and isinstance(first, ast.JoinedStr):
                found.setdefault("<f-string>", f"{path.name}:{node.lineno}")
    return found


def test_both_languages_have_the_same_keys_and_fields():
    en, zh = i18n.catalog("en"), i18n.catalog("zh")
    assert sorted(set(en) - set(zh)) == [], "keys missing from zh.yaml"
    assert sorted(set(zh) - set(en)) == [], "keys in zh.yaml that en.yaml lacks"
    differing = {
        k: (_fields(en[k]), _fields(zh[k])) for k in en if _fields(en[k]) != _fields(zh[k])
    }
    assert differing == {}
    # A translation left in English is a missed one (brand names and formats excepted).
    same = {k for k in en if en[k] == zh[k] and not k.startswith("app.heading")}
    assert same == set()


def test_every_key_the_app_names_exists():
    used = used_keys()
    assert len(used) > 40  # the scan really finds the app's keys
    en = i18n.catalog("en")
    literal = {k: where for k, where in used.items() if k != "<f-string>"}
    assert {k: where for k, where in literal.items() if k not in en} == {}
    # The one computed key family: chart.<sentiment label>.
    assert all(f"chart.{label}" in en for label in charts.SENTIMENT_COLOURS)
    # Role notes are named in a table, not in a call.
    from assistant.webapp.app import ROLE_NOTES

    assert all(key in en for notes in ROLE_NOTES.values() for key in notes.values())


def test_a_missing_key_fails_loudly():
    with pytest.raises(KeyError, match="no interface text 'tab.nope'"):
        i18n.label("tab.nope")
    with pytest.raises(KeyError, match="tab.nope"):
        i18n.text("tab.nope", "zh")
    with pytest.raises(ValueError, match="unknown interface language 'fr'"):
        i18n.catalog("fr")


def test_a_broken_catalog_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "en.yaml").write_text("tab.chat: [not, text]\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "HERE", tmp_path)
    i18n.catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"en\.yaml: keys and texts must be strings"):
            i18n.catalog("en")
    finally:
        i18n.catalog.cache_clear()


def test_text_fills_fields_in_the_chosen_language():
    assert i18n.text("product.reviews", "en", n=3) == "3 reviews"
    assert i18n.text("product.reviews", "zh", n=3) == "3 条评论"
    # An unknown language (an old session's None) is English.
    assert i18n.text("tab.chat", None) == "Chat"


def test_chinese_examples_are_chinese_and_as_many_as_the_english():
    zh, en = i18n.examples("zh"), i18n.examples("en")
    assert len(zh) == len(en)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in q) for q in zh)
    assert zh != en


def test_gradio_gets_both_catalogs_under_their_locales():
    translations = i18n.gradio_i18n().translations_dict
    assert set(translations) == {"en", "zh-CN"}
    assert translations["zh-CN"]["tab.chat"] == "对话"


def test_login_note_is_unchanged_in_english_and_given_in_both():
    from assistant.webapp import app

    assert app.LOGIN_NOTE.startswith("Log in with your shop account")
    assert app.AUTH_MESSAGE.startswith(app.LOGIN_NOTE)
    assert "请用店铺账号登录" in app.AUTH_MESSAGE


def test_charts_are_labelled_in_the_chosen_language():
    months = [{"month": "2026-01", "avg_rating": 4.0, "n": 3}]
    en = charts.rating_by_month(months)
    zh = charts.rating_by_month(months, lang="zh")
    assert en.layout.title.text == "Average rating by month"
    assert zh.layout.title.text == "每月平均评分"
    assert [t.name for t in zh.data] == ["平均评分", "评论数"]
    assert zh.layout.yaxis.title.text == "星级"
    rows = [{"month": "2026-01", "positive": 2, "neutral": 1, "negative": 1}]
    assert [t.name for t in charts.sentiment_over_time(rows, lang="zh").data] == [
        "正面",
        "中性",
        "负面",
    ]
    aspects = charts.aspect_balance(
        [{"aspect": "battery", "praise": 1, "complaints": 2}], lang="zh"
    )
    assert [t.name for t in aspects.data] == ["投诉", "好评"]
    assert aspects.layout.xaxis.title.text == "提及次数(左为投诉,右为好评)"
    assert (
        charts.aspect_balance([], lang="zh").layout.annotations[0].text
        == "该时间段内没有提及任何方面"
    )


def test_panel_words_follow_the_language():
    stats = {
        "total_spend": 100.0,
        "average_spend": 50.0,
        "average_orders": 2.0,
        "average_clv": 80.0,
        "segments": {"loyal": 2},
        "churn_risk": {"low": 2},
    }
    assert panels.audience_stat_lines(stats)[1] == "Segments: loyal 2"
    zh = panels.audience_stat_lines(stats, "zh")
    assert zh[0].startswith("总消费 100.00,平均消费 50.00")
    assert zh[1:] == ["分群:loyal 2", "流失风险:low 2"]


def test_chat_result_charts_follow_the_language():
    from assistant.result_table import table_of
    from tests.test_charts import analyze, analyze_row

    rows = [
        analyze_row({"category": "Kitchen"}, "Kitchen", 1500.0, 30, previous=1000.0),
        analyze_row({"category": "Audio"}, "Audio", 900.0, 20, previous=1200.0),
    ]
    table = table_of("analyze", analyze("revenue", "currency", by=("category",), rows=rows))
    now, before = charts.result_figure(table, "zh").data
    assert (now.name, before.name) == ("本期", "上期")
    assert "条记录" in now.hovertemplate and "records" not in now.hovertemplate
    assert "from 30 records" not in charts.result_figure(table).data[0].hovertemplate
    assert "from %{customdata} records" in charts.result_figure(table).data[0].hovertemplate
