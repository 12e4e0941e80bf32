"""The login gate in front of a real Gradio server on a loopback port: cookies,
sessions that end mid-use, lockout answers; and the gate alone for HTTPS."""

from __future__ import annotations

import socket

import anyio
import gradio as gr
import httpx
import pytest

from assistant import users
from assistant.config import Settings
from assistant.webapp.app import LOGIN_NOTE, launch
from assistant.webapp.auth import UserDirectory, role_resolver
from assistant.webapp.login_limits import FailureLimiter
from assistant.webapp.sessions import LoginGate, SessionRegistry

FAST = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A one-button app whose handler answers with the caller's role."""
    path = tmp_path_factory.mktemp("auth") / "users.json"
    users.add_user(path, "ann", "support", "password-1", rounds=FAST)
    users.add_user(path, "zoe", "marketer", "password-2", rounds=FAST)
    directory = UserDirectory(path, limiter=FailureLimiter(per_user=3, per_address=6))
    role_of = role_resolver(directory, "marketer")
    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()

        def who(_text, request: gr.Request):
            return role_of(request)

        gr.Button().click(who, box, out, api_name="who")
    demo.user_directory = directory
    settings = Settings(data_dir=path.parent, port=free_port())
    launch(demo, settings, users_path=path, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}", path
    finally:
        demo.close()


def _who(client: httpx.Client) -> tuple[int, str]:
    started = client.post("/gradio_api/call/who", json={"data": ["x"]})
    if started.status_code != 200:
        return started.status_code, started.text
    done = client.get(f"/gradio_api/call/who/{started.json()['event_id']}")
    return done.status_code, done.text


def _login(url: str, name: str, password: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=url, timeout=30)
    return client, client.post("/login", data={"username": name, "password": password})


def test_login_cookies_last_a_session_and_are_same_site(server):
    url, _ = server
    client, response = _login(url, "zoe", "password-2")
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert f"Max-Age={12 * 3600}" in cookie
    assert _who(client) == (200, 'event: complete\ndata: ["marketer"]\n\n')


def test_a_password_change_logs_the_browser_out(server):
    url, path = server
    client, response = _login(url, "ann", "password-1")
    assert response.status_code == 200
    assert _who(client)[1].endswith('["support"]\n\n')
    users.add_user(path, "ann", "support", "password-1", rounds=FAST, replace=True)
    status, body = _who(client)
    assert status == 401 and "Not authenticated" in body
    # The page itself now asks for a login again.
    assert client.get("/gradio_api/login_check").status_code == 401
    again, response = _login(url, "ann", "password-1")
    assert response.status_code == 200 and _who(again)[1].endswith('["support"]\n\n')


def test_a_locked_out_name_is_told_when_to_retry(server):
    url, _ = server
    for _ in range(3):
        _, response = _login(url, "ghost", "wrong-password")
        assert response.status_code == 400 and "Retry-After" not in response.headers
    _, response = _login(url, "ghost", "wrong-password")
    assert response.status_code == 400
    assert int(response.headers["Retry-After"]) >= 1
    assert "too many failed logins" in response.json()["detail"]


def test_the_login_note_shows_the_command_without_backticks():
    # Gradio renders the note as HTML: plain text, so no backticks or tags show up raw.
    assert "`" not in LOGIN_NOTE
    assert "insight users list" in LOGIN_NOTE


# -- the gate alone: what a TLS-terminating server or proxy sends ------------------------
def _run_gate(scheme: str, attempt_user: str | None):
    """One POST /login through the gate to a stand-in for Gradio's login route."""
    sessions = SessionRegistry(hours=1)
    sent: list[dict] = []

    async def gradio_login(scope, receive, send):
        from assistant.webapp.sessions import current_attempt

        attempt = current_attempt()
        attempt.user, attempt.credential = attempt_user, "cred" if attempt_user else None
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"set-cookie", b"access-token-x=tok; HttpOnly; Path=/; SameSite=none; Secure"),
                    (b"set-cookie", b"access-token-unsecure-x=tok; HttpOnly; Path=/"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"{}"})

    gate = LoginGate(gradio_login, sessions=sessions, valid=lambda token: True)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "scheme": scheme,
        "client": ("203.0.113.5", 5000),
        "headers": [],
    }

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    anyio.run(gate, scope, receive, send)
    cookies = [v.decode() for k, v in sent[0]["headers"] if k == b"set-cookie"]
    return cookies, sessions


def test_over_https_every_login_cookie_is_secure():
    cookies, sessions = _run_gate("https", "ann")
    assert len(cookies) == 2 and all(c.endswith("; Secure") for c in cookies)
    assert sessions.get("tok").user == "ann"


def test_over_http_the_fallback_cookie_stays_usable():
    cookies, _ = _run_gate("http", "ann")
    assert [c.endswith("; Secure") for c in cookies] == [True, False]


def test_no_cookie_for_a_login_the_password_check_did_not_accept():
    cookies, sessions = _run_gate("https", None)
    assert cookies == [] and sessions.get("tok") is None
