"""Driving 'comfyui-skill mcp serve' over stdio with the official MCP client, against the fake ComfyUI."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
EXECUTABLE = str(Path(sys.executable).with_name("comfyui-skill"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def serve(cli_env: dict[str, str], fake_comfy: Any, tmp_path: Path):
    """``async with serve(*options) as session``: a server process over stdio, aimed at the fake, run in
    ``tmp_path`` (the default root), its stderr kept in ``tmp_path / 'server.log'``."""
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    @contextlib.asynccontextmanager
    async def start(*options: str, env: dict[str, str] | None = None) -> AsyncIterator[Any]:
        environ = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env,
                   **(env or {})}
        params = StdioServerParameters(command=EXECUTABLE, args=["--url", fake_comfy.url, *options], env=environ, cwd=str(tmp_path))
        with (tmp_path / "server.log").open("a") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    yield session

    return start


def structured(result: Any) -> dict[str, Any]:
    """A tool result's structured content: the document '--json' prints."""
    assert result.structured_content is not None, result
    return result.structured_content
