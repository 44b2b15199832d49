"""The tools on a Comfy Cloud server (a configured server of kind 'cloud'), the key kept out of results."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from comfyui_skill.testing.fake_cloud import FakeCloud

from .conftest import WORKFLOWS, structured


@pytest.fixture
def fake_cloud() -> Iterator[FakeCloud]:
    with FakeCloud() as cloud:
        yield cloud
        cloud.comfy.wait_idle(15)  # stopping the fake ComfyUI while a prompt runs hangs


@pytest.mark.anyio
async def test_run_workflow_on_a_cloud_server(serve, run_cli, fake_cloud, tmp_path) -> None:
    assert run_cli("server", "add", "cloudy", fake_cloud.url, "--kind", "cloud").exit_code == 0
    workflow = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
    messages: list[str] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with serve("mcp", "serve", env={"COMFY_API_KEY": fake_cloud.api_key}) as session:
        result = await session.call_tool("run_workflow", {"workflow": workflow, "server": "cloudy",
                                                          "output_dir": str(tmp_path / "out")},
                                         progress_callback=progress)
    document = structured(result)
    assert document["ok"], document
    assert document["data"]["server"] == "cloudy" and document["data"]["status"] == "success"
    [output] = document["data"]["outputs"]
    assert open(output["path"], "rb").read(4) == b"\x89PNG"
    everything = json.dumps([item.model_dump() for item in result.content]) + json.dumps(messages)
    assert fake_cloud.api_key not in everything
