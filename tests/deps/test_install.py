"""``deps install``: the plan, the queue order, per-item results and their explanations, in each dialect."""

from __future__ import annotations

import json

import pytest

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.testing.fake_comfyui.server import recorded_catalog

from .helpers import requests_to, workflow

OFFLINE = "Cannot resolve install target: 'fancy-pack@latest'"


def offer(server: FakeComfyUI, model_url: str | None = None) -> None:
    """The registry has the pack providing FancyNode; the checkpoints folder is known; 3.x lists the model."""
    server.manager.add_registry_pack("fancy-pack", ["FancyNode", "FancyOther"])
    server.models["checkpoints"] = ["other.safetensors"]
    if model_url:
        server.manager.model_list.append({"name": "tiny", "type": "checkpoints", "base": "SD1.5",
                                          "save_path": "default", "url": model_url, "filename": "tiny.safetensors"})


def items(result) -> dict[str, dict]:
    return {item["name"]: item for item in result.json()["data"]["items"]}


def failed_pack_install(run_cli, server: FakeComfyUI, tmp_path) -> tuple[dict, dict]:
    """``deps install --nodes`` expected to fail: the fancy-pack item and the whole JSON result."""
    result = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", "--json", server=server)
    assert result.exit_code == ExitCode.EXECUTION_FAILED, result.stderr
    return items(result)["fancy-pack"], result.json()


def test_installs_node_packs_and_models_then_a_restart_loads_the_classes(run_cli, managed, model_url, tmp_path):
    offer(managed, model_url)
    wf = workflow(tmp_path)
    result = run_cli("deps", "install", wf, "--model-url", f"tiny.safetensors={model_url}", "--yes", "--json",
                     server=managed)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert {(i["kind"], i["name"], i["status"]) for i in data["items"]} == {
        ("install", "fancy-pack", "installed"), ("install-model", "tiny.safetensors", "installed")}
    assert data["restart_needed"] is True and data["manager"]["dialect"] == managed.manager.dialect
    assert "tiny.safetensors" in managed.models["checkpoints"]
    assert "fancy-pack" in managed.manager.installed
    assert run_cli("deps", "check", wf, server=managed).exit_code == ExitCode.NOT_FOUND  # not loaded yet

    restarted = run_cli("deps", "restart", "--wait", "--json", server=managed)
    assert restarted.exit_code == 0, restarted.stderr
    assert restarted.json()["data"]["new_classes"] == ["FancyNode", "FancyOther"]
    assert run_cli("deps", "check", wf, server=managed).exit_code == 0


def test_everything_is_queued_before_the_queue_starts(run_cli, managed, model_url, tmp_path):
    offer(managed, model_url)
    result = run_cli("deps", "install", workflow(tmp_path), "--model-url", f"tiny.safetensors={model_url}",
                     "--yes", server=managed)
    assert result.exit_code == 0, result.stderr
    paths = [r.path for r in managed.requests if r.method == "POST" or r.path == "/ws"]
    queued = [n for n, p in enumerate(paths) if p.endswith(("/queue/task", "/queue/install", "/queue/install_model",
                                                              "/queue/batch"))]
    if managed.manager.dialect == "4-legacy":
        assert len(queued) == 1 and not [p for p in paths if p.endswith("/queue/start")]  # the batch starts it
    else:
        start = paths.index(managed.manager.prefix + "/manager/queue/start")
        reset = paths.index(managed.manager.prefix + "/manager/queue/reset")
        assert len(queued) == 2 and paths.index("/ws") < reset < min(queued) and max(queued) < start
    assert "[1/2]" in result.stderr and "[2/2]" in result.stderr  # per-item progress
    assert "restart ComfyUI to load it" in result.stdout


def test_the_4x_socket_carries_our_client_id_and_every_task_names_it(run_cli, manager4, tmp_path):
    offer(manager4)
    assert run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=manager4).exit_code == 0
    client_id = requests_to(manager4, "/ws")[0].query["clientId"]
    task = json.loads(requests_to(manager4, "/queue/task")[0].body)
    assert task["client_id"] == client_id and task["kind"] == "install"
    assert task["params"] == {"id": "fancy-pack", "version": "latest", "selected_version": "latest",
                              "mode": "cache", "channel": "default"}
    assert not requests_to(manager4, "/queue/history")  # the socket said it all


def test_an_unreachable_registry_fails_with_the_servers_own_words(run_cli, managed, tmp_path):
    offer(managed)
    managed.manager.registry_online = False
    item, result = failed_pack_install(run_cli, managed, tmp_path)
    assert (item["status"], item["reason"], item["security_denied"]) == ("failed", OFFLINE, False)
    assert result["error"]["message"] == "1 of 1 item failed"
    text = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=managed)
    assert text.exit_code == ExitCode.EXECUTION_FAILED
    assert "failed" in text.stdout and OFFLINE in text.stdout


