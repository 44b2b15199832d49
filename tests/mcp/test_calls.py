"""Bad calls, failing workflows, progress notifications, cancellation, confinement, plugins' tools."""

from __future__ import annotations

import json
import sys

import anyio
import pytest
from PIL import Image

from tests.run.helpers import sent, write_png

from .conftest import WORKFLOWS, structured

pytestmark = pytest.mark.anyio

SERVE = ("mcp", "serve")
W1 = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())


def error_of(result) -> dict:
    assert result.is_error, result
    document = structured(result)
    assert document["ok"] is False and document["data"] is None
    return document["error"]


async def until(condition, what: str, seconds: float = 20) -> None:
    """Wait for ``condition()`` to hold (checked every 20 ms), failing after ``seconds``."""
    with anyio.move_on_after(seconds):
        while not condition():
            await anyio.sleep(0.02)
        return
    raise AssertionError(f"no {what} within {seconds} s")


def cancel_requests(fake) -> list[str]:
    """The paths of the requests that cancel something (a job, the running prompt, queue entries)."""
    return [r.path for r in sent(fake, "POST") if "cancel" in r.path or r.path in ("/interrupt", "/queue")]


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(serve) -> None:
    async with serve(*SERVE) as session:
        missing = error_of(await session.call_tool("run_workflow", {}))
        assert missing["code"] == "usage" and "'workflow' is a required property" in missing["message"]
        wrong = error_of(await session.call_tool("search_nodes", {"query": "x", "limit": "ten"}))
        assert wrong["code"] == "usage" and wrong["message"].startswith("search_nodes: argument limit:")
        extra = error_of(await session.call_tool("queue", {"verbose": True}))
        assert extra["code"] == "usage" and "verbose" in extra["message"]
        unknown = error_of(await session.call_tool("run_workflows", {"workflow": "x"}))
        assert unknown["code"] == "not_found" and "'run_workflow'" in unknown["hint"]
        nowhere = error_of(await session.call_tool("run_workflow", {"workflow": "no-such-workflow"}))
        assert nowhere["code"] == "not_found"
        no_server = error_of(await session.call_tool("queue", {"server": "nope"}))
        assert no_server["code"] == "not_found" and "no server named 'nope'" in no_server["message"]
        down = error_of(await session.call_tool("queue", {"server": "http://127.0.0.1:9"}))
        assert down["code"] == "unreachable"
        again = await session.call_tool("queue", {})
        assert not again.is_error


async def test_a_failing_workflow_is_the_same_error_as_on_the_command_line(serve, run_cli, fake_comfy,
                                                                          tmp_path) -> None:
    path = str(tmp_path / "w6.json")  # inside the server's root (its current folder)
    (tmp_path / "w6.json").write_text((WORKFLOWS / "W6_runtime_error.json").read_text())
    cli = run_cli("run", path, "-o", str(tmp_path / "cli"), "--json", server=fake_comfy).json()["error"]
    async with serve(*SERVE) as session:
        result = await session.call_tool("run_workflow", {"workflow": path})
    error = error_of(result)
    assert error["code"] == cli["code"] == "execution_failed"
    assert error["message"] == cli["message"] and error["hint"] == cli["hint"]
    assert result.content[0].text.startswith(f"execution_failed: {cli['message']}")


async def test_bad_parameters_are_rejected_before_submission(serve, fake_comfy) -> None:
    async with serve(*SERVE) as session:
        error = error_of(await session.call_tool("run_workflow", {"workflow": W1, "parameters": {
            "width": 99999, "height": "tall", "colour": 1}}))
    assert error["code"] == "rejected"
    problems = {p["parameter"]: p["problem"] for p in error["details"]["problems"]}
    assert problems == {"width": "99999 is out of range (1 to 16384)", "height": "'tall' is not a number",
                        "colour": "unknown parameter"}
    assert sent(fake_comfy, "POST", "/prompt") == []


async def test_progress_notifications_follow_the_run(serve, fake_comfy) -> None:
    fake_comfy.progress_steps_delay = 0.01
    messages: list[tuple[float, str]] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        messages.append((value, message or ""))

    workflow = json.loads((WORKFLOWS / "W3_colortransfer_progress.json").read_text())
    async with serve(*SERVE) as session:
        result = await session.call_tool("run_workflow", {"workflow": workflow}, progress_callback=progress)
    assert not result.is_error, result
    texts = [text for _, text in messages]
    prompt_id = structured(result)["data"]["prompt_id"]
    assert texts[0].startswith(f"prompt {prompt_id} queued")
    assert any(text.startswith("node ") and "ColorTransfer" in text for text in texts)
    steps = [text for text in texts if ": step " in text]
    assert steps and steps[-1].endswith("(100%)")
    assert texts[-1].startswith(f"prompt {prompt_id} done")
    values = [value for value, _ in messages]
    assert values == sorted(set(values))  # increasing, as the protocol requires


