"""The MCP tools launch_comfyui, comfyui_status and stop_comfyui, called over stdio with the
official client: the same logic as the commands, limited to what the user set up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner
from tests.mcp.conftest import anyio_backend, serve, structured  # noqa: F401 - fixtures

from .conftest import runs

pytestmark = [pytest.mark.anyio,
              pytest.mark.skipif(sys.platform == "win32", reason="the stand-in's checks use POSIX signals")]


def data_of(result) -> object:
    document = structured(result)
    assert not result.is_error and document["ok"], document
    return document["data"]


async def test_an_agent_starts_checks_and_stops_the_local_comfyui(serve, local: CliRunner, checkout: Path,  # noqa: F811
                                                                  python: str, port: int) -> None:
    # the user set it up once (its Python, which an agent cannot choose)
    assert local("local", "launch", str(checkout), "--python", python, "--port", str(port)).exit_code == 0
    assert local("local", "stop").exit_code == 0
    async with serve("mcp", "serve") as session:
        launched = data_of(await session.call_tool("launch_comfyui", {"cpu": True}))
        assert launched["running"] and launched["port"] == port and launched["cpu"] and runs(launched)
        [state] = data_of(await session.call_tool("comfyui_status", {"name": "local"}))
        assert state["running"] and state["answers"] and state["version"] == "0.33.0"
        stopped = data_of(await session.call_tool("stop_comfyui", {}))
        assert stopped["outcome"] == "stopped" and not runs(launched)
        [state] = data_of(await session.call_tool("comfyui_status", {}))
        assert not state["running"]


async def test_an_agent_cannot_launch_from_outside_the_roots(serve, local: CliRunner, python: str) -> None:  # noqa: F811
    async with serve("mcp", "serve") as session:
        result = await session.call_tool("launch_comfyui", {"name": "other", "path": str(Path(python).parent)})
        assert result.is_error
        error = structured(result)["error"]
        assert error["code"] == "usage" and "outside the allowed folders" in error["message"]
        unknown = await session.call_tool("stop_comfyui", {"name": "nothing"})
        assert unknown.is_error and structured(unknown)["error"]["code"] == "not_found"
