"""The MCP server: the tool specs over the SDK's own client, in process and against a
real `insight mcp` over stdio and over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")

import httpx2  # noqa: E402  (the SDK's HTTP client)
from mcp import Client, StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from assistant.guard import delimit_customer_text  # noqa: E402
from assistant.mcp.server import build_server  # noqa: E402
from tools.registry import ROLE_TOOLS, SPEC_BY_NAME, TOOL_NAMES  # noqa: E402
from tools.safety import EMAIL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONTACT_KEYS = {"email", "phone", "name", "city"}


def _manifest(path: Path) -> dict:
    return json.loads((path / "demo_manifest.json").read_text())


def _calls(manifest: dict) -> list[tuple[str, dict]]:
    """One call per tool on the demo shop, with model-facing arguments only."""
    aurora = next(d for d in manifest["defects"] if d["aspect"] == "battery")["product_id"]
    buyer = manifest["browsers"][0]["customer_id"]
    return [
        ("search_reviews", {"query": "battery", "product_id": aurora, "k": 3}),
        ("product_insights", {"product_id": aurora}),
        ("review_sentiment", {"texts": ["great screen but the battery is awful"]}),
        ("customer_profile", {"customer_id": buyer}),
        ("find_customers", {"segment": "At risk", "k": 3}),
        ("segment_overview", {}),
        ("recommend_for_customer", {"customer_id": buyer, "k": 3}),
        ("similar_products", {"product_id": aurora, "k": 3}),
        ("bought_together", {"product_id": aurora, "k": 3}),
        ("sales_metrics", {"metric": "revenue", "group_by": "product"}),
        ("find_product", {"text": "aurora headphones", "k": 3}),
        ("tickets", {"customer_id": buyer, "status": "any"}),
        ("contact_details", {"customer_id": buyer}),
        ("offer_for_customer", {"customer_id": buyer}),
        ("analyze", {"metric": "revenue", "by": ["product"], "limit": 3}),
        ("compare_products", {"product_ids": [aurora, "P0059"]}),
        ("campaign_brief", {"category": "Kitchen", "segment": "Loyal", "k": 2}),
        ("digest", {"since": "2026-03-01", "until": "2026-03-31"}),
    ]


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _in_process(ws, role: str | None, ready: Future | None = None) -> Client:
    return Client(build_server(ws.toolbox, lambda ctx: role, ready=ready), cache=None)


def _run(coro_fn):
    return anyio.run(coro_fn)


# -- in process ---------------------------------------------------------------------
def test_tool_list_per_role_comes_from_the_specs_and_is_read_only(empty_ws):
    async def main():
        seen = {}
        for role in ROLE_TOOLS:
            async with _in_process(empty_ws, role) as client:
                seen[role] = (await client.list_tools()).tools
        async with _in_process(empty_ws, None) as client:
            seen[None] = (await client.list_tools()).tools
        return seen

    seen = _run(main)
    for role, allowed in ROLE_TOOLS.items():
        tools = seen[role]
        assert {t.name for t in tools} == set(allowed), role
        for tool in tools:
            spec = SPEC_BY_NAME[tool.name]
            assert tool.input_schema == spec.args.model_json_schema()
            assert tool.description == spec.description
            assert tool.annotations.read_only_hint is True
            assert tool.annotations.open_world_hint is False
    assert "find_customers" not in {t.name for t in seen["support"]}
    assert seen[None] == []


def test_handshake_and_tool_list_do_not_wait_for_the_models(empty_ws):
    never = Future()  # models that never finish loading

    async def main():
        with anyio.fail_after(20):
            async with _in_process(empty_ws, "admin", ready=never) as client:
                return (await client.list_tools()).tools

    assert len(_run(main)) == len(TOOL_NAMES)


def test_every_tool_matches_the_guarded_toolbox_on_the_demo_shop(demo_ws):
    calls = _calls(_manifest(demo_ws.path))
    assert {name for name, _ in calls} == set(TOOL_NAMES)

    async def main():
        async with _in_process(demo_ws, "admin") as client:
            return [await client.call_tool(name, args) for name, args in calls]

    results = _run(main)
    admin = demo_ws.toolbox("admin")
    for (name, args), result in zip(calls, results, strict=True):
        expected = delimit_customer_text(admin.call(name, **args).unwrap())
        assert result.is_error is False, (name, result.content)
        assert result.structured_content == expected, name
        assert json.loads(result.content[0].text) == expected, name


def test_product_errors_and_forbidden_tools_are_mcp_tool_errors(demo_ws):
    async def main():
        async with _in_process(demo_ws, "support") as client:
            forbidden = await client.call_tool("segment_overview", {})
            missing = await client.call_tool("customer_profile", {"customer_id": "NOPE-1"})
            bad = await client.call_tool("similar_products", {"product_id": 3})
        async with _in_process(demo_ws, None) as client:
            anonymous = await client.call_tool("segment_overview", {})
        return forbidden, missing, bad, anonymous

    forbidden, missing, bad, anonymous = _run(main)
    assert (
        forbidden.is_error
        and "support role may not use segment_overview" in forbidden.content[0].text
    )
    assert "hint: allowed roles" in forbidden.content[0].text
    assert missing.is_error and missing.structured_content["error"] == "NotFoundError"
    assert "NOPE-1" in missing.content[0].text
    assert bad.is_error and bad.structured_content["fields"] == ["product_id"]
    assert anonymous.is_error and "no tools" in anonymous.content[0].text


def test_marketer_never_sees_contact_details_support_does(demo_ws):
    manifest = _manifest(demo_ws.path)
    customer = manifest["browsers"][0]["customer_id"]

    async def profile(role):
        async with _in_process(demo_ws, role) as client:
            return await client.call_tool("customer_profile", {"customer_id": customer})

    marketer, support = _run(lambda: profile("marketer")), _run(lambda: profile("support"))
    assert not marketer.is_error and not support.is_error
    assert not (_keys(marketer.structured_content) & CONTACT_KEYS)
    assert not EMAIL.search(marketer.content[0].text)
    # The same call as support does carry them, so the absence above is the guard's.
    assert "email" in _keys(support.structured_content)


def test_hostile_review_comes_back_flagged_and_delimited(demo_ws):
    hostile = _manifest(demo_ws.path)["hostile_review_ids"][0]
    product, text = (
        demo_ws.cursor()
        .execute("SELECT product_id, text FROM reviews WHERE review_id = ?", [hostile])
        .fetchone()
    )

    async def main():
        async with _in_process(demo_ws, "marketer") as client:
            return await client.call_tool(
                "search_reviews", {"query": text[:200], "product_id": product, "k": 20}
            )

    result = _run(main)
    rows = [r for r in result.structured_content["results"] if r["review_id"] == hostile]
    assert rows, "the hostile review was not found"
    assert rows[0]["injection_flags"]
    assert rows[0]["snippet"].startswith("<data>") and rows[0]["snippet"].endswith("</data>")
    assert any(f.startswith(f"{hostile}:") for f in result.structured_content["flags"])
    assert '"snippet": "<data>' in result.content[0].text


# -- a real `insight mcp` -------------------------------------------------------------
def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _cli(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.slow
def test_stdio_subprocess_lists_the_roles_tools_and_matches_the_cli_json(demo_dir):
    aurora = next(d for d in _manifest(demo_dir)["defects"] if d["aspect"] == "battery")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.cli", "mcp", "--role", "support", "--data-dir", str(demo_dir)],
        env=_env(),
        cwd=str(ROOT),
    )

    async def main():
        with anyio.fail_after(600):
            async with Client(params, cache=None) as client:
                tools = (await client.list_tools()).tools
                found = await client.call_tool(
                    "search_reviews", {"query": "battery", "product_id": aurora["product_id"]}
                )
                return tools, found

    tools, found = _run(main)
    assert {t.name for t in tools} == set(ROLE_TOOLS["support"])
    cli = json.loads(
        _cli(
            "search",
            "battery",
            "--product",
            aurora["product_id"],
            "--json",
            "--data-dir",
            str(demo_dir),
        )
    )
    assert found.structured_content == delimit_customer_text(cli)


def _leaves(exc: BaseException) -> str:
    """Every exception inside an exception group (and their causes), as text."""
    if isinstance(exc, BaseExceptionGroup):
        return " | ".join(_leaves(e) for e in exc.exceptions)
    cause = exc.__cause__ or exc.__context__
    return repr(exc) + (" <- " + _leaves(cause) if cause is not None else "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"insight mcp exited: {proc.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("insight mcp did not listen in time")


def _http_client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=300)
    return Client(streamable_http_client(url, http_client=http), cache=None)


@pytest.mark.slow
def test_http_subprocess_maps_each_token_to_its_users_role(workspace_copy):
    from assistant.users import add_user, issue_token

    users = workspace_copy / "users.json"
    for name, role in (("mara", "marketer"), ("sam", "support")):
        add_user(users, name, role, "a-long-password", rounds=4)
    tokens = {name: issue_token(users, name) for name in ("mara", "sam")}
    assert _cli("users", "list", "--data-dir", str(workspace_copy)).count("mara") == 1
    customer = _manifest(workspace_copy)["browsers"][0]["customer_id"]
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "mcp", "--transport", "http",
         "--port", str(port), "--data-dir", str(workspace_copy)],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        _wait_for_port(port, proc)

        async def as_user(token):
            async with _http_client(url, token) as client:
                tools = (await client.list_tools()).tools
                profile = await client.call_tool("customer_profile", {"customer_id": customer})
                return tools, profile

        def status(token) -> int:
            headers = {"Accept": "application/json, text/event-stream"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
            return httpx2.post(url, json=body, headers=headers, timeout=60).status_code

        m_tools, m_profile = _run(lambda: as_user(tokens["mara"]))
        s_tools, s_profile = _run(lambda: as_user(tokens["sam"]))
        assert {t.name for t in m_tools} == set(ROLE_TOOLS["marketer"])
        assert {t.name for t in s_tools} == set(ROLE_TOOLS["support"])
        assert not (_keys(m_profile.structured_content) & CONTACT_KEYS)
        assert not EMAIL.search(m_profile.content[0].text)
        assert "email" in _keys(s_profile.structured_content)
        assert status(None) == 401
        assert status("ci_" + "x" * 43) == 401
        assert status(tokens["mara"] + "x") == 401
        assert status(tokens["mara"]) != 401  # the gate, not the request, refused them
        with pytest.raises(BaseException) as caught:
            _run(lambda: as_user(None))
        # The SDK's client reports the 401 as an error response: no session, no tool list.
        assert re.search(r"401|[Uu]nauthori|error response", _leaves(caught.value))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # stdout carried nothing (HTTP) and the server said where it listened on stderr.
    assert proc.stdout.read() == ""
    assert re.search(r"127\.0\.0\.1:\d+/mcp", proc.stderr.read())
