"""MCP bearer tokens in the users file: stored hashed, shown once, revocable."""

from __future__ import annotations

import json

import pytest

from assistant.errors import NotFoundError
from assistant.users import add_user, issue_token, revoke_token, user_for_token


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users.json"
    add_user(path, "mara", "marketer", "a-long-password", rounds=4)
    add_user(path, "sam", "support", "a-long-password", rounds=4)
    return path


def test_a_token_maps_to_its_user_and_role_and_is_stored_only_hashed(users):
    mara, sam = issue_token(users, "mara"), issue_token(users, "sam")
    assert user_for_token(users, mara) == {"name": "mara", "role": "marketer"}
    assert user_for_token(users, sam) == {"name": "sam", "role": "support"}
    stored = users.read_text()
    assert mara not in stored and sam not in stored
    assert json.loads(stored)["users"]["mara"]["token_hash"]


def test_wrong_missing_replaced_and_revoked_tokens_map_to_no_one(users):
    first = issue_token(users, "mara")
    for wrong in (None, "", first + "x", first[:-1], "Bearer " + first, "ci_" + "x" * 43):
        assert user_for_token(users, wrong) is None, wrong
    second = issue_token(users, "mara")
    assert user_for_token(users, first) is None
    assert revoke_token(users, "mara") is True
    assert user_for_token(users, second) is None
    assert revoke_token(users, "mara") is False
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        issue_token(users, "nobody")


def test_a_new_password_revokes_the_token(users):
    token = issue_token(users, "sam")
    add_user(users, "sam", "support", "another-long-password", replace=True, rounds=4)
    assert user_for_token(users, token) is None


def test_users_token_command_prints_a_token_once_and_revokes_it(users):
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["users", "token", "mara", "--data-dir", str(users.parent)])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert user_for_token(users, token) == {"name": "mara", "role": "marketer"}
    gone = runner.invoke(
        app, ["users", "token", "mara", "--revoke", "--data-dir", str(users.parent)]
    )
    assert gone.exit_code == 0 and "revoked" in gone.stdout
    assert user_for_token(users, token) is None
