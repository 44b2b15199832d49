"""How fast ``comfyui-skill mcp serve`` answers, next to a minimal server and to the CLI.

1. Start-up: the wall time from starting ``comfyui-skill mcp serve`` (stdio) to its answer to
   ``tools/list`` (after ``initialize``), next to the same for a minimal server on the same SDK
   (its low-level ``Server``) that lists one tool. Target: at most 1.3x.
2. A W1 ``run_workflow`` call on a running server, next to the CLI's own ``run`` of W1 (a new
   process each time). Target: faster, since no process starts.

Both against the fake ComfyUI, with bytecode caching on, after one warm-up round that is not
counted; the rounds interleave the two sides. Prints figures; asserts nothing.
Usage: ``.venv/bin/python benchmarks/mcp_server.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from comfyui_skill import plural
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from measure import child

ROOT = Path(__file__).resolve().parent.parent
W1 = ROOT / "tests" / "fixtures" / "workflows" / "W1_empty_image_save.json"
CLI = str(Path(sys.executable).with_name("comfyui-skill"))

MINIMAL_SERVER = r"""
import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

async def list_tools(request, params):
    return types.ListToolsResult(tools=[types.Tool(name="ping", description="answers pong",
                                                   input_schema={"type": "object"})])

async def call_tool(request, params):
    return types.CallToolResult(content=[types.TextContent(type="text", text="pong")])

async def main():
    server = Server("minimal", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())

anyio.run(main)
"""

HANDSHAKE = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "benchmark", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def environment(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(COMFYUI_SKILL_CONFIG=f"{home}/config.toml", COMFYUI_SKILL_DATA_DIR=f"{home}/data",
               COMFYUI_SKILL_CACHE_DIR=f"{home}/cache", COMFYUI_SKILL_OUTPUT_DIR=f"{home}/out")
    return env


def until_tools_listed(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, int]:
    """Start a stdio server, send initialize and tools/list; (seconds to the tools/list answer, tools)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, env=env, cwd=cwd)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(message) + "\n" for message in HANDSHAKE))
    process.stdin.flush()
    try:
        for line in process.stdout:
            answer = json.loads(line)
            if answer.get("id") == 2:
                return time.perf_counter() - started, len(answer["result"]["tools"])
        raise RuntimeError("the server ended without answering tools/list")
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def startup(runs: int, env: dict[str, str], cwd: str, url: str) -> None:
    ours = [CLI, "--url", url, "mcp", "serve"]
    minimal = [sys.executable, "-c", MINIMAL_SERVER]
    times: dict[str, list[float]] = {"comfyui-skill mcp serve": [], "minimal SDK server": []}
    listed: dict[str, int] = {}
    for round_ in range(runs + 1):
        for name, command in (("comfyui-skill mcp serve", ours), ("minimal SDK server", minimal)):
            seconds, listed[name] = until_tools_listed(command, env, cwd)
            if round_:
                times[name].append(seconds)
    print(f"1. start to the tools/list answer (median of {runs})")
    for name, values in times.items():
        print(f"   {name:<26} {statistics.median(values) * 1000:7.1f} ms  ({plural(listed[name], 'tool')})")
    ratio = statistics.median(times["comfyui-skill mcp serve"]) / statistics.median(times["minimal SDK server"])
    print(f"   ratio {ratio:.2f}x (target <= 1.3x)")


async def tool_calls(runs: int, env: dict[str, str], cwd: str, url: str, outdir: str) -> list[float]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=CLI, args=["--url", url, "mcp", "serve"], env=env, cwd=cwd)
    workflow = json.loads(W1.read_text())
    times = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for round_ in range(runs + 1):
            started = time.perf_counter()
            result = await session.call_tool("run_workflow", {"workflow": workflow, "output_dir": outdir})
            if result.is_error:
                raise RuntimeError(result.content[0].text)
            if round_:
                times.append(time.perf_counter() - started)
    return times


def run_w1(runs: int, env: dict[str, str], cwd: str, url: str, outdir: str) -> None:
    cli_times = []
    for round_ in range(runs + 1):
        wall, _cpu, _out = child([CLI, "--url", url, "run", str(W1), "-o", outdir], env, cwd)
        if round_:
            cli_times.append(wall)
    tool_times = asyncio.run(tool_calls(runs, env, cwd, url, outdir))
    print(f"2. W1 end to end (median of {runs})")
    print(f"   {'run_workflow tool call':<26} {statistics.median(tool_times) * 1000:7.1f} ms")
    print(f"   {'comfyui-skill run':<26} {statistics.median(cli_times) * 1000:7.1f} ms")
    print(f"   ratio {statistics.median(tool_times) / statistics.median(cli_times):.2f}x (target < 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home, FakeComfyUI() as fake:
        env = environment(home)
        startup(runs, env, home, fake.url)
        run_w1(runs, env, home, fake.url, f"{home}/out")


if __name__ == "__main__":
    main()
