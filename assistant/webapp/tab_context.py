"""What every tab's builder gets from ``create_app``: the assistant, the role of a
request, the concurrency limit, and the script that turns id links into events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

# A click on an id link inside an HTML panel becomes a 'click' event carrying kind and id.
LINK_JS = """
element.addEventListener('click', (e) => {
  const a = e.target.closest('a.ev-link');
  if (!a) return;
  e.preventDefault();
  trigger('click', {kind: a.dataset.kind, id: a.dataset.id});
});
"""


def user_of(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None)


@dataclass(frozen=True)
class TabContext:
    """Shared by the tabs of one app; ``role_of`` raises ``InsightError`` for a user who
    was removed from the users file."""

    assistant: object
    role_of: Callable[[gr.Request | None], str]
    # One limit for both queues: chat turns ("agent") and panel queries ("panels").
    limit: int
    # The language switch: an input of every handler that writes words (i18n.LANGS).
    lang: gr.components.Component | None = None

    def inputs(self, *components) -> list:
        """``components`` and then the language switch, when the app has one."""
        return [*components, *([self.lang] if self.lang is not None else [])]
