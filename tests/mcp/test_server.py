"""The MCP server over stdio: its tools and their schemas, each tool against the fake, errors."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from .conftest import WORKFLOWS, structured

pytestmark = pytest.mark.anyio

SERVE = ("mcp", "serve")
W1_PATH = WORKFLOWS / "W1_empty_image_save.json"


async def test_lists_every_builtin_tool_with_a_schema(serve) -> None:
    async with serve(*SERVE) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert {"server_status", "list_servers", "run_workflow", "submit_workflow", "get_status", "wait_for", "cancel",
            "queue", "search_nodes", "node_info", "list_models", "list_templates", "get_template",
            "workflow_parameters", "import_workflow", "check_dependencies", "upload_image", "history",
            "free"} <= set(tools)
    run = tools["run_workflow"]
    assert run.input_schema["required"] == ["workflow"]
    assert {"workflow", "parameters", "server", "output_dir"} <= set(run.input_schema["properties"])
    assert tools["queue"].annotations.read_only_hint and not run.annotations.read_only_hint
    assert all(tool.description for tool in tools.values())


async def test_every_builtin_schema_is_valid_and_describes_each_argument(serve) -> None:
    import jsonschema

    async with serve(*SERVE) as session:
        tools = (await session.list_tools()).tools
    for tool in tools:
        schema = tool.input_schema
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
        undescribed = [name for name, spec in schema["properties"].items() if not spec.get("description")]
        assert undescribed == [], f"{tool.name}: arguments without a description for the model: {undescribed}"
        assert set(schema.get("required", ())) <= set(schema["properties"]), tool.name


async def test_run_workflow_returns_the_saved_files_and_a_thumbnail(serve, tmp_path) -> None:
    graph = json.loads(W1_PATH.read_text())
    graph["1"]["inputs"].update(width=1024, height=600)
    async with serve(*SERVE) as session:
        result = await session.call_tool("run_workflow", {"workflow": graph, "output_dir": str(tmp_path / "out")})
    document = structured(result)
    assert not result.is_error and document["ok"] and document["command"] == "run_workflow"
    data = document["data"]
    assert data["status"] == "success" and data["prompt_id"]
    [path] = [item["path"] for item in data["outputs"]]
    assert path.startswith(str(tmp_path / "out"))
    [image] = [item for item in result.content if item.type == "image"]
    [link] = [item for item in result.content if item.type == "resource_link"]
    assert link.uri == Path(path).as_uri() and link.mime_type == "image/png"
    with Image.open(io.BytesIO(base64.b64decode(image.data))) as thumbnail:
        assert (image.mime_type, thumbnail.size) == ("image/png", (512, 300))



async def test_a_large_batch_brings_a_few_thumbnails_and_a_link_to_every_file(serve, tmp_path) -> None:
    from comfyui_skill_mcp.results import MAX_THUMBNAILS

    graph = json.loads(W1_PATH.read_text())
    graph["1"]["inputs"]["batch_size"] = MAX_THUMBNAILS + 4
    async with serve(*SERVE) as session:
        result = await session.call_tool("run_workflow", {"workflow": graph, "output_dir": str(tmp_path / "out")})
    paths = [item["path"] for item in structured(result)["data"]["outputs"]]
    assert len(paths) == MAX_THUMBNAILS + 4
    assert [item.uri for item in result.content if item.type == "resource_link"] == [Path(p).as_uri() for p in paths]
    assert len([item for item in result.content if item.type == "image"]) == MAX_THUMBNAILS

SDK_MODULES = ("mcp", "mcp_types", "anyio", "pydantic", "jsonschema", "uvicorn", "starlette", "PIL")


def test_no_other_command_imports_the_sdk(cli_env, fake_comfy, tmp_path) -> None:
    """Neither --help nor the other commands (not even 'mcp tools', or a run) load the SDK or its stack."""
    import os
    import subprocess
    import sys

    commands = [["--help"], ["mcp", "--help"], ["mcp", "tools", "--json"], ["server", "list", "--json"],
                ["describe", "--json"], ["--url", fake_comfy.url, "run", str(W1_PATH), "-o", str(tmp_path), "--json"]]
    code = ("import sys; from comfyui_skill.cli import main\n"
            f"for argv in {commands!r}:\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SDK_MODULES!r})), file=sys.stderr)")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert '"status": "success"' in result.stdout, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
