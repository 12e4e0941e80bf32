"""Support tickets of the demo shop: who writes in, about what, and whether it is solved.

Tickets follow the orders that go wrong: returned orders and units with a planted
defect draw far more of them. Recent tickets are more often still open.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from assistant.demo.catalog import Product
from assistant.demo.columns import ids, timestamps
from assistant.demo.sales import DAY, N_DAYS, Shop

# Extra return rate on top of the base rate, for categories bought by size.
SIZE_FIT_RETURNS = {"Running Shoes": 0.09, "Outdoor": 0.06, "Pet Supplies": 0.05, "Home": 0.04}

TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "delivery": (
        ("Where is my order {order}?", "My order {order} was due days ago and tracking has not moved. Can you check with the courier?"),
        ("Parcel not delivered", "Tracking for {order} says delivered but nothing arrived. My neighbours have nothing either."),
        ("Delivery delay", "Order {order} is late. I needed it for the weekend, please advise."),
        ("Tracking not updating", "The tracking link for {order} has shown 'in transit' for a week."),
        ("Delivered to wrong address", "The courier's photo for {order} shows a door that is not mine."),
    ),
    "refund": (
        ("Refund not received", "I returned {product} from order {order} two weeks ago and still have no refund."),
        ("Return request", "I would like to return {product} (order {order}). How do I get a return label?"),
        ("Refund amount wrong", "The refund for {order} is less than what I paid for {product}."),
        ("Cancelled but charged", "I cancelled {order} but my card was still charged."),
    ),
    "defect": (
        ("Product stopped working", "{product} from order {order} stopped working. I'd like a replacement."),
        ("Faulty item", "The {product} I received in {order} is faulty. What are my options?"),
        ("Warranty claim", "{product} broke within the warranty period (order {order}). Please help."),
        ("Broken after a few uses", "After a handful of uses {product} (order {order}) no longer works properly."),
    ),
    "damaged": (
        ("Item arrived damaged", "The box for {order} was crushed and {product} is scratched."),
        ("Missing parts", "{product} from {order} arrived with parts missing."),
        ("Wrong item received", "I ordered {product} in {order} but received something else."),
    ),
    "size": (
        ("Exchange for another size", "{product} from {order} is too small, can I swap it for a bigger size?"),
        ("Wrong size sent", "I ordered a different size than the one that arrived in {order}."),
        ("Size guide is off", "{product} (order {order}) runs large compared to your size guide. Exchange please."),
    ),
    "account": (
        ("Cannot log in", "I can't log into my account to see order {order}. The password reset email never comes."),
        ("Change delivery address", "Please change the address for order {order}, I'm moving."),
        ("Invoice needed", "Could you send me a VAT invoice for order {order}?"),
    ),
}  # fmt: skip
DEFECT_TEXT = {
    "aurora_battery": (
        "The headphones ({product}, order {order}) won't hold a charge any more; they die within an hour.",
        "My {product} from {order} go from full to empty overnight. Is this a known issue?",
        "Bought {product} ({order}); after two weeks they only play for 30 minutes.",
    ),
    "stridex_sole": (
        "The sole of my {product} (order {order}) is coming off after a few runs.",
        "{product} from {order}: the outsole has split already. I want a refund.",
    ),
    "kessler_kettle": (
        "My {product} from order {order} is leaking water onto the counter.",
        "The {product} ({order}) drips from the base; I don't feel safe using it.",
    ),
}
CONTACT = (
    " You can reach me on {phone}.",
    " Please call me back on {phone}.",
    " My number is {phone} if that is quicker.",
)


def compose_ticket(
    rnd: random.Random, topic: str, order: str, product: str, defect: str | None
) -> tuple[str, str]:
    subject, body = rnd.choice(TOPICS[topic])
    if topic == "defect" and defect is not None:
        body = rnd.choice(DEFECT_TEXT[defect])
    return subject.format(order=order), body.format(order=order, product=product)


def make_tickets(
    g: np.random.Generator,
    rnd: random.Random,
    shop: Shop,
    catalog: list[Product],
    defect_since: np.ndarray,
    oid: np.ndarray,
    cid: np.ndarray,
    phones: list[str],
    scale: float,
    writer=None,
) -> tuple[pd.DataFrame, list[str]]:
    """The tickets table and the ids of tickets whose text carries the writer's phone.

    ``writer`` (a module with ``ticket`` and ``ticket_contact``) words the tickets in
    another language; the draws, and so which tickets exist, stay the same.
    """
    n_t = max(20, int(round(600 * scale)))
    status = shop.order_status[shop.line_order]
    day = shop.order_at[shop.line_order] // DAY
    defect = day >= defect_since[shop.line_product]
    w = np.where(status == 1, 8.0, 1.0) * np.where(defect, 6.0, 1.0)
    lines = np.sort(g.choice(len(w), size=n_t, replace=False, p=w / w.sum()))
    at = shop.order_at[shop.line_order[lines]]
    # A day to three weeks after the order, but never past the end of the calendar.
    span = np.minimum(20 * DAY, N_DAYS * DAY - 1 - at)
    opened = at + (
        np.minimum(DAY, span // 2) + g.random(n_t) * (span - np.minimum(DAY, span // 2))
    ).astype(np.int64)
    order = np.argsort(opened, kind="stable")
    lines, opened = lines[order], opened[order]
    recent = opened > (N_DAYS - 21) * DAY
    r = g.random(n_t)
    state = np.where(
        recent,
        np.where(r < 0.7, "open", "closed"),
        np.where(r < 0.04, "open", np.where(r < 0.1, "pending", "closed")),
    )
    tid = ids("T", n_t, 5)
    cust = shop.order_cust[shop.line_order[lines]]
    with_phone = g.random(n_t) < 0.06
    subjects, texts = [], []
    for j, line in enumerate(lines):
        p = catalog[shop.line_product[line]]
        dk = p.defect if defect[line] else None
        st = status[line]
        if dk or (st == 1 and rnd.random() < 0.4):
            topic = "defect"
        elif st == 1:
            topic = "size" if p.category in SIZE_FIT_RETURNS and rnd.random() < 0.5 else "refund"
        elif st == 2:
            topic = rnd.choice(("refund", "account"))
        else:
            topic = rnd.choices(("delivery", "damaged", "refund", "account"), (5, 2, 1, 1))[0]
        if writer is None:
            # People name a product the short way, not by the marketplace title.
            short = p.title.split(",")[0]
            s, t = compose_ticket(rnd, topic, oid[shop.line_order[line]], short, dk)
        else:
            s, t = writer.ticket(rnd, topic, oid[shop.line_order[line]], p, dk)
        if with_phone[j]:
            phone = phones[cust[j]]
            t += (
                rnd.choice(CONTACT).format(phone=phone)
                if writer is None
                else writer.ticket_contact(rnd, phone)
            )
        subjects.append(s)
        texts.append(t)
    frame = pd.DataFrame(
        {
            "ticket_id": tid,
            "customer_id": cid[cust],
            "order_id": oid[shop.line_order[lines]],
            "opened_at": timestamps(opened),
            "status": state,
            "subject": subjects,
            "text": texts,
        }
    )
    return frame, tid[with_phone].tolist()
