"""The audit log: one JSON line per turn in the workspace (``Settings.audit_path``).

Who asked what, in which role, which tools ran with which arguments and which
record ids came back. The question is redacted: the log must not become a second
copy of the PII it is meant to watch over.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from assistant.answer import Answer
from tools.safety import redact_pii


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, *, question: str, answer: Answer, user: str | None) -> dict:
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "user": user,
            "role": answer.role,
            "thread_id": answer.thread_id,
            "question": redact_pii(question),
            "backend": answer.backend,
            "fell_back": answer.fell_back,
            "fallback_reason": answer.fallback_reason,
            "tools": [
                {
                    "name": call.name,
                    "args": call.args,
                    "error": call.error,
                    "evidence": (call.result or {}).get("evidence", {}),
                }
                for call in answer.tool_calls
            ],
            "evidence": answer.evidence,
            "flags": answer.flags,
        }
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only whatever the umask: the log names users and customers.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return entry

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