def test_a_security_denial_is_explained_with_the_setting_and_not_worked_around(run_cli, managed, model_url,
                                                                                tmp_path):
    offer(managed, model_url)
    managed.manager.security_level = "strong"
    result = run_cli("deps", "install", workflow(tmp_path), "--model-url", f"tiny.safetensors={model_url}",
                     "--yes", "--json", server=managed)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert {(i["status"], i["security_denied"]) for i in result.json()["data"]["items"]} == {("failed", True)}
    error = result.json()["error"]
    assert "security_level" in error["hint"] and "config.ini" in error["hint"] and "ComfyUI stopped" in error["hint"]
    assert managed.manager.installed == {} and managed.models["checkpoints"] == ["other.safetensors"]
    text = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=managed)
    assert "security_level" in text.stderr


def test_4x_refuses_installs_in_the_worker_when_comfyui_listens_beyond_loopback(run_cli, manager4, tmp_path):
    offer(manager4)
    manager4.manager.listen_loopback = False
    item, result = failed_pack_install(run_cli, manager4, tmp_path)
    assert item["security_denied"] is True and "server log" in item["reason"]  # the real one says only 'failed'
    assert "personal_cloud" in result["error"]["hint"]
    assert "network_mode must be set to `personal_cloud`" in run_cli("logs", "show", server=manager4).stdout
    assert [r.path for r in requests_to(manager4, "/queue/task")]  # accepted (200), failed in the worker


def test_without_a_websocket_results_come_from_the_history_or_the_queue_status(run_cli, managed, model_url,
                                                                                tmp_path):
    offer(managed, model_url)
    managed.faults.refuse_websocket = True
    result = run_cli("deps", "install", workflow(tmp_path), "--model-url", f"tiny.safetensors={model_url}",
                     "--yes", "--json", server=managed)
    assert result.exit_code == 0, result.stderr
    assert {i["status"] for i in result.json()["data"]["items"]} == {"installed"}
    assert "no WebSocket" in result.stderr
    if managed.manager.dialect == "4":
        assert requests_to(managed, "/v2/manager/queue/history")
    else:
        assert requests_to(managed, "/manager/queue/status") and requests_to(managed, "/customnode/installed")


def test_without_a_websocket_a_3x_failure_says_where_the_reason_is(run_cli, tmp_path):
    with FakeComfyUI(manager="3") as server:
        offer(server)
        server.manager.registry_online = False
        server.faults.refuse_websocket = True
        item, _ = failed_pack_install(run_cli, server, tmp_path)
    assert "server log" in item["reason"]


def test_the_plan_is_confirmed_on_a_terminal_only(run_cli, manager4, tmp_path):
    offer(manager4)
    for extra in ((), ("--json",)):
        result = run_cli("deps", "install", workflow(tmp_path), *extra, server=manager4)
        assert result.exit_code == ExitCode.USAGE
        assert "not an interactive terminal" in (result.stderr + result.stdout)
    assert "install        fancy-pack" in result.stderr  # the plan was shown first
    assert "Install 1 node pack through ComfyUI-Manager" in result.stdout + result.stderr  # not '0 model(s)'
    assert not [r for r in manager4.requests if r.method == "POST"]


def test_only_nodes_or_only_models(run_cli, manager4, model_url, tmp_path):
    offer(manager4)
    wf = workflow(tmp_path)
    nodes = run_cli("deps", "install", wf, "--nodes", "--yes", "--json", server=manager4)
    assert [i["kind"] for i in nodes.json()["data"]["items"]] == ["install"]
    models = run_cli("deps", "install", wf, "--models", "--model-url", f"tiny.safetensors={model_url}", "--yes",
                     "--json", server=manager4)
    assert [i["kind"] for i in models.json()["data"]["items"]] == ["install-model"]


def test_a_model_url_is_never_guessed(run_cli, manager4, tmp_path):
    offer(manager4)
    result = run_cli("deps", "install", workflow(tmp_path), "--models", "--yes", "--json", server=manager4)
    assert result.exit_code == ExitCode.NOT_FOUND  # nothing could be installed
    item = items(result)["tiny.safetensors"]
    assert item["status"] == "skipped" and "--model-url" in item["reason"]
    assert not requests_to(manager4, "/queue/install_model")


def test_a_model_that_cannot_be_downloaded_fails_with_the_managers_message(run_cli, manager4, model_url, tmp_path):
    offer(manager4)
    missing = model_url.replace("tiny", "nothing")
    result = run_cli("deps", "install", workflow(tmp_path), "--models", "--model-url",
                     f"tiny.safetensors={missing}", "--yes", "--json", server=manager4)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert items(result)["tiny.safetensors"]["reason"] == f"Model installation error: {missing}"


