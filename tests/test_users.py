"""The users file: bcrypt hashes, roles, demo users, and the `insight users` commands."""

from __future__ import annotations

import json

import bcrypt
import pytest
from typer.testing import CliRunner

from assistant import users
from assistant.cli import app
from assistant.errors import DataError, NotFoundError, UserError

FAST = 4  # bcrypt rounds for tests; the cost factor does not change the logic


def test_add_and_verify_stores_only_a_bcrypt_hash(tmp_path):
    path = tmp_path / "users.json"
    users.add_user(path, "ann", "support", "correct horse", rounds=FAST)
    raw = path.read_text()
    assert "correct horse" not in raw
    entry = json.loads(raw)["users"]["ann"]
    assert entry["role"] == "support"
    assert bcrypt.checkpw(b"correct horse", entry["password_hash"].encode())
    assert users.verify(path, "ann", "correct horse") == "support"
    assert users.verify(path, "ann", "wrong horse!") is None
    assert users.verify(path, "bob", "correct horse") is None
    assert users.verify(path, "ann", "") is None
    assert users.role_of(path, "ann") == "support"
    assert (path.stat().st_mode & 0o777) == 0o600


def test_duplicate_needs_replace(tmp_path):
    path = tmp_path / "users.json"
    users.add_user(path, "ann", "support", "password-1", rounds=FAST)
    with pytest.raises(UserError, match="already exists"):
        users.add_user(path, "ann", "admin", "password-2", rounds=FAST)
    users.add_user(path, "ann", "admin", "password-2", replace=True, rounds=FAST)
    assert users.verify(path, "ann", "password-1") is None
    assert users.verify(path, "ann", "password-2") == "admin"


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("ann", "owner", "password-1", "unknown role"),
        ("a b", "admin", "password-1", "invalid user name"),
        ("", "admin", "password-1", "invalid user name"),
        ("ann", "admin", "short", "too short"),
        ("ann", "admin", "x" * 73, "too long"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, name, role, password, message):
    with pytest.raises(UserError, match=message):
        users.add_user(tmp_path / "users.json", name, role, password, rounds=FAST)
    assert not (tmp_path / "users.json").exists()


def test_list_and_unknown_user(tmp_path):
    path = tmp_path / "users.json"
    assert users.list_users(path) == []
    users.add_user(path, "zoe", "marketer", "password-1", rounds=FAST)
    users.add_user(path, "ann", "admin", "password-2", rounds=FAST)
    listed = users.list_users(path)
    assert [(u["name"], u["role"]) for u in listed] == [("ann", "admin"), ("zoe", "marketer")]
    assert all("password_hash" not in u for u in listed)
    with pytest.raises(NotFoundError, match="no user 'bob'"):
        users.role_of(path, "bob")


def test_corrupt_file_is_a_data_error(tmp_path):
    path = tmp_path / "users.json"
    path.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        users.verify(path, "ann", "password-1")


def test_demo_users_created_once_per_workspace(tmp_path):
    path = tmp_path / "ws" / "users.json"
    created = users.ensure_demo_users(path, rounds=FAST)
    assert {name: info["role"] for name, info in created.items()} == {
        "marketer": "marketer",
        "support": "support",
        "admin": "admin",
    }
    for name, info in created.items():
        assert users.verify(path, name, info["password"]) == info["role"]
    # A second start keeps the existing logins and prints nothing.
    assert users.ensure_demo_users(path, rounds=FAST) == {}
    for name, info in created.items():
        assert users.verify(path, name, info["password"]) == info["role"]


def test_cli_add_with_password_stdin_and_list(tmp_path, monkeypatch):
    monkeypatch.setattr(users, "DEFAULT_ROUNDS", FAST)
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    result = runner.invoke(
        app,
        ["users", "add", "carol", "--role", "support", "--password-stdin", "--data-dir", ws],
        input="s3cret-pass\n",
    )
    assert result.exit_code == 0, result.output
    assert "added user carol (support)" in result.output
    assert users.verify(tmp_path / "ws" / "users.json", "carol", "s3cret-pass") == "support"

    result = runner.invoke(app, ["users", "list", "--data-dir", ws])
    assert result.exit_code == 0
    assert "carol" in result.output and "support" in result.output

    bad = runner.invoke(
        app,
        ["users", "add", "dave", "--role", "boss", "--password-stdin", "--data-dir", ws],
        input="s3cret-pass\n",
    )
    assert bad.exit_code == 2
    assert "unknown role 'boss'" in bad.output

    dup = runner.invoke(
        app,
        ["users", "add", "carol", "--role", "admin", "--password-stdin", "--data-dir", ws],
        input="another-pass\n",
    )
    assert dup.exit_code == 2
    assert "already exists" in dup.output


def test_ui_prints_demo_logins_once(tmp_path):
    from assistant.config import Settings
    from ui import login_lines

    settings = Settings(data_dir=tmp_path / "ws")
    created = users.ensure_demo_users(settings.users_path, rounds=FAST)
    first = "\n".join(login_lines(settings, created))
    for name, info in created.items():
        assert f"{name:<9} password {info['password']}" in first
    again = login_lines(settings, users.ensure_demo_users(settings.users_path, rounds=FAST))
    assert again == [
        f"Logins in {settings.users_path}: admin (admin), marketer (marketer), support (support)"
    ]


def test_cli_remove_user(tmp_path):
    ws = tmp_path / "ws"
    users.add_user(ws / "users.json", "carol", "support", "s3cret-pass", rounds=FAST)
    runner = CliRunner()
    result = runner.invoke(app, ["users", "remove", "carol", "--data-dir", str(ws)])
    assert result.exit_code == 0, result.output
    assert "removed user carol (support)" in result.output
    assert users.list_users(ws / "users.json") == []
    again = runner.invoke(app, ["users", "remove", "carol", "--data-dir", str(ws)])
    assert again.exit_code == 2 and "no user 'carol'" in again.output
