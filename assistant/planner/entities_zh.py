"""What a Chinese question names beyond ids and product words: star ratings (一星, 3星以下),
sentiment (差评, 好评), counts (前五, 10条), audiences (流失, 不活跃, 忠实客户), metrics
(销售额, 退货率, 按月) and pronouns (这款, 他们). The Chinese half of
assistant/planner/entities.py, which calls :func:`read_zh` on questions holding
Chinese; the fields it fills are the same Entities fields the English rules fill.
"""

from __future__ import annotations

import re

from assistant.planner.periods_zh import chinese_number

# A count or rating in digits or Chinese numerals ("5", "五", "十", "两").
_N = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"
_STAR = r"(?:星|颗星|分)"

NEGATIVE_ZH = re.compile(
    r"差评|抱怨|吐槽|投诉|不满|问题|毛病|缺点|负面|不好|太差|很差|较差|失望|槽点|不喜欢|坑|退货理由|低分"
)
POSITIVE_ZH = re.compile(r"好评|夸|称赞|表扬|赞扬|喜欢|优点|正面|满意|高分|点赞|推荐理由")
CUSTOMER_PRONOUN_ZH = re.compile(
    r"他们|她们|他的|她的|他|她|这位(客户|买家|顾客)|该(客户|买家)|这个(客户|买家)"
)
PRODUCT_PRONOUN_ZH = re.compile(r"这款|那款|这个产品|这个商品|该产品|该商品|它的|它|这件|这一款")


def number(word: str) -> int | None:
    try:
        return chinese_number(word)
    except (ValueError, KeyError):
        return None


def _ratings(t: str, e) -> None:
    def n(word: str) -> int | None:
        value = number(word)
        return max(1, min(5, value)) if value is not None else None

    if m := re.search(rf"{_N}\s*{_STAR}?\s*(?:到|至|-|~)\s*{_N}\s*{_STAR}", t):
        low, high = n(m[1]), n(m[2])
        if low and high:
            e.min_rating, e.max_rating = sorted((low, high))
    elif m := re.search(rf"(?:低于|少于|不到|小于)\s*{_N}\s*{_STAR}", t):
        if (v := n(m[1])) is not None:
            e.max_rating = max(1, v - 1)
    elif m := re.search(rf"(?:高于|多于|超过|大于)\s*{_N}\s*{_STAR}", t):
        if (v := n(m[1])) is not None:
            e.min_rating = min(5, v + 1)
    elif m := re.search(rf"(?:至少|不低于)\s*{_N}\s*{_STAR}|{_N}\s*{_STAR}\s*(?:及|或)?以上", t):
        if (v := n(m[1] or m[2])) is not None:
            e.min_rating = v
    elif m := re.search(
        rf"(?:最多|不超过|不高于)\s*{_N}\s*{_STAR}|{_N}\s*{_STAR}\s*(?:及|或)?以下", t
    ):
        if (v := n(m[1] or m[2])) is not None:
            e.max_rating = v
    elif m := re.search(rf"{_N}\s*(?:颗)?星(?!期)", t):
        if (v := n(m[1])) is not None:
            e.min_rating = e.max_rating = v
    elif re.search(r"低分评价|低评分|评分低的评价", t):
        e.max_rating = 2


def _count(t: str, e) -> None:
    # Not "三个月" (a period), "5星" (a rating) or "30天".
    if m := re.search(rf"前\s*{_N}(?!\s*(?:个月|月|天|周|年|星|季度))", t) or re.search(
        rf"{_N}\s*(?:个|条|款|位|件|名|种|项)(?!\s*(?:月|星期|季度|小时))", t
    ):
        value = number(m[1])
        if value:
            e.k = max(1, min(50, value))


def _audience(t: str, e) -> None:
    if m := re.search(
        r"(?:消费|花费|花了|买了)\s*(?:超过|高于|大于|不少于|至少|满)\s*(\d[\d,]*)", t
    ):
        e.min_spend = float(m[1].replace(",", ""))
    if m := re.search(
        rf"{_N}\s*(天|周|个月|月|年)\s*(?:都|一直)?\s*(?:没有?|未)(?:下单|购买|买|回来|消费)", t
    ):
        days = {"天": 1, "周": 7, "个月": 30, "月": 30, "年": 365}[m[2]]
        if (v := number(m[1])) is not None:
            e.inactive_days = v * days
    elif re.search(r"不活跃|沉睡|很久没(买|下单|来)|没再(买|下单|来)|流失了|不再购买|没回来", t):
        e.inactive_days = 90
    if re.search(r"(浏览|看过|看了|逛过).*(没买|没有买|未购买|没下单|从没)", t):
        e.viewed = True
    if re.search(r"流失风险|可能流失|快要流失|有流失|流失", t):
        e.churn_risk = "high"
    for pattern, segment in (
        (r"不能失去|不能流失的", "Can't lose them"),
        (r"冠军|VIP|高价值|大客户|最好的客户|顶级客户|核心客户", "Champions"),
        (r"潜在忠实", "Potential loyalist"),
        (r"忠实|忠诚", "Loyal"),
        (r"新客户|新客|首次购买|首单", "New"),
        (r"沉睡客户|休眠", "Hibernating"),
        (r"有潜力", "Promising"),
        (r"需要关注", "Need attention"),
        (r"从未购买|从没买过", "Prospect"),
    ):
        if re.search(pattern, t, re.I):
            e.segment = segment
            break


def _metrics(t: str, e) -> None:
    for pattern, metric in (
        (r"平均评分|平均分|评分", "average_rating"),
        (r"多少条评价|评价数|评论数|评价数量", "review_count"),
        (r"退货率|退货", "return_rate"),
        (r"销量|卖了多少件|卖出多少件|多少件", "units"),
        (r"订单数|多少单|多少订单|订单量", "orders"),
        (r"销售额|营收|收入|营业额|卖了多少钱|销售", "revenue"),
    ):
        if re.search(pattern, t):
            e.metric = metric
            break
    for pattern, group in (
        (r"每个?月|按月|逐月|月度|趋势|走势|变化", "month"),
        (r"每周|按周|逐周", "week"),
        (r"按类目|每个类目|各类目|分类目|各个类目", "category"),
        (r"按国家|每个国家|各国家?|分国家", "country"),
        (r"按产品|每个产品|各产品|畅销|卖得最好|哪些产品卖", "product"),
    ):
        if re.search(pattern, t):
            e.group_by = group
            break


def read_zh(question: str, e) -> None:
    """Fill ``e`` from the Chinese parts of ``question`` where the English rules left a
    field empty (a field already set by an English word in the question stays)."""
    t = question
    if e.min_rating is None and e.max_rating is None:
        _ratings(t, e)
    if e.k is None:
        _count(t, e)
    before = (e.min_spend, e.inactive_days, e.viewed, e.churn_risk, e.segment)
    if before == (None, None, False, None, None):
        _audience(t, e)
    if e.metric is None and e.group_by is None:
        _metrics(t, e)
    if e.sentiment is None:
        # "不满意" holds 满意: the negative words are read first.
        if NEGATIVE_ZH.search(t) or (e.max_rating is not None and e.max_rating <= 2):
            e.sentiment = "negative"
        elif POSITIVE_ZH.search(t) or (e.min_rating is not None and e.min_rating >= 4):
            e.sentiment = "positive"
    e.customer_pronoun = e.customer_pronoun or bool(CUSTOMER_PRONOUN_ZH.search(t))
    e.product_pronoun = e.product_pronoun or bool(PRODUCT_PRONOUN_ZH.search(t))