def test_classes_nothing_provides_and_packs_only_on_git_are_skipped_unless_named(run_cli, managed, tmp_path):
    url = "https://github.com/someone/git-nodes"
    managed.manager.add_repository(url, ["GitNode"])
    wf = workflow(tmp_path, node="GitNode")
    skipped = run_cli("deps", "install", wf, "--nodes", "--yes", "--json", server=managed)
    assert skipped.exit_code == ExitCode.NOT_FOUND
    assert items(skipped)[url]["status"] == "skipped" and f"--repo {url}" in items(skipped)[url]["reason"]
    unknown = run_cli("deps", "install", workflow(tmp_path, node="NobodysNode"), "--nodes", "--yes", "--json",
                      server=managed)
    assert "--repo URL" in items(unknown)["NobodysNode"]["reason"]
    assert not [r for r in managed.requests if r.method == "POST" and "/queue/" in r.path]

    named = run_cli("deps", "install", wf, "--nodes", "--repo", url, "--yes", "--json", server=managed)
    assert named.exit_code == 0, named.stderr
    assert items(named)[url]["status"] == "installed" and "git-nodes" in managed.manager.installed


def test_an_unlisted_git_url_needs_a_lower_security_level(run_cli, managed, tmp_path):
    url = "https://github.com/someone/unlisted"
    managed.manager.add_repository(url, ["GitNode"], listed=False)
    result = run_cli("deps", "install", workflow(tmp_path, node="GitNode"), "--nodes", "--repo", url, "--yes",
                     "--json", server=managed)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert items(result)[url]["security_denied"] is True
    managed.manager.security_level = "weak"
    allowed = run_cli("deps", "install", workflow(tmp_path, node="GitNode"), "--nodes", "--repo", url, "--yes",
                      server=managed)
    assert allowed.exit_code == 0, allowed.stderr


def test_a_disabled_pack_providing_the_class_is_enabled(run_cli, managed, tmp_path):
    pack = managed.manager.add_registry_pack("fancy-pack", ["FancyNode"])
    managed.manager.install_now(pack)
    pack.enabled = False
    result = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", "--json", server=managed)
    assert result.exit_code == 0, result.stderr
    assert items(result)["fancy-pack"]["kind"] == "enable" and items(result)["fancy-pack"]["status"] == "enabled"
    assert managed.manager.installed["fancy-pack"].enabled is True


def test_a_busy_manager_is_left_alone(run_cli, manager4, tmp_path):
    offer(manager4)
    manager4.manager.task_delay = 30
    first = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", "--timeout", "0.5", "--json",
                    server=manager4)
    assert first.exit_code == ExitCode.TIMEOUT
    assert items(first)["fancy-pack"]["status"] == "timed out"
    second = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=manager4)
    assert second.exit_code == ExitCode.REJECTED and "busy" in second.stderr
    assert len(requests_to(manager4, "/queue/task")) == 1


@pytest.mark.parametrize("value", ["noequals", "x=ftp://host/x.safetensors"])
def test_malformed_model_urls_are_usage_errors(run_cli, manager4, tmp_path, value):
    result = run_cli("deps", "install", workflow(tmp_path), "--model-url", value, "--yes", server=manager4)
    assert result.exit_code == ExitCode.USAGE


def test_manager_3_39_is_driven_with_gets(run_cli, tmp_path):
    with FakeComfyUI(manager="3.39") as server:
        offer(server)
        result = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=server)
        assert result.exit_code == 0, result.stderr
        assert {r.method for r in requests_to(server, "/manager/queue/start")} == {"GET"}
        assert {r.method for r in requests_to(server, "/manager/queue/reset")} == {"GET"}


@pytest.mark.parametrize("timeout", ["0", "-5", "nan"])
def test_a_timeout_that_is_not_above_zero_is_a_usage_error(run_cli, manager4, tmp_path, timeout):
    result = run_cli("deps", "install", workflow(tmp_path), "--yes", "--timeout", timeout, server=manager4)
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert not requests_to(manager4, "/manager/queue")


def test_a_legacy_batch_answer_that_is_no_object_is_a_server_error(run_cli, tmp_path):
    with FakeComfyUI(manager="4-legacy") as server:
        offer(server)
        server.faults.respond_raw(r"/queue/batch$", 200, "[]", "application/json")
        result = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=server)
    assert result.exit_code == ExitCode.SERVER_ERROR, result.stderr
    assert "queue/batch with [] where an object was expected" in result.stderr