async def test_cancelling_the_call_cancels_its_prompt_and_only_it(serve, fake_comfy) -> None:
    fake_comfy.faults.hold_execution = True
    running = anyio.Event()

    async def progress(value: float, total: float | None, message: str | None) -> None:
        if (message or "").startswith("node "):
            running.set()

    async with serve(*SERVE) as session:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: session.call_tool("run_workflow", {"workflow": W1}, progress_callback=progress))
            with anyio.fail_after(20):
                await running.wait()
            [ours] = [r.json["prompt_id"] for r in sent(fake_comfy, "POST", "/prompt")]
            queued = structured(await session.call_tool("submit_workflow", {"workflow": W1}))  # waits behind ours
            group.cancel_scope.cancel()
        other = queued["data"]["prompt_id"]

        await until(lambda: cancel_requests(fake_comfy), "the cancellation")
        assert cancel_requests(fake_comfy) == [f"/api/jobs/{ours}/cancel"]
        fake_comfy.faults.hold_execution = False
        waited = structured(await session.call_tool("wait_for", {"prompt_ids": [other], "download": False}))
        assert waited["data"]["status"] == "success"  # the other prompt ran to its end
        assert structured(await session.call_tool("get_status", {"prompt_ids": [ours]}))["data"]["status"] == "cancelled"


