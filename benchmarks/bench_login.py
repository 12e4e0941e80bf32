"""Buyer lookups while 30 clients keep failing to log in.

Starts the real web app (real Assistant over a demo workspace, bcrypt at the
production cost) in a child process, logs a support agent in, and has them look
up buyers one after another through the app's API (the Buyer context panel),
first alone and then while N attacker clients each post wrong passwords as fast
as the server answers. It does this for three server configurations:

  before   the password check called on the event loop, no lockout (as Gradio ran
           the old sync auth callable; unknown names cost a bcrypt check here, as
           in every mode, where the old code answered them at once)
  offloop  the check in a worker thread, no lockout: what the thread alone buys
           when the failures are spread so thinly that no limit trips
  shipped  the check in a worker thread plus the per-name and per-address limits

and reports, per configuration, the lookup p95 alone and under attack and their
ratio, and the login attempts the server answered per second (and how many were
told to retry later: a lockout began or was in force). Half the attackers guess
the agent's password, half spray names that do not exist; all come from
127.0.0.1, so in the shipped configuration the name limit trips after 5 failures
and the address limit after 20.

Usage: python benchmarks/bench_login.py [--scale 0.1 | --data-dir DIR]
       [--attackers 30] [--seconds 15] [--modes before,offloop,shipped]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AGENT, AGENT_PASSWORD = "agent", "agent-password-1"
MODES = ("before", "offloop", "shipped")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# -- the server (child process) -----------------------------------------------------------
def serve(data_dir: Path, users_path: Path, port: int, mode: str) -> None:
    from assistant.agent import Assistant
    from assistant.config import Settings
    from assistant.webapp.app import create_app, launch
    from assistant.webapp.login_limits import FailureLimiter

    settings = Settings(data_dir=data_dir, port=port)
    assistant = Assistant.open(settings=settings)
    demo = create_app(assistant, settings, users_path=users_path)
    directory = demo.user_directory
    if mode in ("before", "offloop"):
        directory.limiter = FailureLimiter(per_user=10**9, per_address=10**9)
    if mode == "before":
        # A plain function: Gradio calls it on the event loop, as it did the old one.
        directory.authenticate = lambda name, password: directory.check_login(name, password)
    launch(demo, settings, users_path=users_path, quiet=True)


def start_server(data_dir: Path, users_path: Path, mode: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", mode, "--data-dir", str(data_dir)]
        + ["--users", str(users_path), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app did not start:\n{proc.stderr.read()[-2000:]}")
        try:
            if httpx.get(url + "/gradio_api/login_check", timeout=2).status_code in (200, 401):
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not answer within 300 s")


# -- the clients ------------------------------------------------------------------------------
def logged_in(url: str):
    """The support agent's client, logged in before any attack (which, from the same
    address, trips the address limit in the shipped configuration)."""
    import httpx

    client = httpx.Client(base_url=url, timeout=120)
    login = client.post("/login", data={"username": AGENT, "password": AGENT_PASSWORD})
    login.raise_for_status()
    return client


def lookups(client, customers: list[str], seconds: float) -> list[float]:
    """Buyer-context lookups one after another for ``seconds``; latencies in seconds."""
    out: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        cid = customers[i % len(customers)]
        i += 1
        t0 = time.perf_counter()
        started = client.post("/gradio_api/call/buyer_context", json={"data": [cid]})
        started.raise_for_status()
        done = client.get(f"/gradio_api/call/buyer_context/{started.json()['event_id']}")
        if "event: complete" not in done.text or cid not in done.text:
            raise SystemExit(f"lookup of {cid} failed: {done.text[:300]}")
        out.append(time.perf_counter() - t0)
    return out


async def _attack(url: str, attackers: int, seconds: float) -> dict:
    import httpx

    counts = {"answered": 0, "locked_out": 0, "errors": 0}
    end = time.perf_counter() + seconds

    async def one(n: int, client: httpx.AsyncClient) -> None:
        while time.perf_counter() < end:
            # Half guess the agent's password, half spray names that do not exist.
            name = AGENT if n % 2 == 0 else f"user{secrets.randbelow(10**6)}"
            try:
                r = await client.post(
                    "/login", data={"username": name, "password": secrets.token_hex(6)}
                )
            except httpx.HTTPError:
                counts["errors"] += 1
                continue
            counts["answered"] += 1
            if "retry-after" in r.headers:
                counts["locked_out"] += 1

    limits = httpx.Limits(max_connections=attackers)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(n, client) for n in range(attackers)))
        counts["seconds"] = time.perf_counter() - started
    return counts


def _attack_process(url: str, attackers: int, seconds: float, out) -> None:
    out.put(asyncio.run(_attack(url, attackers, seconds)))


def measure(url: str, customers: list[str], attackers: int, seconds: float) -> dict:
    client = logged_in(url)
    lookups(client, customers, 2.0)  # warm caches (profiles, recommender)
    alone = lookups(client, customers, seconds)
    # The attackers run in their own process so the lookups here compete with them
    # only inside the server, as they would with real, separate clients.
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    attack = ctx.Process(target=_attack_process, args=(url, attackers, seconds + 2, queue))
    attack.start()
    time.sleep(1.0)  # let the attack ramp up before the first lookup
    under = lookups(client, customers, seconds)
    logins = queue.get(timeout=seconds + 300)
    attack.join()
    client.close()
    return {"alone": alone, "under": under, "logins": logins}


# -- setup --------------------------------------------------------------------------------------
def _build(path: Path, scale: float) -> None:
    from assistant.pipeline import build_demo, prepare
    from assistant.workspace import Workspace

    build_demo(path, seed=7, scale=scale)
    with Workspace.open(path) as ws:
        prepare(ws, progress=False, report=lambda _m: None)


def sample_customers(data_dir: Path, n: int) -> list[str]:
    from assistant.workspace import Workspace

    with Workspace.open(data_dir, read_only=True) as ws:
        rows = ws.cursor().execute(
            "SELECT customer_id FROM customers ORDER BY hash(customer_id) LIMIT ?", [n]
        )
        return [r[0] for r in rows.fetchall()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1, help="demo scale when building")
    ap.add_argument("--data-dir", type=Path, default=None, help="an existing demo workspace")
    ap.add_argument("--attackers", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=15.0, help="per phase")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    ap.add_argument("--users", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve(args.data_dir, args.users, args.port, args.serve)
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"unknown mode(s) {unknown}; choose from {', '.join(MODES)}")

    from assistant.users import DEFAULT_ROUNDS, add_user

    tmp = Path(tempfile.mkdtemp(prefix="bench-login-"))
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = tmp / "ws"
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=_build, args=(data_dir, args.scale)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"building the demo workspace failed (exit {child.exitcode})")
        print(f"built demo workspace (scale {args.scale}) in {time.perf_counter() - t0:.0f} s")
    users_path = tmp / "users.json"
    add_user(users_path, AGENT, "support", AGENT_PASSWORD)
    customers = sample_customers(data_dir, 50)
    print(
        f"{args.attackers} attackers, {args.seconds:g} s per phase, bcrypt cost "
        f"{DEFAULT_ROUNDS}, {os.cpu_count()} cores; lookups one at a time"
    )

    results = {}
    try:
        for mode in modes:
            proc, url = start_server(data_dir, users_path, mode)
            try:
                results[mode] = measure(url, customers, args.attackers, args.seconds)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        # The users file, and the workspace when it was built here.
        shutil.rmtree(tmp, ignore_errors=True)

    print("\nlookup latency (s), alone vs under attack:")
    print(f"  {'mode':<8} {'n':>4} {'p50':>6} {'p95':>6}   {'n':>4} {'p50':>6} {'p95':>6}")
    for mode, r in results.items():
        a, u = r["alone"], r["under"]
        print(
            f"  {mode:<8} {len(a):>4} {pct(a, 0.5):>6.3f} {pct(a, 0.95):>6.3f}   "
            f"{len(u):>4} {pct(u, 0.5):>6.3f} {pct(u, 0.95):>6.3f}"
        )
    print("\nlogin attempts answered during the attack:")
    for mode, r in results.items():
        lg = r["logins"]
        print(
            f"  {mode:<8} {lg['answered']:>6} in {lg['seconds']:.0f} s ({lg['answered'] / lg['seconds']:.1f}/s), "
            f"{lg['locked_out']} told to retry later (locked out), {lg['errors']} errors"
        )
    print("\nratios (lookup p95 under attack / alone; goal: p95 under attack < 0.5 s):")
    for mode, r in results.items():
        a95, u95 = pct(r["alone"], 0.95), pct(r["under"], 0.95)
        verdict = "meets" if u95 < 0.5 else "misses"
        print(f"  {mode:<8} ratio {u95 / a95:.2f}x  (p95 {u95:.3f} s under attack: {verdict} goal)")
    if "before" in results and "shipped" in results:
        before, shipped = (
            pct(results["before"]["under"], 0.95),
            pct(results["shipped"]["under"], 0.95),
        )
        print(f"  shipped vs before, p95 under attack: ratio {shipped / before:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
