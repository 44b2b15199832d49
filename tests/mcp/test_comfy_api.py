"""The tools on a Comfy API v2 server (a comfy-api-proxy in front of the fake ComfyUI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..comfy_api.conftest import start_proxy
from .conftest import WORKFLOWS, structured


@pytest.mark.anyio
async def test_run_workflow_on_a_comfy_api_server(serve, run_cli, fake_comfy, tmp_path: Path) -> None:
    proxy = start_proxy(fake_comfy.url, tmp_path)
    try:
        assert run_cli("server", "add", "v2", proxy.url, "--kind", "comfy-api").exit_code == 0
        workflow = json.loads((WORKFLOWS / "W3_colortransfer_progress.json").read_text())
        messages: list[str] = []

        async def progress(value: float, total: float | None, message: str | None) -> None:
            messages.append(message or "")

        async with serve("mcp", "serve") as session:
            result = await session.call_tool("run_workflow", {"workflow": workflow, "server": "v2",
                                                              "output_dir": str(tmp_path / "out")},
                                             progress_callback=progress)
        document = structured(result)
        assert document["ok"], document
        job_id = document["data"]["prompt_id"]
        assert document["data"]["server"] == "v2" and document["data"]["status"] == "success"
        assert proxy.get(f"/jobs/{job_id}")["status"] == "succeeded"  # the id is the server's job id
        assert messages, "progress notifications came from the job's event stream"
    finally:
        proxy.stop()
        fake_comfy.wait_idle(15)
