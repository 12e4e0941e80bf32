"""How the demo shop reads in one language.

The generator (``assistant.demo.build``) draws one simulation; a ``Locale`` words
what people read: product titles, names, reviews, tickets, search queries, prices.
The English shop is the base class, exactly as it always was (its bytes are pinned
by tests); the Chinese shop overrides it in ``assistant.demo.zh.locale``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.demo.catalog import CATEGORY_BY_NAME, CURRENCY
from assistant.demo.people import make_customers
from assistant.demo.text import (
    RARE_TOKEN,
    compose_review,
    hostile_review,
    rare_token_review,
    with_contact,
)
from assistant.errors import UserError

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Locale:
    """How the shop reads in one language: the English shop as written here; other
    languages override what people read and keep every draw of the simulation."""

    language: str = "en"
    currency: str = CURRENCY
    rare_token: str = RARE_TOKEN
    ticket_writer: object = None  # see assistant.demo.support.make_tickets
    reviews_file: str = "reviews.jsonl"

    def category(self, name: str) -> str:
        return name

    def prices(self, catalog) -> np.ndarray:
        return np.array([p.price for p in catalog])

    def products(self, catalog, seed: int) -> dict[str, list[str]]:
        return {
            "title": [p.title for p in catalog],
            "brand": [p.brand for p in catalog],
            "description": [p.description for p in catalog],
        }

    def defect(self, d, product) -> dict:
        """The manifest's words for a planted defect."""
        return {"title": d.title}

    def customers(self, g, n: int) -> dict[str, list]:
        return make_customers(g, n)

    def review(self, rnd, stars, category, dkey, daspect) -> tuple[str, str]:
        cat = CATEGORY_BY_NAME[category]
        return compose_review(rnd, stars, category, cat.aspects, cat.item, dkey, daspect)

    def hostile(self, rnd, k: int) -> tuple[str, str]:
        return hostile_review(rnd, k)

    def contact(self, rnd, people: dict, c: int) -> tuple[str, str]:
        """(kind, value) of the contact detail customer ``c`` writes into a review."""
        return (
            ("email", people["email"][c]) if rnd.random() < 0.6 else ("phone", people["phone"][c])
        )

    def with_contact(self, rnd, text: str, kind: str, value: str) -> str:
        return with_contact(rnd, text, value)

    def rare_review(self, text: str) -> str:
        return rare_token_review(text)

    def queries(self, category) -> tuple[str, ...]:
        return category.queries

    def manifest_extra(self, planted: dict) -> dict:
        """Keys only this language's manifest has (none for English: its manifest is pinned)."""
        return {}


def locale_for(lang: str) -> Locale:
    if lang == "en":
        return Locale()
    if lang == "zh":
        from assistant.demo.zh.locale import ChineseLocale

        return ChineseLocale()
    raise UserError(f"demo language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
