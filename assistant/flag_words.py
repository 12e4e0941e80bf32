"""Injection flags in words a shop user reads.

Tools report flags as ``"<record id>: <pattern name>"`` (tools/safety.py names the
patterns); the interface shows what the text tried, not the pattern's identifier.
"""

from __future__ import annotations

TRICKS = {
    "override_instructions": "tells the assistant to ignore its instructions",
    "new_instructions": "tries to give the assistant new instructions",
    "role_play": "poses as a system or assistant message",
    "tool_request": "asks the assistant to run a tool",
    "data_exfiltration": "asks for data to be sent or revealed",
    "assistant_addressed": "speaks to the assistant directly",
    "response_instructions": "tells the assistant how to write its answer",
    "task_request": "asks the assistant to do an unrelated task",
    "fake_delimiter": "fakes a message boundary or a role marker",
    "encoded_payload": "carries an encoded message",
    "hidden_characters": "hides characters a reader cannot see",
}


def describe_flag(flag: str) -> str:
    """``"R000123: override_instructions"`` -> ``"R000123 tells the assistant to ignore
    its instructions"``; an unknown name keeps its words, underscores read as spaces."""
    where, sep, name = str(flag).rpartition(": ")
    name = name.strip()
    trick = TRICKS.get(name, name.replace("_", " "))
    subject = where if sep else "a text"
    return f"{subject} {trick}"


def flags_sentence(flags: list[str]) -> str:
    """One sentence for the answer footer; empty when nothing was flagged."""
    if not flags:
        return ""
    described = "; ".join(describe_flag(f) for f in flags)
    return f"Shop text treated as data, not instructions: {described}."
