"""The language switch in the header: English or 简体中文.

Gradio translates the static labels (``i18n.label`` keys) in the browser, by the locale
of its own i18n store; the switch sets that locale through Gradio's ``changeLocale``
(what its Settings panel calls) and tells the server, whose handlers take the switch
as an input for the words they write. The choice is kept in the browser's
localStorage, so a reload keeps it; without one the browser's language decides.
"""

from __future__ import annotations

import json

import gradio as gr

from assistant.webapp import i18n

STORAGE_KEY = "insight-lang"

# The page's first language: the one chosen before in this browser, else the browser's own.
# Returned twice: the switch's value and the language ``on_load`` gets.
DETECT_JS = f"""
() => {{
  let lang = null;
  try {{ lang = localStorage.getItem({json.dumps(STORAGE_KEY)}); }} catch (e) {{}}
  if (!{json.dumps(list(i18n.LANGS))}.includes(lang)) {{
    const nav = (navigator.language || "en").toLowerCase();
    lang = (nav === "zh" || nav === "zh-cn" || nav === "zh-sg" || nav.startsWith("zh-hans"))
      ? "zh" : "en";
  }}
  return lang;
}}
"""

# Gradio keeps its locale in a module of its own bundle (hashed file name), which exports
# changeLocale; importing the URL the page already loaded returns that same module.
SWITCH_JS = f"""
async (lang) => {{
  const locales = {json.dumps(i18n.LOCALES)};
  try {{ localStorage.setItem({json.dumps(STORAGE_KEY)}, lang); }} catch (e) {{}}
  const url = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/assets\\/core-[^/]*\\.js$/.test(name));
  if (!url) {{
    console.warn("language switch: Gradio's core module not found; labels stay as they are");
    return lang;
  }}
  const core = await import(url);
  if (typeof core.changeLocale === "function") core.changeLocale(locales[lang] || "en");
  return lang;
}}
"""


def build_language_switch() -> gr.Radio:
    """The switch, laid out in the current Blocks; English until the page loads."""
    return gr.Radio(
        choices=i18n.LANGUAGE_CHOICES,
        value=i18n.DEFAULT,
        label=i18n.label("app.language"),
        show_label=False,
        container=False,
        elem_id="lang",
        scale=0,
        min_width=200,
    )
