"""Interface text in English and Simplified Chinese, from the YAML files beside this module.

Static labels go to Gradio as translation keys (``label``) and are translated in the
browser by ``gr.I18n`` (``gradio_i18n``); text the server writes at run time (charts,
panel summaries, notices) is looked up with ``text`` in the language the user chose.
A key missing from the English file raises at once, so a typo fails when the app is
built, not as a raw key on screen.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr
import yaml

HERE = Path(__file__).parent
LANGS = ("en", "zh")
DEFAULT = "en"
# The browser locale each language is shown under: Gradio's own Chinese interface text
# (login page, upload hints) is registered under "zh-CN", so ours sits beside it.
LOCALES = {"en": "en", "zh": "zh-CN"}
# What the language switch shows: each language named in itself.
LANGUAGE_CHOICES = [("English", "en"), ("简体中文", "zh")]


def _read_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every key and its text in ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"unknown interface language {lang!r}; expected one of {LANGS}")
    path = HERE / f"{lang}.yaml"
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of key: text")
    bad = [k for k, v in data.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise ValueError(f"{path}: keys and texts must be strings; not so for {bad}")
    return data


def language(lang: str | None) -> str:
    """A known language code; anything else (None from an old session) is English."""
    return lang if lang in LANGS else DEFAULT


def _check(key: str) -> str:
    if key not in catalog(DEFAULT):
        raise KeyError(f"no interface text {key!r} in {HERE / (DEFAULT + '.yaml')}")
    return key


def label(key: str) -> gr.i18n.I18nData:
    """A static label as a translation key the browser fills in its chosen language."""
    return I18N(_check(key))


def text(key: str, lang: str | None = DEFAULT, **fields) -> str:
    """Text the server writes, in ``lang`` (English where a translation lacks the key)."""
    _check(key)
    lang = language(lang)
    template = catalog(lang).get(key, catalog(DEFAULT)[key])
    return template.format(**fields) if fields else template


@cache
def examples(lang: str) -> list[str]:
    """The chat's example questions in ``lang``."""
    from assistant.webapp.handlers import EXAMPLES

    if language(lang) == DEFAULT:
        return list(EXAMPLES)
    path = HERE / f"examples.{lang}.yaml"
    data = _read_yaml(path)
    if not isinstance(data, list) or not all(isinstance(q, str) and q.strip() for q in data):
        raise ValueError(f"{path}: expected a list of questions")
    return data


def gradio_i18n() -> gr.I18n:
    """Both catalogs for ``gr.Blocks(i18n=...)``/``launch``, under their browser locales."""
    return gr.I18n(**{LOCALES[lang]: catalog(lang) for lang in LANGS})


I18N = gradio_i18n()
