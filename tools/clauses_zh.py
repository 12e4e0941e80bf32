"""Chinese clause splitting, the hook tools/aspects.split_clauses calls on each piece.

A Chinese review strings topics together in one sentence and turns at a contrast
word: "音质不错，但是电池续航太差了" is praise for the sound and a battery complaint,
so it is cut at sentence-ending punctuation (。！？；…) and before 但是, 不过, 可是,
然而, 但, and 就是 / 只是 after a comma ("就是" alone often means "exactly": "就是这款").
A leading concessive (虽然, 尽管) is dropped, as "although" is in English. Commas
alone do not cut: "电池，用了两天就没电了" keeps the aspect with what is said of it.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[。！？；!?;…]+|\n+")
# "不但" (not only) and "但愿" (if only) are not contrasts.
_CONTRAST = re.compile(
    r"(?:[，,、]\s*)?(?:但是|不过|可是|然而|(?<!不)但(?!愿))|[，,]\s*(?:就是|只是)"
)
_LEADING_CONCESSIVE = re.compile(r"^(?:虽然|虽说|尽管|虽)\s*")
_EDGES = " \t，,、：:；;-"


def split_chinese(piece: str) -> list[str]:
    """``piece`` cut into Chinese clauses; a piece without Chinese comes back whole."""
    if not _CJK.search(piece):
        return [piece]
    out = []
    for sentence in _SENTENCE_END.split(piece):
        for clause in _CONTRAST.split(sentence):
            clause = _LEADING_CONCESSIVE.sub("", clause.strip(_EDGES)).strip(_EDGES)
            if clause:
                out.append(clause)
    return out
