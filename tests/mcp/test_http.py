"""'mcp serve --http': streamable HTTP with a bearer token that every request must carry."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator

import pytest

from .conftest import EXECUTABLE

TOKEN = "a-long-random-token-for-the-test"


def served_at(process: subprocess.Popen, seconds: float = 60) -> str:
    """The URL the server says it serves at, once it listens (it exits first: fail with its stderr).
    It picks a free port itself (--http 127.0.0.1:0): no port is chosen here and bound later."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in iter(process.stderr.readline, ""):
            lines.put(line)
        lines.put(None)  # it closed its stderr: it exited
    threading.Thread(target=read, daemon=True).start()
    said = ""
    while True:
        try:  # a safety net: it says so as soon as it listens
            line = lines.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"the server did not say where it serves within {seconds} s: {said}") from None
        if line is None:
            raise AssertionError(f"the server exited: {said}")
        if line.startswith("serving MCP at "):
            return line.removeprefix("serving MCP at ").strip()
        said += line


@pytest.fixture(params=["environment", "stdin"])
def http_server(request, cli_env, fake_comfy, tmp_path) -> Iterator[str]:
    """A server on a free loopback port (it picks it) whose token comes from $COMFYUI_SKILL_MCP_TOKEN or
    --token-stdin."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}
    command = [EXECUTABLE, "--url", fake_comfy.url, "mcp", "serve", "--http", "127.0.0.1:0"]
    stdin = tmp_path / "stdin"
    if request.param == "stdin":
        command.append("--token-stdin")
        stdin.write_text(f"{TOKEN}\n")
    else:
        env["COMFYUI_SKILL_MCP_TOKEN"] = TOKEN
        stdin.write_text("")
    with stdin.open() as given:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdin=given, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
    try:
        url = served_at(process)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp") and not url.endswith(":0/mcp")
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=60)


def test_a_port_in_use_is_a_clear_error(run_cli, refused_port) -> None:
    taken = run_cli("mcp", "serve", "--http", f"127.0.0.1:{refused_port}")
    assert taken.exit_code == 2, taken.stderr
    assert f"cannot listen on 127.0.0.1:{refused_port}" in taken.stderr and "Traceback" not in taken.stderr


@pytest.mark.anyio
async def test_http_clients_need_the_token(http_server) -> None:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient() as plain:
        refused = await plain.post(http_server, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and TOKEN not in refused.text
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        async with streamable_http_client(http_server, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {tool.name for tool in (await session.list_tools()).tools}
                queue = await session.call_tool("queue", {})
    assert "run_workflow" in tools
    assert queue.structured_content["data"] == {"queue_running": [], "queue_pending": []}


def test_the_token_comes_with_http_only(run_cli) -> None:
    stdio = run_cli("mcp", "serve", "--token-stdin", "--json", input=f"{TOKEN}\n")
    assert stdio.exit_code == 2 and stdio.json()["error"]["message"].startswith("--token-stdin goes with --http")
    empty = run_cli("mcp", "serve", "--http", "0.0.0.0:8765", "--token-stdin", "--json", input="\n")
    assert empty.exit_code == 2 and empty.json()["error"]["message"] == "no token given on standard input"


@pytest.mark.parametrize(("listen", "host", "loopback"), [
    ("8765", "127.0.0.1", True), ("localhost:8765", "localhost", True), ("[::1]:8765", "::1", True),
    ("127.0.0.2:8765", "127.0.0.2", True), ("0.0.0.0:8765", "0.0.0.0", False), ("[::]:8765", "::", False),
    ("192.168.1.7:8765", "192.168.1.7", False), ("comfy.example:8765", "comfy.example", False)])
def test_which_binds_need_a_token(run_cli, listen, host, loopback) -> None:
    from comfyui_skill_mcp.serve import is_loopback, parse_listen

    assert parse_listen(listen) == (host, 8765) and is_loopback(host) is loopback
    if not loopback:
        refused = run_cli("mcp", "serve", "--http", listen, "--json")
        assert refused.exit_code == 2
        assert refused.json()["error"]["message"] == (f"refusing to serve MCP on {host}, which is not a loopback "
                                                      "address, without a token")
