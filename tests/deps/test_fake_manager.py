"""The fake Manager answers the recorded Manager 4.2.2 requests as the real one did (and 3.x by the docs)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import websocket

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

RECORDINGS = Path(__file__).resolve().parents[2] / "core" / "comfyui_skill" / "testing" / "fake_manager" / "data"
VOLATILE = ("timestamp", "end_time", "batch_id", "client_id")


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text())


def send(server: FakeComfyUI, method: str, path: str, body: Any = None,
         content_type: str | None = "application/json", query: str = "") -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(server.url + path + (f"?{query}" if query else ""), data=data, method=method)
    if data is not None and content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    return status, json.loads(raw) if "json" in kind else raw.decode()


def replay(server: FakeComfyUI, name: str, **replace: Any) -> tuple[int, Any, dict[str, Any]]:
    """Send a recorded request; returns the fake's status and body, and the recorded response."""
    exchange = recorded(name)
    request = exchange["request"]
    body = request["body"]
    if isinstance(body, dict):
        body = {**body, **replace}
    status, answer = send(server, request["method"], request["path"], body,
                          request["headers"].get("Content-Type"), request.get("raw_query", ""))
    return status, answer, exchange["response"]


def stable(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in VOLATILE}


@pytest.mark.parametrize("name", ["manager_version.json", "manager_version_api_alias.json",
                                  "is_legacy_manager_ui.json", "customnode_installed.json",
                                  "queue_start_400_form_content_type.json", "queue_task_400_invalid.json",
                                  "install_model_400_missing_client_id.json", "queue_start_200.json",
                                  "legacy_manager_queue_install_post_405.json",
                                  "legacy_manager_queue_install_get_404.json"])
def test_simple_exchanges_match_the_recordings(manager4, name):
    status, body, expected = replay(manager4, name)
    assert status == expected["status"]
    assert body == expected["body"] or (expected["status"] == 404 and body == "")


def test_a_node_pack_install_with_the_registry_offline_is_queued_then_fails_like_the_real_one(manager4):
    manager4.manager.registry_online = False
    client_id = recorded("queue_task_install_node_pack.json")["request"]["body"]["client_id"]
    ws = websocket.create_connection(f"{manager4.ws_url}?clientId={client_id}", timeout=10)
    try:
        assert json.loads(ws.recv())["type"] == "status"
        status, _, expected = replay(manager4, "queue_task_install_node_pack.json")
        assert (status, expected["status"]) == (200, 200)
        pending = replay(manager4, "queue_status_pending.json")
        assert pending[:2] == (200, recorded("queue_status_pending.json")["response"]["body"])  # queued only
        assert replay(manager4, "queue_start_200.json")[0] == 200
        events = [json.loads(ws.recv()) for _ in range(3)]
    finally:
        ws.close()
    assert [e["type"] for e in events] == ["cm-task-started", "cm-task-completed", "cm-queue-status"]
    transcript = [json.loads(line) for line in (RECORDINGS / "ws_install_node_pack_offline.jsonl").read_text()
                  .splitlines()]
    completed = next(r["data"]["data"] for r in transcript if r["kind"] == "text"
                     and r["data"]["type"] == "cm-task-completed")
    assert {k: events[1]["data"][k] for k in ("ui_id", "result", "kind", "status")} == \
        {k: completed[k] for k in ("ui_id", "result", "kind", "status")}
    assert set(events[1]["data"]["state"]) == set(completed["state"])
    assert events[2]["data"] == {"status": "all-done"}
    status, history, expected = replay(manager4, "queue_history_ui_id_install_failed.json")
    assert status == 200 and stable(history["history"]) == stable(expected["body"]["history"])


