"""`insight` commands: index."""

from __future__ import annotations

from assistant.commands import app  # noqa: F401
