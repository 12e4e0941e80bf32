"""Several people at once: 8 conversations through the Gradio API, all correct, overlapping."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from assistant.config import Settings
from assistant.users import add_user

CONVERSATIONS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def running_app(demo_dir, tmp_path_factory):
    """The real app (real Assistant, local planner) on a loopback port, with a login."""
    from assistant.agent import Assistant
    from assistant.webapp.app import create_app, launch

    users = tmp_path_factory.mktemp("users") / "users.json"
    add_user(users, "sam", "support", "sam-password", rounds=4)
    settings = Settings(data_dir=demo_dir, port=free_port(), ui_concurrency=CONVERSATIONS)
    bot = Assistant.open(demo_dir, settings=settings)
    demo = create_app(bot, settings, users_path=users)
    launch(demo, settings, users_path=users, prevent_thread_lock=True, quiet=True)
    try:
        yield demo, f"http://127.0.0.1:{settings.port}/", bot
    finally:
        demo.close()
        bot.close()


def _customers(demo_ws, n):
    """n customers with 2+ completed orders, and their number of orders of any status
    (the profile's order count), computed in SQL."""
    cur = demo_ws.cursor()
    rows = cur.execute(
        "SELECT customer_id, count(*) FROM orders "
        "GROUP BY customer_id HAVING count(*) FILTER (WHERE status = 'completed') >= 2 "
        "ORDER BY customer_id LIMIT ?",
        [n],
    ).fetchall()
    return dict(rows)


def test_eight_conversations_at_once(running_app, demo_ws):
    from gradio_client import Client

    demo, url, bot = running_app
    expected = _customers(demo_ws, CONVERSATIONS)
    assert len(expected) == CONVERSATIONS
    # The same questions one at a time, straight to the assistant: the reference answers.
    reference = {
        cid: bot.ask(f"Give me the buyer context for customer {cid}", role="support").text
        for cid in expected
    }
    clients = {cid: Client(url, auth=("sam", "sam-password"), verbose=False) for cid in expected}
    spans: dict[str, tuple[float, float]] = {}
    results: dict[str, tuple] = {}
    barrier = threading.Barrier(CONVERSATIONS)

    def converse(cid: str) -> None:
        barrier.wait()
        start = time.perf_counter()
        job = clients[cid].submit(
            f"Give me the buyer context for customer {cid}", [], api_name="/ask"
        )
        results[cid] = job.result(timeout=300)
        spans[cid] = (start, time.perf_counter())

    threads = [threading.Thread(target=converse, args=(cid,)) for cid in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=320)
    assert set(results) == set(expected), "some conversations did not complete"

    for cid, kept in expected.items():
        _, history, evidence, notice = results[cid]  # the thread State is not in the API
        answer = history[-1]["content"]
        text = answer if isinstance(answer, str) else " ".join(b.get("text", "") for b in answer)
        tools = [(m.get("metadata") or {}).get("title") for m in history]
        assert "Tool call: customer_profile" in tools, (cid, tools)
        assert cid in text, (cid, text)
        assert text == reference[cid]  # concurrency changed nothing in the answer
        # The answer states the customer's orders, as counted in SQL.
        assert re.search(rf"(?<![\d,.]){kept} orders\b", text), (cid, kept, text)
        assert f'data-id="{cid}"' in evidence
        for other in expected:
            if other != cid:
                assert f'data-id="{other}"' not in evidence  # no cross-talk between sessions
        assert notice.startswith("Answered by **local**")

    # Overlap: the server saw several turns in flight at once, and on the client side
    # every conversation started before the first one finished.
    assert demo.turn_meter.peak >= 2, demo.turn_meter.peak
    first_end = min(end for _, end in spans.values())
    started_before = sum(1 for start, _ in spans.values() if start < first_end)
    assert started_before == CONVERSATIONS
    wall = max(e for _, e in spans.values()) - min(s for s, _ in spans.values())
    serial = sum(e - s for s, e in spans.values())
    print(
        f"\n{CONVERSATIONS} conversations: peak {demo.turn_meter.peak} turns in flight, "
        f"wall {wall:.1f} s vs {serial:.1f} s summed ({serial / wall:.1f}x overlap)"
    )


def test_login_is_required(running_app):
    from gradio_client import Client

    _, url, _ = running_app
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain error type
        Client(url, auth=("sam", "wrong-password"), verbose=False)
