"""`python ui.py` refuses a busy or bad port in one line, before creating or printing logins."""

from __future__ import annotations

import socket

import pytest

import ui


@pytest.fixture
def workspace_env(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(ws))
    monkeypatch.setenv("INSIGHT_HOST", "127.0.0.1")
    return ws


def test_busy_port_is_one_clear_line_and_no_passwords(workspace_env, monkeypatch, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setenv("INSIGHT_PORT", str(port))
        assert ui.main() == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (is the app already running?); "
        "stop it or set INSIGHT_PORT to a free port"
    ]
    # No demo logins were made: their passwords would have been lost unprinted.
    assert not (workspace_env / "users.json").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INSIGHT_PORT": "70000"}, "error: INSIGHT_PORT must be between 1 and 65535, got 70000"),
        ({"INSIGHT_PORT": "seven"}, "error: setting INSIGHT_PORT: Input should be a valid integer"),
        ({"INSIGHT_HOST": "192.0.2.123"}, "error: 192.0.2.123 is not an address of this machine"),
    ],
)
def test_bad_listen_settings_are_one_line(workspace_env, monkeypatch, capsys, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert ui.main() == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith(message)
    assert not (workspace_env / "users.json").exists()


def test_a_free_port_passes_the_check():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert ui.port_problem("127.0.0.1", port) is None
