"""Login for the web app: Gradio's auth callable backed by the users file.

The logged-in name arrives in every handler as ``gr.Request.username``; its role
comes from the users file, read again when the file changes, so `insight users
add` takes effect without restarting the app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from assistant.errors import PermissionDenied
from assistant.users import list_users, verify


class UserDirectory:
    """Roles by user name, cached until the users file's mtime changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._roles: dict[str, str] = {}

    def check_login(self, username: str, password: str) -> bool:
        """Gradio's ``auth=`` callable: True when the password matches."""
        return verify(self.path, username, password) is not None

    def role(self, username: str | None) -> str:
        """The role of a logged-in user; a name not (or no longer) in the file is refused."""
        with self._lock:
            stamp = self.path.stat().st_mtime if self.path.exists() else None
            if stamp != self._stamp:
                self._roles = {u["name"]: u["role"] for u in list_users(self.path)}
                self._stamp = stamp
            role = self._roles.get(username or "")
        if role is None:
            raise PermissionDenied(
                f"user {username!r} has no role in {self.path}",
                hint="log in again, or ask an admin to run `insight users add`",
            )
        return role


def role_resolver(directory: UserDirectory | None, default_role: str) -> Callable[[object], str]:
    """A function from a ``gr.Request`` to a role.

    Without a directory (the app started with auth off, e.g. a local test) every
    request gets ``default_role``.
    """

    def resolve(request) -> str:
        if directory is None:
            return default_role
        return directory.role(getattr(request, "username", None))

    return resolve
