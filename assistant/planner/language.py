"""The language a question is asked in, which is the language of its answer.

A question is Chinese when CJK characters make up a fifth of its letters: product
names, model numbers and brands stay Latin inside Chinese questions ("Aurora Pulse
的续航怎么样?" is Chinese). Every other question is answered in English.
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "zh")

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Below this share of CJK letters a question is English with a Chinese word in it.
_CJK_SHARE = 0.2


def question_language(text: str | None) -> str:
    """'zh' or 'en' for the question ``text``."""
    text = text or ""
    cjk = len(_CJK.findall(text))
    letters = sum(1 for c in text if c.isalpha())
    return "zh" if letters and cjk / letters >= _CJK_SHARE else "en"
