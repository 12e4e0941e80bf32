"""Closing a workspace while another thread still queries it (an app shutting down
with a request in flight) interrupts that query instead of failing."""

import threading
import time

import duckdb

from assistant.workspace import Workspace


def test_close_interrupts_a_query_still_running(tmp_path):
    (tmp_path / "ws").mkdir()
    duckdb.connect(str(tmp_path / "ws" / "store.duckdb")).close()
    ws = Workspace.open(tmp_path / "ws", read_only=True)  # as the app and the CLI read
    conn = ws.connect()
    outcome: dict = {}

    def long_query():
        try:
            conn.execute("SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3").fetchall()
            outcome["finished"] = True
        except duckdb.Error as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=long_query)
    worker.start()
    time.sleep(0.5)
    ws.close()  # before: ResourceInUseException, connection is busy
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert "error" in outcome
