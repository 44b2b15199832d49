"""Paid (partner) nodes through the tools: refused unless 'mcp serve --allow-paid-nodes', as with 'run'."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.testing.fake_comfyui.server import recorded_catalog
from tests.run.helpers import sent

from .conftest import WORKFLOWS, structured

KEY = "comfyui-key-0123456789abcdef-paid"
W1 = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())


@pytest.fixture
def paid_comfy() -> Iterator[FakeComfyUI]:
    """A fake whose EmptyImage is flagged as an API node, so W1 is a paid workflow that runs."""
    catalog = recorded_catalog()
    with FakeComfyUI({**catalog, "EmptyImage": {**catalog["EmptyImage"], "api_node": True}}) as server:
        yield server
        server.wait_idle(15)


@pytest.mark.anyio
@pytest.mark.parametrize("allowed", [False, True])
async def test_paid_nodes_need_the_servers_allowance(serve, paid_comfy, tmp_path, allowed) -> None:
    options = ("mcp", "serve", *(["--allow-paid-nodes"] if allowed else []))
    async with serve(*options, env={"COMFY_API_KEY": KEY}) as session:
        result = await session.call_tool("run_workflow", {"workflow": W1, "server": paid_comfy.url,
                                                          "output_dir": str(tmp_path / "out")})
    document = structured(result)
    posts = [r.json for r in sent(paid_comfy, "POST", "/prompt")]
    if allowed:
        assert document["ok"], document
        [posted] = posts
        assert posted["extra_data"]["api_key_comfy_org"] == KEY
    else:
        assert result.is_error and document["error"]["code"] == "payment_required"
        assert posts == []
    assert KEY not in json.dumps([item.model_dump() for item in result.content])
