"""The tools on a server of a kind a third-party plugin adds (a gateway with its own routes and token)."""

from __future__ import annotations

import json

import pytest

from tests.run.helpers import sent

from .conftest import WORKFLOWS, structured

TOKEN = "gateway-token-0123456789-secret"

GATEWAY_PLUGIN = '''
from comfyui_skill import Backend, ServerKind, Setting, hookimpl


class GatewayBackend(Backend):
    """ComfyUI's routes under /api, and a token header on every request."""

    route_prefix = "/api"

    def credentials(self):
        headers = super().credentials()
        headers["X-Gateway-Token"] = str(self.server.get("gateway_token"))
        return headers


@hookimpl
def comfyui_skill_server_kinds():
    return [ServerKind("gateway", "ComfyUI behind a token gateway", factory="gateway_kind:GatewayBackend")]


@hookimpl
def comfyui_skill_settings():
    return [Setting("gateway_token", str, help="the gateway's token", secret=True, scope="server")]
'''


@pytest.mark.anyio
async def test_the_tools_work_on_a_third_party_server_kind(serve, cli_env, fake_comfy, tmp_path) -> None:
    (tmp_path / "gateway_kind.py").write_text(GATEWAY_PLUGIN)
    config = tmp_path / "comfyui-skill-home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[servers.gw]\nurl = "{fake_comfy.url}"\nkind = "gateway"\ngateway_token = "{TOKEN}"\n')
    config.chmod(0o600)
    assert cli_env["COMFYUI_SKILL_CONFIG"] == str(config)
    workflow = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
    async with serve("-p", "gateway_kind", "mcp", "serve", env={"PYTHONPATH": str(tmp_path)}) as session:
        [listed] = structured(await session.call_tool("list_servers", {}))["data"]
        [status] = structured(await session.call_tool("server_status", {"servers": ["gw"]}))["data"]
        result = await session.call_tool("run_workflow", {"workflow": workflow, "server": "gw",
                                                          "output_dir": str(tmp_path / "out")})
        queue = structured(await session.call_tool("queue", {"server": "gw"}))
    document = structured(result)
    assert document["ok"], document
    assert (listed["name"], listed["kind"]) == ("gw", "gateway") and status["reachable"]
    assert document["data"]["server"] == "gw" and document["data"]["status"] == "success"
    assert queue["ok"]
    [posted] = [r for r in fake_comfy.requests if r.method == "POST" and r.path == "/api/prompt"]
    assert {k.lower(): v for k, v in posted.headers.items()}["x-gateway-token"] == TOKEN
    assert sent(fake_comfy, "POST", "/prompt") == []  # every route went through the kind's prefix
    everything = json.dumps([item.model_dump() for item in result.content]) + json.dumps(listed) + json.dumps(status)
    assert TOKEN not in everything
