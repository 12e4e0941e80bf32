"""The Chinese shop's ``Locale``: what the demo generator writes when asked for ``zh``."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from assistant.demo.catalog import CATEGORY_BY_NAME
from assistant.demo.locale import Locale
from assistant.demo.zh import catalog as zcat
from assistant.demo.zh import people as zpeople
from assistant.demo.zh import support, text
from assistant.demo.zh.phrases import DEFECT_TERMS


@dataclass(frozen=True)
class ChineseLocale(Locale):
    language: str = "zh"
    currency: str = zcat.CURRENCY
    rare_token: str = text.RARE_TOKEN
    ticket_writer: object = support
    # CSV, as shop platforms export reviews; UTF-8 like every other demo file.
    reviews_file: str = "reviews.csv"

    def __post_init__(self):
        zcat.check_vocabulary()

    def category(self, name: str) -> str:
        return zcat.CATEGORY_ZH[name]

    def prices(self, catalog) -> np.ndarray:
        return np.array(zcat.prices(catalog))

    def products(self, catalog, seed: int) -> dict[str, list[str]]:
        # Descriptions get their own generator so the catalogue's draws stay the English ones.
        rng = random.Random(seed * 7919 + 2)
        return {
            "title": [zcat.titles(p)[0] for p in catalog],
            "brand": [zcat.brand(p) for p in catalog],
            "description": [zcat.describe(rng, p) for p in catalog],
        }

    def defect(self, d, product) -> dict:
        return {"title": zcat.titles(product)[0], "terms": list(DEFECT_TERMS[d.key])}

    def customers(self, g, n: int) -> dict[str, list]:
        return zpeople.make_customers(g, n)

    def review(self, rnd, stars, category, dkey, daspect) -> tuple[str, str]:
        aspects = CATEGORY_BY_NAME[category].aspects
        item = zcat.ITEM_ZH.get(category, "")
        return text.compose_review(rnd, stars, category, aspects, item, dkey, daspect)

    def hostile(self, rnd, k: int) -> tuple[str, str]:
        return text.hostile_review(rnd, k)

    def contact(self, rnd, people: dict, c: int) -> tuple[str, str]:
        return text.pick_contact(rnd, people, c)

    def with_contact(self, rnd, review: str, kind: str, value: str) -> str:
        return text.with_contact(rnd, review, kind, value)

    def rare_review(self, review: str) -> str:
        return text.rare_token_review(review)

    def queries(self, category) -> tuple[str, ...]:
        return zcat.QUERIES_ZH[category.name]

    def manifest_extra(self, planted: dict) -> dict:
        return {
            "language": "zh",
            "pii_planted": planted["pii_planted"],
            "hostile_texts": list(text.HOSTILE_TEXTS),
        }