async def test_paths_outside_the_roots_are_refused(serve, fake_comfy, tmp_path) -> None:
    root = tmp_path / "allowed"
    root.mkdir()
    inside = root / "w1.json"
    inside.write_text(json.dumps(W1))
    outside = tmp_path / "w1.json"
    outside.write_text(json.dumps(W1))
    image = write_png(tmp_path / "secret.png", (1, 2, 3))
    async with serve(*SERVE, "--root", str(root)) as session:
        read = error_of(await session.call_tool("run_workflow", {"workflow": str(outside), "output_dir": str(root)}))
        assert read["code"] == "usage" and "refusing to read" in read["message"]
        write = error_of(await session.call_tool("run_workflow", {"workflow": str(inside),
                                                                  "output_dir": str(tmp_path / "out")}))
        assert "refusing to write" in write["message"]
        upload = error_of(await session.call_tool("upload_image", {"path": str(image)}))
        assert "refusing to upload" in upload["message"]
        as_input = error_of(await session.call_tool("run_workflow", {
            "workflow": {"1": {"class_type": "LoadImage", "inputs": {"image": str(image)}},
                         "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}},
            "output_dir": str(root)}))
        assert "refusing to upload" in as_input["message"]
        assert sent(fake_comfy, "POST", "/prompt") == [] and sent(fake_comfy, "POST", "/upload/image") == []
        ok = structured(await session.call_tool("run_workflow", {"workflow": str(inside), "output_dir": str(root)}))
        assert ok["ok"] and ok["data"]["outputs"][0]["path"].startswith(str(root))


PLUGIN = '''
from comfyui_skill import McpTool, Result, hookimpl


def where(ctx, arguments):
    print("stray output of a careless tool", end="")  # must not reach the protocol's stdout
    return Result(data={"server": ctx.server.name, "url": ctx.server.url, "said": arguments["say"]})


@hookimpl
def comfyui_skill_mcp_tools():
    return [McpTool("echo_server", "Say which server the call is aimed at.",
                    {"type": "object", "properties": {"say": {"type": "string"}, "server": {"type": "string"}},
                     "required": ["say"]}, where, read_only=True),
            McpTool("not_an_object", "Takes a string.", {"type": "string"}, where),
            McpTool("bad_schema", "Its schema is broken.", {"type": "object", "properties": {"x": {"type": 5}}},
                    where)]
'''


async def test_a_plugin_adds_a_tool_and_a_broken_one_is_skipped(serve, fake_comfy, tmp_path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "echo_tools.py").write_text(PLUGIN)
    (folder / "broken_tools.py").write_text("raise ImportError('no such thing')\n")
    env = {"PYTHONPATH": str(folder)}
    async with serve("-p", "echo_tools", "-p", "broken_tools", *SERVE, env=env) as session:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert "echo_server" in tools and "run_workflow" in tools and "not_an_object" not in tools
        broken = error_of(await session.call_tool("bad_schema", {}))
        assert broken["code"] == "internal" and "plugin 'echo_tools' has an invalid input schema" in broken["message"]
        echoed = structured(await session.call_tool("echo_server", {"say": "hi"}))["data"]
        other = structured(await session.call_tool("echo_server", {"say": "hi", "server": "http://127.0.0.1:9"}))
        bare = structured(await session.call_tool("echo_server", {"say": "hi", "server": "127.0.0.1:9"}))
    assert echoed == {"server": fake_comfy.url, "url": fake_comfy.url, "said": "hi"}  # a --url server is named by it
    assert other["data"]["url"] == other["data"]["server"] == "http://127.0.0.1:9"
    assert bare["data"] == other["data"]  # host:port without a scheme means http://, as with --url
    log = (tmp_path / "server.log").read_text().splitlines()
    [broken] = [line for line in log if "broken_tools" in line]
    assert "failed to load" in broken
    assert any("stray output of a careless tool" in line for line in log)
    [skipped] = [line for line in log if "not_an_object" in line]
    assert "not a JSON Schema of type 'object'; skipped" in skipped


async def test_secrets_are_redacted_from_results_notifications_and_the_log(serve, fake_comfy, run_cli,
                                                                           tmp_path) -> None:
    url = fake_comfy.url.replace("http://", "http://someone:hunter2-sekrit@")
    assert run_cli("server", "add", "guarded", url).exit_code == 0
    messages: list[str] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with serve("-v", *SERVE) as session:
        result = await session.call_tool("server_status", {"servers": ["guarded"]})
        run = await session.call_tool("run_workflow", {"workflow": W1, "server": "guarded"},
                                      progress_callback=progress)
    text = json.dumps([item.model_dump() for item in result.content]) + json.dumps(result.structured_content)
    assert "hunter2-sekrit" not in text and "someone:***@" in text
    assert not run.is_error and messages
    said = json.dumps([item.model_dump() for item in run.content]) + json.dumps(messages)
    assert "hunter2-sekrit" not in said + (tmp_path / "server.log").read_text()


def test_without_the_sdk_it_says_how_to_install_it(run_cli, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp.server.lowlevel", None)
    result = run_cli("mcp", "serve")
    assert result.exit_code == 2
    assert result.stderr == "comfyui-skill: error: 'mcp serve' needs the MCP SDK; install it with: " \
                            "pip install 'comfyui-skill[mcp]'\n"


def test_a_network_bind_needs_a_token(run_cli) -> None:
    refused = run_cli("mcp", "serve", "--http", "0.0.0.0:8765", "--json")
    assert refused.exit_code == 2 and "without a token" in refused.json()["error"]["message"]
    bad = run_cli("mcp", "serve", "--http", "localhost:http")
    assert bad.exit_code == 2 and "[HOST:]PORT" in bad.stderr


async def test_cancelling_a_wait_cancels_the_prompt_it_follows(serve, fake_comfy) -> None:
    fake_comfy.faults.hold_execution = True
    following = anyio.Event()

    async def progress(value: float, total: float | None, message: str | None) -> None:
        following.set()

    async with serve(*SERVE) as session:
        prompt_id = structured(await session.call_tool("submit_workflow", {"workflow": W1}))["data"]["prompt_id"]
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: session.call_tool("wait_for", {"prompt_ids": [prompt_id], "download": False},
                                                       progress_callback=progress))
            with anyio.fail_after(20):
                await following.wait()
            group.cancel_scope.cancel()

        await until(lambda: cancel_requests(fake_comfy), "the cancellation")
        assert cancel_requests(fake_comfy) == [f"/api/jobs/{prompt_id}/cancel"]
        fake_comfy.faults.hold_execution = False
        status = structured(await session.call_tool("get_status", {"prompt_ids": [prompt_id]}))["data"]
    assert status["status"] == "cancelled"


async def test_by_default_the_roots_are_the_current_and_the_configured_output_folders(serve, fake_comfy,
                                                                                      tmp_path_factory) -> None:
    configured = tmp_path_factory.mktemp("configured-outputs")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    async with serve(*SERVE, env={"COMFYUI_SKILL_OUTPUT_DIR": str(configured)}) as session:
        saved = structured(await session.call_tool("run_workflow", {"workflow": W1}))
        refused = error_of(await session.call_tool("run_workflow", {"workflow": W1, "output_dir": str(elsewhere)}))
    assert saved["ok"] and saved["data"]["outputs"][0]["path"].startswith(str(configured))
    assert "refusing to write" in refused["message"] and list(elsewhere.iterdir()) == []


async def test_calls_made_at_once_run_side_by_side(serve, fake_comfy, tmp_path) -> None:
    """Agents send several tool calls without waiting: each one runs, follows and saves its own prompt."""
    results: dict[int, object] = {}

    async def run(width: int) -> None:
        graph = json.loads(json.dumps(W1))
        graph["1"]["inputs"]["width"] = width
        results[width] = await session.call_tool("run_workflow", {"workflow": graph,
                                                                  "output_dir": str(tmp_path / "out")})

    async with serve(*SERVE) as session:
        async with anyio.create_task_group() as group:
            for width in (16, 24, 32, 40):
                group.start_soon(run, width)
    documents = {width: structured(result) for width, result in results.items()}
    assert all(document["ok"] for document in documents.values()), documents
    prompt_ids = {document["data"]["prompt_id"] for document in documents.values()}
    paths = {document["data"]["outputs"][0]["path"] for document in documents.values()}
    assert len(prompt_ids) == len(paths) == 4
    posted = {r.json["prompt_id"]: r.json["prompt"]["1"]["inputs"]["width"]
              for r in sent(fake_comfy, "POST", "/prompt")}
    for width, document in documents.items():  # each call's answer is its own prompt's, not a neighbour's
        assert posted[document["data"]["prompt_id"]] == width
        with Image.open(document["data"]["outputs"][0]["path"]) as image:
            assert image.width == width
