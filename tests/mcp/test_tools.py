"""Every built-in tool, called over stdio against the fake: the same data as the command's --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.run.helpers import sent, write_png

from .conftest import WORKFLOWS, structured

pytestmark = pytest.mark.anyio

SERVE = ("mcp", "serve")
W1 = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())


def data_of(result):
    document = structured(result)
    assert not result.is_error and document["ok"], document
    return document["data"]


async def test_servers_queue_nodes_models_and_templates(serve, fake_comfy, run_cli) -> None:
    async with serve(*SERVE) as session:
        [status] = data_of(await session.call_tool("server_status", {}))
        assert status["reachable"] and status["url"] == fake_comfy.url
        assert data_of(await session.call_tool("list_servers", {})) == run_cli("server", "list", "--json").json()["data"]
        assert data_of(await session.call_tool("queue", {})) == {"queue_running": [], "queue_pending": []}
        found = data_of(await session.call_tool("search_nodes", {"query": "invert image", "limit": 3}))
        assert found == run_cli("nodes", "search", "invert image", "--limit", "3", "--json",
                                server=fake_comfy).json()["data"]
        info = data_of(await session.call_tool("node_info", {"class_type": "EmptyImage"}))
        assert info["name"] == "EmptyImage" and {i["name"] for i in info["inputs"]} >= {"width", "height"}
        fake_comfy.models = {"checkpoints": ["a.safetensors", "b.safetensors"], "loras": []}
        assert data_of(await session.call_tool("list_models", {"folder": "checkpoints"})) == {
            "folder": "checkpoints", "files": ["a.safetensors", "b.safetensors"]}
        templates = data_of(await session.call_tool("list_templates", {"search": "minimax video"}))
        assert [t["name"] for t in templates] == ["video_minimax_h3_i2v", "video_minimax_h3_r2v",
                                                 "video_minimax_h3_t2v"]
        fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(W1),
                                      "application/json")
        got = data_of(await session.call_tool("get_template", {"name": "image_z_image_turbo"}))
        assert got == {"file": None, "workflow": W1}
        freed = data_of(await session.call_tool("free", {"models": True}))
        assert freed == {"unload_models": True, "free_memory": False}


async def test_stored_workflow_parameters_run_submit_wait_status_history(serve, fake_comfy, tmp_path) -> None:
    out = tmp_path / "out"
    async with serve(*SERVE) as session:
        imported = data_of(await session.call_tool("import_workflow", {"document": W1, "name": "w1"}))
        assert imported["imported"][0]["name"] == "w1"
        parameters = data_of(await session.call_tool("workflow_parameters", {"workflow": "w1"}))["parameters"]
        assert {"width", "height"} <= {p["name"] for p in parameters}
        deps = data_of(await session.call_tool("check_dependencies", {"workflow": "w1"}))
        assert deps["ok"] and deps["missing_nodes"] == []

        run = data_of(await session.call_tool("run_workflow", {"workflow": "w1", "parameters": {"width": 16},
                                                               "output_dir": str(out)}))
        [prompt] = [r.json["prompt"] for r in sent(fake_comfy, "POST", "/prompt")]
        assert prompt["1"]["inputs"]["width"] == 16 and run["workflow"] == "w1"

        submitted = data_of(await session.call_tool("submit_workflow", {"workflow": W1}))
        prompt_id = submitted["prompt_id"]
        waited = data_of(await session.call_tool("wait_for", {"prompt_ids": [prompt_id], "output_dir": str(out)}))
        assert waited["status"] == "success" and waited["outputs"][0]["path"].startswith(str(out))
        status = data_of(await session.call_tool("get_status", {"prompt_ids": [prompt_id[:8]]}))
        assert (status["prompt_id"], status["status"]) == (prompt_id, "success")
        runs = data_of(await session.call_tool("history", {"limit": 5}))
        assert [r["prompt_id"] for r in runs][:2] == [prompt_id, run["prompt_id"]]
        assert data_of(await session.call_tool("history", {"prompt_id": prompt_id}))["status"] == "success"


async def test_upload_image_and_cancel(serve, fake_comfy, tmp_path) -> None:
    image = write_png(tmp_path / "red.png", (255, 0, 0))
    async with serve(*SERVE) as session:
        [uploaded] = data_of(await session.call_tool("upload_image", {"path": str(image), "subfolder": "mcp"}))
        assert uploaded["reference"] == "mcp/red.png"
        assert (fake_comfy.input_dir / "mcp" / "red.png").read_bytes() == image.read_bytes()

        fake_comfy.faults.hold_execution = True
        prompt_id = data_of(await session.call_tool("submit_workflow", {"workflow": W1}))["prompt_id"]
        [result] = data_of(await session.call_tool("cancel", {"prompt_ids": [prompt_id]}))
        assert result["prompt_id"] == prompt_id and result["result"] in ("interrupted", "removed")
        fake_comfy.faults.hold_execution = False
        ended = await session.call_tool("wait_for", {"prompt_ids": [prompt_id], "download": False})
        assert ended.is_error and structured(ended)["error"]["code"] == "cancelled"
        nothing = await session.call_tool("cancel", {"prompt_ids": [prompt_id]})
        assert nothing.is_error and structured(nothing)["error"]["code"] == "not_found"


async def test_get_template_saves_inside_the_root_only(serve, fake_comfy, tmp_path) -> None:
    fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(W1), "application/json")
    async with serve(*SERVE) as session:
        saved = data_of(await session.call_tool("get_template", {"name": "image_z_image_turbo",
                                                                 "save_to": str(tmp_path / "t.json")}))
        assert json.loads(Path(saved["file"]).read_text()) == W1
        outside = await session.call_tool("get_template", {"name": "image_z_image_turbo",
                                                           "save_to": str(tmp_path.parent / "t.json")})
    assert outside.is_error and structured(outside)["error"]["code"] == "usage"
    assert "outside the allowed folders" in structured(outside)["error"]["message"]
    assert not (tmp_path.parent / "t.json").exists()


async def test_run_workflow_takes_a_template_or_an_editor_graph(serve, fake_comfy, tmp_path) -> None:
    from tests.workflows.conftest import chain

    fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(chain(middle_mode=0)),
                                  "application/json")
    async with serve(*SERVE) as session:
        templated = data_of(await session.call_tool("run_workflow", {
            "workflow": "template:image_z_image_turbo", "parameters": {"width": 32}, "output_dir": str(tmp_path)}))
        inline = data_of(await session.call_tool("run_workflow", {
            "workflow": chain(middle_mode=4), "parameters": {"height": 8}, "output_dir": str(tmp_path)}))
    first, second = [r.json["prompt"] for r in sent(fake_comfy, "POST", "/prompt")]
    assert templated["workflow"] == "template:image_z_image_turbo" and first["1"]["inputs"]["width"] == 32
    assert inline["workflow"] == "(inline workflow)" and second["1"]["inputs"]["height"] == 8
    assert "2" not in second  # the bypassed (mode 4) node is left out, as the editor does
