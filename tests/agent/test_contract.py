"""Real --json and --output ndjson outputs of many commands conform to the shipped JSON Schemas."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from comfyui_skill import ERROR_CODES, EVENT_TYPES, ExitCode, json_schema

from .contract import assert_ndjson, assert_result, problems

UNREACHABLE = "http://127.0.0.1:9"


def test_schema_enums_follow_the_code() -> None:
    result, event = json_schema("result"), json_schema("event")
    assert set(result["$defs"]["error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)
    assert set(event["properties"]["event"]["enum"]) == set(EVENT_TYPES)


def test_the_schemas_reject_broken_documents(run_cli, fake_comfy) -> None:
    good = run_cli("queue", "list", "--json", server=fake_comfy).json()
    assert not problems("result", good)
    for breakage in ({"schema": "comfyui-skill/2"}, {"ok": "yes"}, {"error": {"code": "oops"}},
                     {"data": {"queue_running": 3}}, {"ok": False}):
        broken = {**copy.deepcopy(good), **breakage}
        assert problems("result", broken), breakage
    assert problems("event", {"schema": "comfyui-skill/event/1", "event": "progress", "time": 1.0,
                              "server": "s", "prompt_id": "p", "value": 1})  # no "max"


@pytest.mark.parametrize("argv", [
    ("queue", "list"), ("server", "status"), ("server", "list"), ("server", "kinds"), ("nodes", "info", "SaveImage"),
    ("nodes", "list"), ("models", "list"), ("history", "list"), ("plugins", "list"),
])
def test_inspection_commands(run_cli, fake_comfy, argv) -> None:
    result = run_cli(*argv, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert assert_result(result.json())["command"] == " ".join(argv[:2])


def test_submit_status_wait(run_cli, fake_comfy, workflow_file) -> None:
    fake_comfy.faults.hold_execution = True  # unfinished while its status is asked
    submitted = assert_result(run_cli("submit", workflow_file("W1"), "--json", server=fake_comfy).json())
    prompt_id = submitted["data"]["prompt_id"]
    pending = assert_result(run_cli("status", prompt_id, "--json", server=fake_comfy).json())
    assert pending["data"]["status"] in ("pending", "running")
    fake_comfy.faults.hold_execution = False
    second = run_cli("submit", workflow_file("W1", {"1": {"width": 9}}), "--json", server=fake_comfy)
    both = run_cli("wait", prompt_id, second.json()["data"]["prompt_id"], "--json", "--timeout", "20",
                   server=fake_comfy)
    assert both.exit_code == 0 and len(assert_result(both.json())["data"]) == 2
    one = assert_result(run_cli("wait", prompt_id, "--json", server=fake_comfy).json())
    assert one["data"]["outputs"][0]["filename"].endswith(".png")
    done = assert_result(run_cli("status", prompt_id, "--json", server=fake_comfy).json())
    assert done["data"]["status"] == "success" and done["data"]["outputs"]


def test_run_ndjson_events_and_result(run_cli, fake_comfy, workflow_file, tmp_path: Path) -> None:
    progress = run_cli("run", workflow_file("W3"), "--output", "ndjson", "--no-download", server=fake_comfy)
    assert progress.exit_code == 0, progress.stderr
    assert {"queued", "started", "node", "progress", "done"} <= {e["event"] for e in assert_ndjson(progress.ndjson())}
    saved = run_cli("run", workflow_file("W1"), "--output", "ndjson", "-o", str(tmp_path), server=fake_comfy)
    outputs = [event for event in assert_ndjson(saved.ndjson()) if event["event"] == "output"]
    assert outputs and Path(outputs[0]["path"]).is_file()
    for _ in range(2):  # the second time the server serves every node from its cache
        text = run_cli("run", workflow_file("W7"), "--output", "ndjson", "-o", str(tmp_path), server=fake_comfy)
        events = assert_ndjson(text.ndjson())
    assert {"cached", "output"} <= {event["event"] for event in events}
    assert [e["text"] for e in events if e["event"] == "output"] == ["hello world"]


def test_failed_run_event_and_error(run_cli, fake_comfy, workflow_file) -> None:
    failed = run_cli("run", workflow_file("W6"), "--output", "ndjson", server=fake_comfy)
    assert failed.exit_code == ExitCode.EXECUTION_FAILED
    events = assert_ndjson(failed.ndjson())
    assert events[-1]["event"] == "failed"
    assert failed.ndjson()[-1]["error"]["code"] == "execution_failed"


def test_cancelled_run(run_cli, fake_comfy, workflow_file) -> None:
    fake_comfy.faults.hold_execution = True  # unfinished until cancelled
    prompt_id = run_cli("submit", workflow_file("W1"), "--json", server=fake_comfy).json()["data"]["prompt_id"]
    assert run_cli("cancel", prompt_id, server=fake_comfy).exit_code == 0
    waited = run_cli("wait", prompt_id, "--json", "--timeout", "20", server=fake_comfy)
    assert waited.exit_code == ExitCode.CANCELLED
    assert assert_result(waited.json())["error"]["code"] == "cancelled"


@pytest.mark.parametrize("argv, code", [
    (("status", "00000000-0000-4000-8000-000000000000"), "not_found"),
    (("nodes", "info", "NoSuchNode"), "not_found"),
    (("queue", "list", "--no-such-option"), "usage"),
    (("submit", "/no/such/workflow.json"), None),
    (("cancel", "--all"), "usage"),
])
def test_errors(run_cli, fake_comfy, argv, code) -> None:
    result = run_cli(*argv, "--json", server=fake_comfy)
    document = assert_result(result.json())
    assert not document["ok"] and result.exit_code == ERROR_CODES[document["error"]["code"]][0]
    assert code is None or document["error"]["code"] == code


def test_unreachable_server(run_cli) -> None:
    result = run_cli("--url", UNREACHABLE, "queue", "list", "--json")
    assert result.exit_code == ExitCode.UNREACHABLE
    assert assert_result(result.json())["error"]["code"] == "unreachable"
    status = run_cli("--url", UNREACHABLE, "server", "status", "--json")
    assert assert_result(status.json())["data"][0]["reachable"] is False


def test_environment_selects_the_mode(run_cli, fake_comfy) -> None:
    as_json = run_cli("queue", "list", server=fake_comfy, env={"COMFYUI_SKILL_OUTPUT": "json"})
    assert assert_result(as_json.json())["command"] == "queue list"
    bad = run_cli("queue", "list", server=fake_comfy, env={"COMFYUI_SKILL_OUTPUT": "yaml"})
    assert bad.exit_code == ExitCode.USAGE