def test_a_model_install_downloads_into_the_models_folder_like_the_real_one(manager4, model_url):
    assert send(manager4, "GET", "/models/checkpoints") == (200, [])
    exchange = recorded("install_model_loopback.json")
    assert replay(manager4, "install_model_loopback.json", url=model_url)[0] == 200
    assert replay(manager4, "queue_start_200.json")[0] == 200
    entry = {}
    for _ in range(600):  # up to 30 s: a safety net, the loop ends as soon as the entry is there
        status, history = send(manager4, "GET", "/v2/manager/queue/history", query="ui_id=model-21fad85e")
        entry = history["history"]
        if entry:
            break
        time.sleep(0.05)
    expected = recorded("queue_history_ui_id_install_model.json")["response"]["body"]["history"]
    expected["params"]["url"] = model_url
    assert stable(entry) == stable(expected)
    assert entry["client_id"] == exchange["request"]["body"]["client_id"]
    assert send(manager4, "GET", "/models/checkpoints") == (200, ["tiny.safetensors"])


def test_starting_twice_answers_201_while_the_worker_runs(manager4):
    manager4.manager.task_delay = 30  # still running at the second start, however slow the machine (stop() ends it)
    manager4.manager.registry_online = False
    send(manager4, "POST", "/v2/manager/queue/task", {"ui_id": "a", "client_id": "c", "kind": "install",
                                                      "params": {"id": "x", "version": "latest"}})
    assert replay(manager4, "queue_start_200.json")[0] == 200
    status, _, expected = replay(manager4, "queue_start_201_already_running.json")
    assert status == expected["status"] == 201


@pytest.mark.parametrize("dialect, method, wrong", [("3", "POST", "GET"), ("3.39", "GET", "POST")])
def test_manager_3_actions_are_post_from_3_40_and_get_before(dialect, method, wrong):
    with FakeComfyUI(manager=dialect) as server:
        assert send(server, method, "/manager/queue/start")[0] == 200
        assert send(server, wrong, "/manager/queue/start")[0] in (404, 405)  # the frontend's catch-all
        assert send(server, "GET", "/v2/manager/version")[0] == 404
        assert send(server, "GET", "/manager/version")[1] == server.manager.version


def test_manager_3_refuses_at_the_route_and_needs_complete_payloads():
    with FakeComfyUI(manager="3") as server:
        server.manager.add_registry_pack("fancy-pack", ["FancyNode"])
        assert send(server, "POST", "/manager/queue/install", {"id": "fancy-pack"})[0] == 500  # KeyError
        full = {"id": "fancy-pack", "version": "latest", "selected_version": "latest", "channel": "default",
                "mode": "cache", "ui_id": "u1"}
        server.manager.security_level = "strong"
        assert send(server, "POST", "/manager/queue/install", full) == \
            (403, "A security error has occurred. Please check the terminal logs")
        server.manager.security_level = "normal"
        assert send(server, "POST", "/manager/queue/install", full)[0] == 200
        model = {"name": "n", "type": "checkpoints", "base": "", "save_path": "checkpoints",
                 "url": "http://127.0.0.1:1/x.safetensors", "filename": "x.safetensors", "ui_id": "m"}
        assert send(server, "POST", "/manager/queue/install_model", model) == \
            (400, "Invalid model install request is detected")


def test_a_4x_manager_adds_the_csrf_post_feature_flag(manager4):
    assert send(manager4, "GET", "/features")[1]["extension"]["manager"]["supports_csrf_post"] is True


def test_the_legacy_ui_ends_a_batch_with_batch_done_then_all_done():
    with FakeComfyUI(manager="4-legacy") as server:
        server.manager.registry_online = False
        ws = websocket.create_connection(f"{server.ws_url}?clientId=abc", timeout=10)
        try:
            ws.recv()
            item = {"id": "fancy-pack", "ui_id": "u1", "version": "latest", "selected_version": "latest",
                    "channel": "default", "mode": "cache"}
            assert send(server, "POST", "/v2/manager/queue/batch", {"install": [item]}) == (200, {"failed": []})
            events = [json.loads(ws.recv())["data"] for _ in range(3)]
        finally:
            ws.close()
    assert [e["status"] for e in events] == ["in_progress", "batch-done", "all-done"]
    assert events[1]["nodepack_result"] == {"u1": "Cannot resolve install target: 'fancy-pack@latest'"}
