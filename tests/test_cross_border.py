"""A Chinese question over an English shop: the index model (MiniLM) reads no Chinese, so
the query is read through the aspect taxonomy's Chinese terms and the alias table into
English terms, and the result says what was searched. Aspect probes over the English
demo shop measure precision@10 against the aspects the labelling step found in each
review (tools/sentiment.py), with the untranslated query as the baseline."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tools import query_translate
from tools.aspects import load_taxonomy
from tools.context import ToolContext
from tools.query_translate import english_terms, for_index, glossary, reads_chinese
from tools.reviews import search_reviews
from vectorstore.embeddings import E5, MINILM

# (Chinese question, the aspect its reviews must be about)
PROBES = [
    ("耳机的电池有什么问题?", "battery"),
    ("跑鞋尺码偏小吗", "size_fit"),
    ("物流太慢了吗", "delivery"),
    ("耳机音质怎么样", "sound"),
    ("包装有没有破损", "packaging"),
    ("客服态度好吗", "customer_service"),
    ("性价比高吗", "price"),
    ("做工质量怎么样", "quality"),
    ("戴着舒服吗", "comfort"),
    ("安装难不难", "ease_of_use"),
]


@pytest.fixture(scope="module")
def terms():
    return glossary(load_taxonomy())


@pytest.mark.parametrize(
    ("query", "english"),
    [
        ("耳机的电池有什么问题?", "headphones battery batteries battery life"),
        ("跑鞋尺码偏小吗", "running shoes size sizing fit"),
        ("X-200的续航怎么样", "X-200 battery batteries battery life"),
        ("电池续航太差了", "battery batteries battery life"),  # one aspect, named once
        ("舒适度一般", "comfort comfortable uncomfortable"),  # from the alias table
    ],
)
def test_chinese_terms_read_as_english(terms, query, english):
    assert english_terms(query, terms) == english


def test_a_query_without_a_known_term_is_not_rewritten(terms):
    assert english_terms("今天天气很好", terms) is None


def test_only_a_model_that_cannot_read_chinese_gets_a_rewritten_query():
    assert not reads_chinese(MINILM) and reads_chinese(E5)
    assert reads_chinese("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    taxonomy = load_taxonomy()

    def ctx(model):
        return SimpleNamespace(
            embedder=SimpleNamespace(name=model), models_dir=None, aspect_taxonomy=taxonomy
        )

    assert for_index(ctx(E5), "跑鞋尺码偏小吗") == ("跑鞋尺码偏小吗", None)
    assert for_index(ctx(MINILM), "running shoes run small") == ("running shoes run small", None)
    searched, note = for_index(ctx(MINILM), "跑鞋尺码偏小吗")
    assert searched == "running shoes size sizing fit"
    assert note.startswith('跑鞋尺码偏小吗 read as "running shoes size sizing fit"')


def test_a_shop_alias_is_used(tmp_path):
    (tmp_path / "aliases.yaml").write_text(
        "categories:\n  Headphones: [头戴耳机]\n", encoding="utf-8"
    )
    assert "headphones" in english_terms("头戴耳机好用吗", glossary(load_taxonomy(), tmp_path))


# -- over the English demo shop's index ----------------------------------------------------


@pytest.fixture(scope="module")
def ctx(demo_ws):
    assert demo_ws.embedder.name == MINILM  # the English shop keeps the English-only model
    return ToolContext(
        demo_ws.cursor,
        role="marketer",
        models_dir=demo_ws.settings.models_dir,
        embedder_loader=lambda: demo_ws.embedder,
        index_loader=lambda: demo_ws.review_index,
    )


def _precision(ctx, demo_ws) -> dict[str, float]:
    cur = demo_ws.cursor()
    out = {}
    for query, aspect in PROBES:
        about = {
            r
            for (r,) in cur.execute(
                "SELECT DISTINCT review_id FROM review_aspects WHERE aspect = ?", [aspect]
            ).fetchall()
        }
        ids = [r["review_id"] for r in search_reviews(ctx, query, k=10)["results"]]
        out[query] = sum(r in about for r in ids) / 10
    return out


def test_chinese_aspect_probes_find_the_aspects_reviews(ctx, demo_ws, monkeypatch):
    translated = _precision(ctx, demo_ws)
    monkeypatch.setattr(query_translate, "for_index", lambda _ctx, query: (query, None))
    untranslated = _precision(ctx, demo_ws)
    mean = sum(translated.values()) / len(PROBES)
    baseline = sum(untranslated.values()) / len(PROBES)
    print(
        f"\nprecision@10 over {len(PROBES)} Chinese aspect probes, English demo shop: "
        f"{mean:.2f} read through the glossary, {baseline:.2f} as typed"
    )
    for query, p in translated.items():
        print(f"  {p:.1f} (as typed {untranslated[query]:.1f})  {query}")
    assert mean >= 0.8, translated
    assert min(translated.values()) >= 0.5, translated
    assert mean - baseline >= 0.4


def test_the_result_says_how_the_query_was_read(ctx):
    result = search_reviews(ctx, "耳机的电池有什么问题?", k=5)
    english = "headphones battery batteries battery life"
    assert result["query"] == english  # what was searched
    assert result["read_as"].startswith(f'耳机的电池有什么问题? read as "{english}"')
    assert "read_as" not in search_reviews(ctx, "battery dies", k=5)


def test_the_answer_says_which_english_words_were_searched_for():
    from assistant.planner.compose import render_call
    from assistant.planner.thread import Call

    result = {
        "results": [{"review_id": "R000001", "snippet": "battery died", "rating": 2,
                     "date": "2026-10-01"}],
        "n": 1,
        "query": "headphones battery",
        "read_as": '耳机的电池有什么问题? read as "headphones battery" (...)',
    }  # fmt: skip
    call = Call("c1", "search_reviews", {"query": "耳机 电池"}, result)
    zh = render_call(call, "zh")
    assert zh[0] == "评论索引只读英文，已按“headphones battery”检索。"
    assert render_call(call, "en")[0] == (
        'Searched for "headphones battery": the review index reads English only.'
    )
    del result["read_as"]
    assert not any("headphones battery" in line for line in render_call(call, "zh"))
