"""Shared fixtures. The demo workspace is built once per session and shared read-only;
tests that change data work on a copy. No test reaches the network: sockets to
anything but loopback fail loudly.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Dummy credentials: a test that would reach a real provider fails instead of spending.
os.environ["OPENAI_API_KEY"] = "test-key-not-real"
os.environ.pop("OPENAI_BASE_URL", None)
for _name in [k for k in os.environ if k.startswith("INSIGHT_")]:
    os.environ.pop(_name)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO_SEED = 7

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skips the test when that data is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A demo workspace (data, sentiment, index, models) built once per session. Read-only."""
    from assistant.pipeline import build_demo, prepare
    from assistant.workspace import Workspace

    path = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(path, seed=DEMO_SEED)
    with Workspace.open(path) as ws:
        prepare(ws, progress=False, report=lambda _msg: None)
    return path


@pytest.fixture(scope="session")
def demo_ws(demo_dir):
    """The shared demo workspace opened read-only."""
    from assistant.workspace import Workspace

    ws = Workspace.open(demo_dir, read_only=True)
    yield ws
    ws.close()


@pytest.fixture
def workspace_copy(demo_dir, tmp_path) -> Path:
    """A private copy of the demo workspace for tests that write."""
    dest = tmp_path / "ws"
    shutil.copytree(demo_dir, dest, ignore=shutil.ignore_patterns(".writer.lock"))
    return dest


@pytest.fixture
def empty_ws(tmp_path):
    from assistant.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws", create=True)
    yield ws
    ws.close()
