"""Login under attack: bcrypt off the event loop, the same work for unknown names,
lockout per user and per address, sessions that end."""

from __future__ import annotations

import inspect
import threading

import anyio
import bcrypt
import pytest

from assistant import users
from assistant.errors import PermissionDenied
from assistant.webapp.auth import UserDirectory, role_resolver, session_tokens
from assistant.webapp.login_limits import FailureLimiter
from assistant.webapp.sessions import LoginAttempt, SessionRegistry

FAST = 4  # bcrypt rounds for tests; the cost factor does not change the logic


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users.json"
    users.add_user(path, "ann", "support", "password-1", rounds=FAST)
    users.add_user(path, "zoe", "marketer", "password-2", rounds=FAST)
    return path


@pytest.fixture
def bcrypt_calls(monkeypatch):
    """Every bcrypt.checkpw call: (cost of the hash, thread it ran in)."""
    calls: list[tuple[int, threading.Thread]] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append((int(hashed.split(b"$")[2]), threading.current_thread()))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


# -- the same work for a known and an unknown name ----------------------------------------
def test_unknown_user_costs_one_bcrypt_check_of_the_same_cost(users_file, bcrypt_calls):
    assert users.verify(users_file, "ann", "wrong-password") is None
    assert users.verify(users_file, "nobody", "wrong-password") is None
    assert [cost for cost, _ in bcrypt_calls] == [FAST, FAST]


def test_dummy_hash_follows_the_cost_of_the_file(tmp_path, bcrypt_calls):
    path = tmp_path / "users.json"
    users.add_user(path, "ann", "support", "password-1", rounds=5)
    users.verify(path, "ann", "password-x")
    users.verify(path, "bob", "password-x")
    assert [cost for cost, _ in bcrypt_calls] == [5, 5]


