"""Support tickets of the Chinese demo shop: the same topics as the English shop, in Chinese.

Which orders draw tickets, their topics and states come from the English simulation
(``assistant.demo.support.make_tickets``); only subjects and bodies are written here.
"""

from __future__ import annotations

import random

from assistant.demo.catalog import Product
from assistant.demo.zh.catalog import titles

TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "delivery": (
        ("订单{order}什么时候到？", "订单{order}早就该到了，物流信息一直没更新，麻烦帮忙催一下快递。"),
        ("显示签收但没收到", "订单{order}物流显示已签收，但我根本没收到，问了邻居和驿站也没有。"),
        ("物流太慢", "订单{order}已经晚了好几天，周末急着用，请尽快处理。"),
        ("物流信息不更新", "订单{order}的物流一个星期都显示运输中。"),
        ("快递送错地址", "订单{order}快递员拍的签收照片不是我家门口。"),
    ),
    "refund": (
        ("退款还没到账", "订单{order}的{product}两周前就退回去了，到现在还没收到退款。"),
        ("申请退货", "订单{order}的{product}想退货，请问怎么申请上门取件？"),
        ("退款金额不对", "订单{order}退款金额比我实际支付的{product}少了。"),
        ("取消了还扣款", "订单{order}我已经取消了，但钱还是被扣了。"),
    ),
    "defect": (
        ("商品坏了", "订单{order}的{product}用了没多久就坏了，希望能换新。"),
        ("收到的是坏的", "订单{order}收到的{product}有质量问题，请问怎么处理？"),
        ("申请保修", "{product}在保修期内坏了（订单{order}），请帮忙处理。"),
        ("用几次就坏了", "订单{order}的{product}才用了几次就不能正常使用了。"),
    ),
    "damaged": (
        ("收到时已损坏", "订单{order}的箱子压坏了，{product}也有划痕。"),
        ("配件缺失", "订单{order}的{product}少了配件。"),
        ("发错货了", "订单{order}我买的是{product}，收到的却是别的东西。"),
    ),
    "size": (
        ("换尺码", "订单{order}的{product}偏小，能换大一码吗？"),
        ("发错尺码", "订单{order}收到的尺码和我下单的不一样。"),
        ("尺码表不准", "订单{order}的{product}比尺码表大，麻烦换一下。"),
    ),
    "account": (
        ("登录不了", "账号登录不了，看不到订单{order}，重置密码的短信一直收不到。"),
        ("修改收货地址", "订单{order}麻烦改一下收货地址，我搬家了。"),
        ("开发票", "订单{order}麻烦开一张增值税发票。"),
    ),
}  # fmt: skip
DEFECT_TEXT = {
    "aurora_battery": (
        "订单{order}的耳机（{product}）充不进电了，一个小时就没电。",
        "订单{order}的{product}晚上充满电，第二天早上就没电了，是普遍问题吗？",
        "{product}（订单{order}）才用两周，现在只能听半个小时。",
    ),
    "stridex_sole": (
        "订单{order}的{product}跑了几次鞋底就开胶了。",
        "订单{order}的{product}大底已经裂开了，我要退款。",
    ),
    "kessler_kettle": (
        "订单{order}的{product}底座漏水，台面上全是水。",
        "{product}（订单{order}）底部一直滴水，不敢再用了。",
    ),
}
CONTACT = ("您可以打我电话{phone}。", "请回电{phone}。", "我的手机号是{phone}，电话联系更快。")


def ticket(
    rnd: random.Random, topic: str, order: str, product: Product, defect: str | None
) -> tuple[str, str]:
    """(subject, text) of one ticket; people name the product the short way."""
    subject, body = rnd.choice(TOPICS[topic])
    if topic == "defect" and defect is not None:
        body = rnd.choice(DEFECT_TEXT[defect])
    short = titles(product)[1]
    return subject.format(order=order), body.format(order=order, product=short)


def ticket_contact(rnd: random.Random, phone: str) -> str:
    return rnd.choice(CONTACT).format(phone=phone)
