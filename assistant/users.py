"""Who may log in to the web app, and with which role.

The users file (``Settings.users_path``, JSON) holds one entry per user name:
the role and a bcrypt hash of the password, never the password itself. Writes
are atomic (temp file + rename) under a file lock, so two `insight users add`
runs cannot lose each other's entries.

A user's *credential* is a digest of the stored hash. Every password set gets a
fresh bcrypt salt, so the credential changes whenever the password is set again,
even to the same password, and disappears with the user; web sessions remember
the credential they were opened with and end when it no longer matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import bcrypt
from filelock import FileLock

from assistant.errors import DataError, NotFoundError, UserError
from tools.access import ROLES, check_role

# bcrypt's cost factor; 12 takes ~0.25 s per check, slow enough to resist guessing.
DEFAULT_ROUNDS = 12
MIN_PASSWORD = 8
# bcrypt only looks at the first 72 bytes; a longer password would be silently truncated.
MAX_PASSWORD_BYTES = 72
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# One demo login per role on a fresh workspace; the names say what they can do.
DEMO_USERS = {"marketer": "marketer", "support": "support", "admin": "admin"}


def _load(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(
            f"the users file {path} is not valid JSON: {exc}", hint="fix or delete it"
        ) from exc
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise DataError(f"the users file {path} has no 'users' object", hint="fix or delete it")
    return users


def _save(path: Path, users: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"users": users}, indent=2, sort_keys=True), encoding="utf-8")
    # Hashes are not passwords, but there is no reason for others to read them.
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _lock(path: Path) -> FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=10, mode=0o600)


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise UserError(
            f"invalid user name {name!r}",
            hint="use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit",
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"the password is too short (at least {MIN_PASSWORD} characters)")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError(f"the password is too long (at most {MAX_PASSWORD_BYTES} bytes)")
    return password


def add_user(
    path: Path,
    name: str,
    role: str,
    password: str,
    *,
    replace: bool = False,
    rounds: int | None = None,
) -> dict:
    """Add a user (or, with ``replace``, change an existing user's role and password)."""
    check_name(name)
    check_role(role)
    check_password(password)
    digest = bcrypt.hashpw(
        password.encode("utf-8"), bcrypt.gensalt(rounds or DEFAULT_ROUNDS)
    ).decode("ascii")
    with _lock(path):
        users = _load(path)
        if name in users and not replace:
            raise UserError(
                f"user {name!r} already exists in {path}",
                hint="pass --replace to set a new password or role",
            )
        users[name] = {
            "role": role,
            "password_hash": digest,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _save(path, users)
    return {"name": name, "role": role}


def credential(entry: dict) -> str:
    """The credential a session is bound to: changes with every password set."""
    return hashlib.sha256(entry["password_hash"].encode("ascii")).hexdigest()[:32]


def _cost(digest: str) -> int:
    # "$2b$12$..." -> 12; anything unexpected falls back to the default cost.
    parts = digest.split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else DEFAULT_ROUNDS


@lru_cache(maxsize=8)
def _dummy_hash(cost: int) -> bytes:
    """A hash nobody knows the password of, at the given cost, made once per process."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(cost))


def authenticate(path: Path, name: str, password: str) -> dict | None:
    """``{"role", "credential"}`` when the password matches, else None.

    An unknown name costs one bcrypt check too, against a dummy hash of the cost
    the file's own hashes use, so the answer time does not say which names exist.
    """
    if not password:
        return None
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return None
    users = _load(path)
    entry = users.get(name or "")
    if entry is None:
        sample = next(iter(users.values()), None)
        cost = _cost(sample["password_hash"]) if sample else DEFAULT_ROUNDS
        bcrypt.checkpw(encoded, _dummy_hash(cost))
        return None
    if bcrypt.checkpw(encoded, entry["password_hash"].encode("ascii")):
        return {"role": entry["role"], "credential": credential(entry)}
    return None


def verify(path: Path, name: str, password: str) -> str | None:
    """The user's role when the password matches, else None (unknown user included)."""
    found = authenticate(path, name, password)
    return found["role"] if found else None


def credentials(path: Path) -> dict[str, tuple[str, str]]:
    """``{name: (role, credential)}`` for every user: what a session is checked against."""
    return {name: (entry["role"], credential(entry)) for name, entry in _load(path).items()}


def remove_user(path: Path, name: str) -> dict:
    """Remove a user; their web sessions end on their next request."""
    with _lock(path):
        users = _load(path)
        if name not in users:
            raise NotFoundError(f"no user {name!r} in {path}", suggestions=sorted(users))
        entry = users.pop(name)
        _save(path, users)
    return {"name": name, "role": entry["role"]}


def role_of(path: Path, name: str) -> str:
    entry = _load(path).get(name or "")
    if entry is None:
        raise NotFoundError(f"no user {name!r} in {path}", suggestions=sorted(_load(path)))
    return entry["role"]


def list_users(path: Path) -> list[dict]:
    """Name, role and creation time of every user, sorted by name (no hashes)."""
    return [
        {"name": name, "role": entry["role"], "created_at": entry.get("created_at")}
        for name, entry in sorted(_load(path).items())
    ]


def ensure_demo_users(path: Path, *, rounds: int | None = None) -> dict[str, dict]:
    """On a workspace without a users file, create one demo user per role.

    Returns ``{name: {"role", "password"}}`` for the users just created (to print
    once), or ``{}`` when the file already existed. Passwords are random per
    workspace, so a demo left running is not open to a guessable login.
    """
    with _lock(path):
        if path.exists():
            return {}
        created, users = {}, {}
        for name, role in DEMO_USERS.items():
            assert role in ROLES
            password = secrets.token_urlsafe(9)
            digest = bcrypt.hashpw(
                password.encode("utf-8"), bcrypt.gensalt(rounds or DEFAULT_ROUNDS)
            )
            users[name] = {
                "role": role,
                "password_hash": digest.decode("ascii"),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "demo": True,
            }
            created[name] = {"role": role, "password": password}
        _save(path, users)
    return created


# -- MCP bearer tokens -------------------------------------------------------------
# A token is 32 random bytes, so unlike a password it cannot be guessed from its hash:
# a fast SHA-256 digest is enough and keeps the per-request check cheap. Setting a new
# password with --replace rewrites the entry and so revokes the user's token too.
TOKEN_PREFIX = "ci_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(path: Path, name: str) -> str:
    """A new bearer token for ``name`` (replacing any earlier one); only its hash is
    stored, so the returned token is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with _lock(path):
        users = _load(path)
        if name not in users:
            raise NotFoundError(f"no user {name!r} in {path}", suggestions=sorted(users))
        users[name]["token_hash"] = token_digest(token)
        users[name]["token_created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        _save(path, users)
    return token


def revoke_token(path: Path, name: str) -> bool:
    """Remove ``name``'s token; False when they had none."""
    with _lock(path):
        users = _load(path)
        if name not in users:
            raise NotFoundError(f"no user {name!r} in {path}", suggestions=sorted(users))
        had = users[name].pop("token_hash", None) is not None
        users[name].pop("token_created_at", None)
        _save(path, users)
    return had


def user_for_token(path: Path, token: str | None) -> dict | None:
    """``{"name", "role"}`` of the user holding ``token``, else None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(token)
    found = None
    # Compare against every entry in constant time, so timing does not say how close a
    # guessed token came.
    for name, entry in _load(path).items():
        stored = entry.get("token_hash")
        if isinstance(stored, str) and hmac.compare_digest(stored, digest):
            found = {"name": name, "role": entry["role"]}
    return found
