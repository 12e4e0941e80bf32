"""Intent scoring of Chinese questions: the multilingual model and its own thresholds,
Chinese cues, and questions about things the shop does not record choosing no tool."""

from __future__ import annotations

import pytest

from assistant.planner.intents import OUT_OF_SCOPE, IntentModel
from vectorstore.model_scales import E5_SCALE, E5_ZH_SCALE, MINILM_SCALE, scale_for


def test_chinese_questions_have_their_own_thresholds_on_e5_only():
    assert scale_for("multilingual-e5-small", "zh") is E5_ZH_SCALE
    assert scale_for("multilingual-e5-small") is E5_SCALE
    assert scale_for("all-MiniLM-L6-v2", "zh") is MINILM_SCALE
    assert E5_ZH_SCALE.intent_min_score > E5_SCALE.intent_min_score


@pytest.fixture(scope="module")
def model():
    from vectorstore.embeddings import load_embedder

    return IntentModel.for_question(load_embedder("multilingual-e5-small"), "耳机")


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("跑鞋的尺码偏小吗？大家怎么说", "search_reviews"),
        ("厨房用品这个类目的整体口碑", "product_insights"),
        ("C00311 这位买家的消费记录", "customer_profile"),
        ("半年没回购的忠实客户有哪些", "find_customers"),
        ("买了跑鞋的人还会一起买什么", "bought_together"),
        ("去年每个月的营收", "sales_metrics"),
        ("C00123 的手机号", "contact_details"),
    ],
)
def test_chinese_questions_choose_their_tool(model, question, tool):
    chosen, _ = model.classify(question)
    assert [c.tool for c in chosen] == [tool]


@pytest.mark.parametrize(
    "question", ["今天美元兑人民币汇率多少", "帮我写一首关于秋天的诗", "明天会下雨吗"]
)
def test_questions_outside_the_shop_data_choose_no_tool(model, question):
    chosen, ranking = model.classify(question)
    assert chosen == []
    assert ranking[0].tool == OUT_OF_SCOPE or ranking[0].score < E5_ZH_SCALE.intent_min_score