# -- lockout ----------------------------------------------------------------------------
def test_limiter_backs_off_per_user_and_forgets():
    clock = Clock()
    limiter = FailureLimiter(
        per_user=3, per_address=100, base_delay=2, forget_after=60, clock=clock
    )
    assert [limiter.failed("ann") for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("ann") == 0
    assert limiter.failed("ann") == 2  # the fourth failure: 2 s
    assert limiter.retry_after("ann") == 2
    assert limiter.retry_after("zoe") == 0  # another name is not affected
    clock.now += 2
    assert limiter.failed("ann") == 4  # then 4 s, 8 s, ...
    clock.now += 4
    assert limiter.failed("ann") == 8
    clock.now += 8 + 61  # a quiet spell clears the count
    assert limiter.retry_after("ann") == 0
    assert limiter.failed("ann") == 0


def test_limiter_counts_an_address_across_names_and_success_clears_only_the_name():
    clock = Clock()
    limiter = FailureLimiter(per_user=3, per_address=4, base_delay=1, clock=clock)
    for name in ("a", "b", "c", "d"):
        assert limiter.failed(name, "10.0.0.9") == 0
    assert limiter.failed("e", "10.0.0.9") == 1
    assert limiter.retry_after("f", "10.0.0.9") == 1  # a fresh name from the same address waits
    assert limiter.retry_after("f", "10.0.0.7") == 0  # the same name elsewhere does not
    limiter.failed("ann", "10.0.0.7")
    limiter.failed("ann", "10.0.0.7")
    limiter.succeeded("ann")
    assert limiter.failed("ann", "10.0.0.8") == 0  # the name's count started again


def test_limiter_table_stays_bounded_under_a_spray_of_names():
    limiter = FailureLimiter(max_keys=100, clock=Clock())
    for i in range(1000):
        limiter.failed(f"user{i}")
    assert len(limiter._counts) <= 100


def test_check_login_locks_a_name_out_without_checking_the_password(users_file, bcrypt_calls):
    clock = Clock()
    directory = UserDirectory(
        users_file, limiter=FailureLimiter(per_user=3, per_address=50, clock=clock)
    )
    for _ in range(4):
        assert not directory.check_login("ann", "wrong-password")
    checked = len(bcrypt_calls)
    # Locked: even the right password is refused, and costs no bcrypt check.
    attempt = LoginAttempt(address=None)
    assert not directory.check_login("ann", "password-1", attempt=attempt)
    assert len(bcrypt_calls) == checked
    assert attempt.retry_after > 0
    assert directory.check_login("zoe", "password-2")
    clock.now += attempt.retry_after
    assert directory.check_login("ann", "password-1")


def test_check_login_locks_an_address_out_across_names(users_file, bcrypt_calls):
    directory = UserDirectory(
        users_file, limiter=FailureLimiter(per_user=50, per_address=3, clock=Clock())
    )
    for name in ("u1", "u2", "u3", "u4"):
        assert not directory.check_login(name, "wrong-password", "192.0.2.1")
    checked = len(bcrypt_calls)
    assert not directory.check_login("zoe", "password-2", "192.0.2.1")
    assert len(bcrypt_calls) == checked
    assert directory.check_login("zoe", "password-2", "192.0.2.2")


# -- off the event loop --------------------------------------------------------------
def test_gradio_awaits_the_auth_callable_and_bcrypt_runs_in_a_worker(users_file, bcrypt_calls):
    directory = UserDirectory(users_file)
    # Gradio's /login awaits the callable only when it is a coroutine function;
    # anything else it calls on the event loop.
    assert inspect.iscoroutinefunction(directory.authenticate)
    loop_threads = []

    async def main():
        loop_threads.append(threading.current_thread())
        ok = await directory.authenticate("ann", "password-1")
        bad = await directory.authenticate("ann", "wrong-password")
        return ok, bad

    assert anyio.run(main) == (True, False)
    assert len(bcrypt_calls) == 2
    assert all(thread is not loop_threads[0] for _, thread in bcrypt_calls)


def test_authenticate_records_the_credential_of_the_login(users_file):
    directory = UserDirectory(users_file)
    attempt = LoginAttempt(address="127.0.0.1")

    async def main():
        from assistant.webapp.sessions import _ATTEMPT

        _ATTEMPT.set(attempt)
        return await directory.authenticate("ann", "password-1")

    assert anyio.run(main)
    assert attempt.user == "ann"
    assert attempt.credential == users.credentials(users_file)["ann"][1]


# -- sessions that end --------------------------------------------------------------
class Req:
    def __init__(self, username, token):
        self.username = username
        self.cookies = {"access-token-abc": token, "access-token-unsecure-abc": token, "x": "1"}


def _logged_in(users_file, clock, name="ann", token="tok-1"):
    directory = UserDirectory(users_file, sessions=SessionRegistry(hours=2, clock=clock))
    directory.sessions.start(token, name, users.credentials(users_file)[name][1])
    return directory, role_resolver(directory, "marketer")


def test_session_tokens_come_from_the_login_cookies():
    assert session_tokens(Req("ann", "t")) == ["t"]
    assert session_tokens(object()) == []


def test_a_live_session_gets_its_role(users_file):
    directory, role_of = _logged_in(users_file, Clock())
    assert role_of(Req("ann", "tok-1")) == "support"
    assert directory.session_valid("tok-1")


def test_an_expired_session_gets_no_role(users_file):
    clock = Clock()
    directory, role_of = _logged_in(users_file, clock)
    clock.now += 2 * 3600 - 1
    assert role_of(Req("ann", "tok-1")) == "support"
    clock.now += 2
    with pytest.raises(PermissionDenied, match="expired after 2 hours"):
        role_of(Req("ann", "tok-1"))
    assert not directory.session_valid("tok-1")


def test_a_password_change_ends_the_session(users_file):
    directory, role_of = _logged_in(users_file, Clock())
    users.add_user(users_file, "ann", "support", "password-9", rounds=FAST, replace=True)
    with pytest.raises(PermissionDenied, match="password of 'ann' changed"):
        role_of(Req("ann", "tok-1"))
    # Setting the same password again ends it too: every set gets a fresh salt.
    directory.sessions.start("tok-2", "ann", users.credentials(users_file)["ann"][1])
    users.add_user(users_file, "ann", "support", "password-9", rounds=FAST, replace=True)
    assert not directory.session_valid("tok-2")


def test_a_removed_user_gets_no_role_even_when_added_again(users_file):
    directory, role_of = _logged_in(users_file, Clock())
    users.remove_user(users_file, "ann")
    with pytest.raises(PermissionDenied, match="'ann' was removed"):
        role_of(Req("ann", "tok-1"))
    users.add_user(users_file, "ann", "support", "password-1", rounds=FAST)
    with pytest.raises(PermissionDenied, match="changed"):
        role_of(Req("ann", "tok-1"))


def test_no_or_foreign_session_gets_no_role(users_file):
    directory, role_of = _logged_in(users_file, Clock())
    with pytest.raises(PermissionDenied, match="no session cookie"):
        role_of(type("R", (), {"username": "ann"})())
    with pytest.raises(PermissionDenied, match="another user"):
        role_of(Req("zoe", "tok-1"))
    with pytest.raises(PermissionDenied, match="no such session"):
        role_of(Req("ann", "forged"))
    assert role_resolver(None, "marketer")(Req("ann", "forged")) == "marketer"


def test_an_unreadable_users_file_ends_sessions_instead_of_failing_requests(users_file):
    directory, _ = _logged_in(users_file, Clock())
    assert directory.session_valid("tok-1")
    users_file.write_text("{not json")
    assert not directory.session_valid("tok-1")