def test_a_malformed_history_entry_fails_its_item_as_a_server_error(run_cli, manager4, tmp_path):
    offer(manager4)
    manager4.faults.refuse_websocket = True
    manager4.manager.history_fields = {"status": "done"}
    result = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", "--timeout", "30", "--json",
                     server=manager4)
    assert result.exit_code == ExitCode.SERVER_ERROR, result.stderr
    item = items(result)["fancy-pack"]
    assert item["status"] == "failed" and "history entry for it is malformed (status 'done'" in item["reason"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("dialect", ["3", "4-legacy", "4"])
def test_a_queue_done_without_our_results_is_settled_from_what_the_server_has(run_cli, dialect, model_url,
                                                                                tmp_path):
    """The pack installs, the model download fails, and the Manager reports neither: done at once, not at
    --timeout, with the installed pack found and the missing model failed with why."""
    with FakeComfyUI(manager=dialect) as server:
        offer(server, model_url)
        server.manager.results_reported = False
        missing = model_url.replace("tiny", "nothing")
        server.manager.model_list[0]["url"] = missing
        result = run_cli("deps", "install", workflow(tmp_path), "--model-url", f"tiny.safetensors={missing}",
                         "--yes", "--timeout", "30", "--json", server=server)
    assert result.exit_code == ExitCode.EXECUTION_FAILED, result.stderr
    found = items(result)
    assert found["fancy-pack"]["status"] == "installed"
    assert found["tiny.safetensors"]["status"] == "failed"
    assert "queue done without a result for it" in found["tiny.safetensors"]["reason"]


def test_installing_nothing_because_every_item_was_skipped_says_so_and_fails(run_cli, manager4, model_url,
                                                                             tmp_path):
    wf = workflow(tmp_path, node="NobodysNode")
    text = run_cli("deps", "install", wf, "--yes", server=manager4, env={"COLUMNS": "300"})
    assert text.exit_code == ExitCode.NOT_FOUND
    assert "nothing was installed: 2 items skipped" in text.stderr
    assert "NobodysNode" in text.stdout and "--model-url" in text.stdout  # each skipped item says why
    document = run_cli("deps", "install", wf, "--yes", "--json", server=manager4).json()
    assert document["error"]["code"] == "not_found"
    assert {i["status"] for i in document["data"]["items"]} == {"skipped"}
    assert not requests_to(manager4, "/queue/")

    partly = run_cli("deps", "install", wf, "--model-url", f"tiny.safetensors={model_url}", "--yes", "--json",
                     server=manager4)  # one item done, one skipped: something was installed
    assert partly.exit_code == 0, partly.stderr
    assert {i["name"]: i["status"] for i in partly.json()["data"]["items"]} == {
        "NobodysNode": "skipped", "tiny.safetensors": "installed"}


def test_the_plan_is_printed_once(run_cli, manager4, tmp_path):
    """With --yes nothing is asked, so the plan is not printed before the report that lists the same items;
    a run that asks prints it on stderr and the report on stdout."""
    offer(manager4)
    confirmed = run_cli("deps", "install", workflow(tmp_path), "--nodes", "--yes", server=manager4)
    assert confirmed.exit_code == 0, confirmed.stderr
    assert "plan (" not in confirmed.stderr and confirmed.stdout.count("fancy-pack") == 1
    skipped = run_cli("deps", "install", workflow(tmp_path, node="NobodysNode"), "--nodes", server=manager4)
    assert skipped.exit_code == ExitCode.NOT_FOUND  # nothing to ask about: no plan, no question
    assert "plan (" not in skipped.stderr and "NobodysNode" not in skipped.stderr
    assert [line.split()[1] for line in skipped.stdout.splitlines()[1:]] == ["NobodysNode"]  # the report, once


def test_a_model_folder_the_server_lacks_is_skipped_with_the_close_name(run_cli, model_url, tmp_path):
    """The workflow's own metadata names the folder of a custom loader's model; a folder the server does not
    have would be created by the Manager and never read by ComfyUI."""
    loader = {"input": {"required": {"weights": [[]]}}, "output": ["MODEL"], "output_is_list": [False],
              "output_name": ["MODEL"], "name": "PackLoader", "display_name": "Pack Loader",
              "category": "loaders", "output_node": False, "description": ""}
    node = {"id": 1, "type": "PackLoader", "mode": 0, "inputs": [], "outputs": [], "widgets_values": ["pack.pth"],
            "properties": {"models": [{"name": "pack.pth", "directory": "upscale_model", "url": model_url}]}}
    path = tmp_path / "editor.json"
    path.write_text(json.dumps({"last_node_id": 1, "last_link_id": 0, "nodes": [node], "links": [], "version": 0.4}))
    with FakeComfyUI(object_info={**recorded_catalog(), "PackLoader": loader}, manager="4") as server:
        result = run_cli("deps", "install", str(path), "--yes", "--json", server=server)
        assert not requests_to(server, "/queue/")
    assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
    reason = items(result)["pack.pth"]["reason"]
    assert reason.startswith("the workflow names model folder 'upscale_model', which the server does not have "
                             "(did you mean one of 'upscale_models', ")
    assert reason.endswith("; use deps models install --url URL --folder FOLDER")
