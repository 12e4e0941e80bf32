"""The one exception hierarchy of the product.

It imports nothing from the project, so every layer (``vectorstore``, ``tools``,
``assistant``, ``ui``) may raise these without breaking the one-way import rule.

- ``UserError``: the person asked for something wrong (bad argument, unknown id,
  forbidden for their role). The message says what was wrong and how to fix it.
- ``DataError``: input data is malformed (bad row, unknown format). Ingest
  quarantines such rows instead of raising where it can.
- ``BackendError``: a system we depend on failed (model, index, remote API).
"""

from __future__ import annotations


class InsightError(Exception):
    """Base of every error the product raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict:
        out = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class UserError(InsightError):
    """The request was wrong; the person can fix it."""


class NotFoundError(UserError):
    """An id or name that does not exist; carries the closest matches."""

    def __init__(
        self, message: str, *, suggestions: list[str] | None = None, hint: str | None = None
    ):
        self.suggestions = list(suggestions or [])
        if self.suggestions and hint is None:
            hint = "closest: " + ", ".join(self.suggestions[:5])
        super().__init__(message, hint=hint)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["suggestions"] = self.suggestions
        return out


class PermissionDenied(UserError):
    """The caller's role may not do or see this."""


class DataError(InsightError):
    """Input data is malformed or inconsistent."""


class BackendError(InsightError):
    """A dependency (model, index, remote API, lock) failed or is unavailable."""


class WorkspaceBusy(BackendError):
    """Another process holds the workspace's writer lock."""
