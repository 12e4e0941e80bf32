"""One MCP tool call's overhead over the same call in process.

Times the same tool calls (same arguments, same workspace, models already loaded)
three ways, in one run: the guarded Toolbox called directly (what the CLI does), the
MCP server through the SDK's client in the same process (protocol and validation
only), and a real `insight mcp --role admin` subprocess over stdio (plus JSON over a
pipe). Reports the median per call and the ratio to the in-process call, per tool.

Usage: python benchmarks/bench_mcp.py [--scale 0.1 | --data-dir DIR] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]


def _build(path: Path, scale: float) -> None:
    from assistant.pipeline import build_demo, prepare
    from assistant.workspace import Workspace

    build_demo(path, seed=7, scale=scale)
    with Workspace.open(path) as ws:
        prepare(ws, progress=False, report=lambda _m: None)


def calls(data_dir: Path) -> list[tuple[str, dict]]:
    manifest = json.loads((data_dir / "demo_manifest.json").read_text())
    aurora = next(d for d in manifest["defects"] if d["aspect"] == "battery")["product_id"]
    buyer = manifest["browsers"][0]["customer_id"]
    return [
        ("customer_profile", {"customer_id": buyer}),
        ("sales_metrics", {"metric": "revenue", "group_by": "product"}),
        ("search_reviews", {"query": "battery dies fast", "product_id": aurora, "k": 5}),
    ]


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


async def time_client(client, name: str, args: dict, repeat: int) -> list[float]:
    await client.call_tool(name, args)  # warm: models and caches load once
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await client.call_tool(name, args)
        out.append(time.perf_counter() - t0)
        if result.is_error:
            raise SystemExit(f"{name} failed over MCP: {result.content[0].text}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1, help="demo scale when building")
    ap.add_argument("--data-dir", type=Path, default=None, help="an existing demo workspace")
    ap.add_argument("--repeat", type=int, default=30, help="timed calls per tool and way")
    args = ap.parse_args(argv)

    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-mcp-")) / "ws"
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=_build, args=(data_dir, args.scale)
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"building the demo workspace failed (exit {child.exitcode})")
        print(f"built demo workspace (scale {args.scale}) in {time.perf_counter() - t0:.0f} s")

    from mcp import Client, StdioServerParameters

    from assistant.mcp.server import build_server
    from assistant.workspace import Workspace

    todo = calls(data_dir)
    results: dict[str, dict[str, float]] = {}
    with Workspace.open(data_dir, read_only=True) as ws:
        toolbox = ws.toolbox("admin")
        for name, targs in todo:
            toolbox.call(name, **targs).unwrap()
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                toolbox.call(name, **targs).unwrap()
                times.append(time.perf_counter() - t0)
            results[name] = {"toolbox": median_ms(times)}

        async def in_memory() -> None:
            server = build_server(ws.toolbox, lambda ctx: "admin")
            async with Client(server, cache=None) as client:
                for name, targs in todo:
                    times = await time_client(client, name, targs, args.repeat)
                    results[name]["mcp in-process"] = median_ms(times)

        anyio.run(in_memory)

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.cli", "mcp", "--role", "admin", "--data-dir", str(data_dir)],
        env=env,
        cwd=str(ROOT),
    )

    async def over_stdio() -> None:
        async with Client(params, cache=None) as client:
            for name, targs in todo:
                times = await time_client(client, name, targs, args.repeat)
                results[name]["mcp stdio"] = median_ms(times)

    anyio.run(over_stdio)

    print(f"\nmedian ms per call (n={args.repeat} per tool and way, after one warm call):")
    print(f"  {'tool':<18} {'toolbox':>8} {'in-proc':>8} {'stdio':>8}")
    for name, row in results.items():
        print(
            f"  {name:<18} {row['toolbox']:>8.2f} {row['mcp in-process']:>8.2f} "
            f"{row['mcp stdio']:>8.2f}"
        )
    print("\nratios (MCP call / the same call on the Toolbox in process):")
    for name, row in results.items():
        base = row["toolbox"]
        print(
            f"  {name:<18} in-process ratio {row['mcp in-process'] / base:.2f}x, "
            f"stdio ratio {row['mcp stdio'] / base:.2f}x "
            f"(+{row['mcp stdio'] - base:.2f} ms per call over stdio)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
