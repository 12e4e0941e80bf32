"""A Chinese query over an index whose model reads English only.

A cross-border seller asks "耳机的电池有什么问题?" about English reviews. MiniLM turns the
Chinese into ``[UNK]`` tokens and BM25 finds none of its words, so the search would return
unrelated reviews. The shop already names its topics in both languages: the aspect
taxonomy (tools/aspects.yaml) lists Chinese terms beside English ones, and the alias table
(tools/aliases.py) names categories and aspects in Chinese. The query is read through
them into the English terms of what it names ("headphones battery batteries battery
life"), and the result says so, so the reader can see what was searched.

Only a query in a script the model cannot read is rewritten: e5 reads Chinese itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from tools import aliases
from vectorstore.embeddings import E5
from vectorstore.model_choice import CJK_RE, script_language

# English terms of an aspect put in the query: the first ones the taxonomy lists are its
# plainest names ("battery", "batteries", "battery life"); more dilute the vector.
ENGLISH_TERMS_PER_ASPECT = 3
# Model names that read Chinese: the packaged e5, and the usual multilingual families a
# shop may point INSIGHT_EMBEDDING_MODEL at.
_MULTILINGUAL = re.compile(r"multilingual|labse|xlm-r|bge-m3", re.I)
# Latin words and model numbers inside a Chinese query are kept as written.
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def reads_chinese(model_name: str) -> bool:
    """Whether an embedding model of this name reads Chinese (e5 and other multilingual
    models do; MiniLM and unknown local models are taken to read English only)."""
    return model_name == E5 or bool(_MULTILINGUAL.search(model_name or ""))


def _is_english(term: str) -> bool:
    return not CJK_RE.search(term)


def glossary(taxonomy, data_dir: str | Path | None = None) -> dict[str, str]:
    """Chinese term -> the English words it stands for, from the taxonomy's Chinese terms,
    the alias table's Chinese aspect names and its Chinese category names."""
    table = aliases.aliases(data_dir)
    out: dict[str, str] = {}
    for aspect in taxonomy.aspects:
        english = [t for t in aspect.terms if _is_english(t)][:ENGLISH_TERMS_PER_ASPECT]
        words = " ".join(english) or aspect.id.replace("_", " ")
        chinese = [t for t in aspect.terms if not _is_english(t)]
        chinese += [n for n in table["aspects"].get(aspect.id, []) if not _is_english(n)]
        for term in chinese:
            out.setdefault(term, words)
    for canonical, names in table["categories"].items():
        for name in names:
            if not _is_english(name):
                out.setdefault(name, canonical.lower())
    return out


def english_terms(query: str, terms: dict[str, str]) -> str | None:
    """The English reading of a Chinese query: the terms it holds (longest first, each
    character read once) in the order they occur, with its Latin words kept; None when it
    holds no known term."""
    taken = [False] * len(query)
    found: list[tuple[int, str]] = []
    for term in sorted(terms, key=len, reverse=True):
        start = query.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(term)
                found.append((start, terms[term]))
            start = query.find(term, end)
    if not found:
        return None
    found += [(m.start(), m.group()) for m in _LATIN.finditer(query) if not taken[m.start()]]
    words: list[str] = []
    for _, english in sorted(found):
        if english not in words:  # "电池续航" names the battery once
            words.append(english)
    return " ".join(words)


def for_index(ctx, query: str) -> tuple[str, str | None]:
    """(the query to search with, a note saying how it was read when it was rewritten).

    The search result's ``query`` is then what was searched, and the note keeps the
    question as asked: '耳机的电池有什么问题? read as "headphones battery ..."'.
    """
    if not query or script_language(query) != "zh" or reads_chinese(ctx.embedder.name):
        return query, None
    data_dir = ctx.models_dir.parent if ctx.models_dir else None
    english = english_terms(query, glossary(ctx.aspect_taxonomy, data_dir))
    if not english:
        return query, None
    model = ctx.embedder.name
    return (
        english,
        f'{query} read as "{english}" (the review index model, {model}, reads English only)',
    )
