"""Which packaged embedding model a workspace uses, from the language of its reviews.

MiniLM reads English only (Chinese becomes ``[UNK]``) but encodes a passage about
three times faster than multilingual-e5-small; e5 reads both. A workspace whose
reviews are all English keeps MiniLM; one with a real share of reviews in another
language gets e5. The ``language`` column ingest stores decides; a review without
one is read by its script (CJK characters in the text). ``INSIGHT_EMBEDDING_MODEL``
overrides the choice (a cross-border seller asking in Chinese about English reviews
sets it to ``multilingual-e5-small``).

The choice is a pure function of the store, so every process over one store makes
the same one; when ingest changes the mix, the index (which records its model) is
rebuilt with the other model on the next sync.
"""

from __future__ import annotations

import re

from vectorstore.embeddings import E5, MINILM

# Share of reviews in a language other than English above which MiniLM would leave
# too many reviews unreadable (one in a hundred).
OTHER_LANGUAGE_SHARE = 0.01
# Texts of this many reviews without a language are read, at most: enough to see a mix.
SAMPLE = 5000

# CJK ideographs (with extension A and compatibility), kana, hangul.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
CJK_RE = re.compile(f"[{_CJK}]")


def script_language(text: str) -> str:
    """'zh' when CJK characters make up a fifth of the letters of ``text``, else 'en'
    (for this choice any other Latin-script language is read as English would be)."""
    text = text or ""
    cjk = len(CJK_RE.findall(text))
    letters = sum(1 for c in text if c.isalpha())
    return "zh" if letters and cjk / letters >= 0.2 else "en"


def normalise_language(tag) -> str:
    """'zh-CN', 'ZH_hans', 'chinese' -> 'zh'; empty -> ''."""
    tag = str(tag or "").strip().lower().replace("_", "-")
    if tag in ("chinese", "中文", "cn"):
        return "zh"
    if tag in ("english",):
        return "en"
    return tag.split("-", 1)[0]


def review_languages(conn) -> dict[str, int]:
    """Reviews per language: the stored column, else the text's script (sampled)."""
    try:
        rows = conn.execute("SELECT language, count(*) FROM reviews GROUP BY language").fetchall()
    except Exception:  # noqa: BLE001 - no store or no reviews table yet: nothing to read
        return {}
    counts: dict[str, int] = {}
    unknown = 0
    for tag, n in rows:
        lang = normalise_language(tag)
        if lang:
            counts[lang] = counts.get(lang, 0) + int(n)
        else:
            unknown += int(n)
    if unknown:
        texts = conn.execute(
            "SELECT coalesce(title, '') || ' ' || coalesce(text, '') FROM reviews "
            "WHERE coalesce(trim(language), '') = '' LIMIT ?",
            [SAMPLE],
        ).fetchall()
        seen: dict[str, int] = {}
        for (t,) in texts:
            lang = script_language(t[:2000])
            seen[lang] = seen.get(lang, 0) + 1
        # The sample's shares scaled up to every review without a language.
        for lang, n in seen.items():
            counts[lang] = counts.get(lang, 0) + round(n * unknown / len(texts))
    return counts


def choose_model(languages: dict[str, int]) -> str:
    """MiniLM for an English (or empty) shop, e5 when other languages matter."""
    total = sum(languages.values())
    if not total:
        return MINILM
    other = total - languages.get("en", 0)
    return E5 if other / total >= OTHER_LANGUAGE_SHARE else MINILM


def workspace_model(setting: str, conn) -> str:
    """The setting when it names a model, else the choice from the store's reviews."""
    if (setting or "").strip():
        return setting
    return choose_model(review_languages(conn))
