"""The MCP server over stdio: its tools and their schemas, each tool against the fake, errors."""

from __future__ import annotations

import pytest

from .conftest import structured

pytestmark = pytest.mark.anyio

SERVE = ("mcp", "serve")


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


async def test_run_workflow_returns_the_saved_files_and_the_image(serve, w1_file, tmp_path) -> None:
    async with serve(*SERVE) as session:
        result = await session.call_tool("run_workflow", {"workflow": w1_file, "output_dir": str(tmp_path / "out")})
    document = structured(result)
    assert not result.is_error and document["ok"] and document["command"] == "run_workflow"
    data = document["data"]
    assert data["status"] == "success" and data["prompt_id"]
    paths = [item["path"] for item in data["outputs"]]
    assert paths and all(path.startswith(str(tmp_path / "out")) for path in paths)
    images = [item for item in result.content if item.type == "image"]
    assert images and images[0].mime_type == "image/png"
