"""``deps nodes``, ``deps models install`` and ``deps restart`` against the fake Manager."""

from __future__ import annotations

import pytest

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.testing.fake_manager import Pack

from .helpers import requests_to


def install_packs(server: FakeComfyUI) -> None:
    """A registry pack, a disabled one and one cloned from git, all installed."""
    state = server.manager
    state.install_now(state.add_registry_pack("fancy-pack", ["FancyNode"], version="1.0.0"))
    state.install_now(Pack("sleepy-pack", "2.1.0", enabled=False))
    state.install_now(state.add_repository("https://github.com/someone/git-nodes", ["GitNode"]))


def test_nodes_list_shows_version_enabled_state_and_source(run_cli, managed):
    install_packs(managed)
    result = run_cli("deps", "nodes", "list", "--json", server=managed)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["packs"] == [
        {"id": "fancy-pack", "version": "1.0.0", "enabled": True, "cnr_id": "fancy-pack", "aux_id": None},
        {"id": "git-nodes", "version": "unknown", "enabled": True, "cnr_id": None, "aux_id": "someone/git-nodes"},
        {"id": "sleepy-pack", "version": "2.1.0", "enabled": False, "cnr_id": "sleepy-pack", "aux_id": None}]
    text = run_cli("deps", "nodes", "list", server=managed).stdout
    assert "ENABLED" in text and "someone/git-nodes" in text and "registry" in text


def test_no_packs(run_cli, manager4):
    assert "no custom node packs installed" in run_cli("deps", "nodes", "list", server=manager4).stdout


def test_enable_disable_update_and_uninstall(run_cli, managed):
    install_packs(managed)
    state = managed.manager
    assert run_cli("deps", "nodes", "enable", "sleepy-pack", server=managed).exit_code == 0
    assert state.installed["sleepy-pack"].enabled is True
    assert run_cli("deps", "nodes", "disable", "fancy-pack", server=managed).exit_code == 0
    assert state.installed["fancy-pack"].enabled is False
    state.add_registry_pack("fancy-pack", ["FancyNode"], version="1.1.0")
    updated = run_cli("deps", "nodes", "update", "fancy-pack", "--json", server=managed)
    assert updated.exit_code == 0, updated.stderr
    assert updated.json()["data"]["items"][0]["status"] == "updated" and state.installed["fancy-pack"].version == "1.1.0"
    removed = run_cli("deps", "nodes", "uninstall", "someone/git-nodes", "--yes", server=managed)
    assert removed.exit_code == 0, removed.stderr
    assert "git-nodes" not in state.installed
    assert "restart ComfyUI to load it" in removed.stdout


def test_uninstall_asks_first_and_unknown_packs_are_not_found(run_cli, manager4):
    install_packs(manager4)
    refused = run_cli("deps", "nodes", "uninstall", "fancy-pack", server=manager4)
    assert refused.exit_code == ExitCode.USAGE and "fancy-pack" in manager4.manager.installed
    missing = run_cli("deps", "nodes", "disable", "nope", "--json", server=manager4)
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert "deps nodes list" in missing.json()["error"]["hint"]
    already = run_cli("deps", "nodes", "enable", "fancy-pack", "--json", server=manager4)
    assert already.exit_code == 0 and already.json()["data"]["items"][0]["status"] == "skipped"
    assert not requests_to(manager4, "/queue/task")


def test_a_refused_node_action_is_a_failure_with_the_setting(run_cli, managed):
    install_packs(managed)
    managed.manager.security_level = "strong"
    result = run_cli("deps", "nodes", "disable", "fancy-pack", "--json", server=managed)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert result.json()["data"]["items"][0]["security_denied"] is True
    assert "security_level" in result.json()["error"]["hint"]
    assert managed.manager.installed["fancy-pack"].enabled is True


def test_models_install_downloads_from_a_url_into_the_folder(run_cli, managed, model_url):
    managed.manager.model_list.append({"name": "tiny", "type": "checkpoints", "base": "SD1.5",
                                       "save_path": "default", "url": model_url, "filename": "tiny.safetensors"})
    result = run_cli("deps", "models", "install", "--url", model_url, "--folder", "checkpoints", "--json",
                     server=managed)
    assert result.exit_code == 0, result.stderr
    item = result.json()["data"]["items"][0]
    assert (item["name"], item["folder"], item["status"]) == ("tiny.safetensors", "checkpoints", "installed")
    assert result.json()["data"]["restart_needed"] is False
    assert run_cli("models", "list", "checkpoints", "--json", server=managed).stdout.count("tiny.safetensors") == 1


def test_models_install_under_another_name_on_4x(run_cli, manager4, model_url):
    result = run_cli("deps", "models", "install", "--url", model_url, "--folder", "loras", "--name", "style.sft",
                     server=manager4)
    assert result.exit_code == 0, result.stderr
    assert manager4.models["loras"] == ["style.sft"]


def test_manager_3_only_installs_models_of_its_list(run_cli, model_url):
    with FakeComfyUI(manager="3") as server:
        result = run_cli("deps", "models", "install", "--url", model_url, "--folder", "checkpoints", "--json",
                         server=server)
        assert not requests_to(server, "/queue/install_model")
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert "model list" in result.json()["data"]["items"][0]["reason"]


@pytest.mark.parametrize("dialect", ["4", "3"])
def test_models_install_refuses_a_folder_the_server_lacks_and_names_the_close_one(run_cli, model_url, dialect):
    """The Manager would create 'chekpoints' and report success; ComfyUI never reads such a folder."""
    with FakeComfyUI(manager=dialect) as server:
        server.manager.model_list.append({"name": "tiny", "type": "checkpoints", "base": "SD1.5",
                                          "save_path": "chekpoints", "url": model_url,
                                          "filename": "tiny.safetensors"})
        result = run_cli("deps", "models", "install", "--url", model_url, "--folder", "chekpoints", "--json",
                         server=server)
        assert not requests_to(server, "/queue/") and "chekpoints" not in server.models
    assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
    error = result.json()["error"]
    assert "has no model folder 'chekpoints'" in error["message"] and error["hint"] == "did you mean 'checkpoints'?"
    assert "checkpoints" in error["details"]["folders"]


@pytest.mark.parametrize("args", [("--url", "file:///etc/passwd", "--folder", "checkpoints"),
                                  ("--url", "http://h/x.safetensors", "--folder", "../x"),
                                  ("--url", "http://h/", "--folder", "checkpoints")])
def test_models_install_refuses_what_the_manager_would_misplace(run_cli, manager4, args):
    assert run_cli("deps", "models", "install", *args, server=manager4).exit_code == ExitCode.USAGE
    assert not requests_to(manager4, "/queue/")


def test_restart_waits_for_the_server_to_come_back_with_the_new_classes(run_cli, managed):
    managed.manager.install_now(managed.manager.add_registry_pack("fancy-pack", ["FancyNode"]))
    result = run_cli("deps", "restart", "--wait", "--json", server=managed)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["new_classes"] == ["FancyNode"] and data["went_away"] is True
    assert managed.manager.reboots == 1
    assert requests_to(managed, "/manager/reboot")[0].method == "POST"
    text = run_cli("deps", "restart", "--wait", server=managed)
    assert "ComfyUI is back" in text.stdout and "0 new node classes" in text.stdout


def test_restart_without_a_websocket_polls_until_the_server_is_back(run_cli, manager4):
    manager4.faults.refuse_websocket = True
    # Without a socket the restart is seen by polling, so the server must be down for longer than a
    # poll takes (a real ComfyUI is away for 10-20 s; the fake's default 0.2 s can fall between polls).
    manager4.manager.reboot_delay = 1.5
    manager4.manager.install_now(manager4.manager.add_registry_pack("fancy-pack", ["FancyNode"]))
    result = run_cli("deps", "restart", "--wait", "--json", server=manager4)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["new_classes"] == ["FancyNode"]


def test_a_server_that_does_not_come_back_is_a_timeout(run_cli, manager4):
    manager4.manager.reboot_delay = 60
    result = run_cli("deps", "restart", "--wait", "--timeout", "1", server=manager4)
    assert result.exit_code == ExitCode.TIMEOUT and "did not answer again" in result.stderr


def test_restart_without_waiting_and_with_get_on_manager_3_39(run_cli):
    with FakeComfyUI(manager="3.39") as server:
        result = run_cli("deps", "restart", server=server)
        server.wait_rebooted()
        assert result.exit_code == 0 and "restarting" in result.stdout
        assert [r.method for r in requests_to(server, "/manager/reboot")] == ["GET"]  # once: never retried
        assert server.manager.reboots == 1


def test_a_refused_restart_names_the_setting(run_cli, managed):
    managed.manager.security_level = "strong"
    result = run_cli("deps", "restart", "--wait", server=managed)
    assert result.exit_code == ExitCode.REJECTED
    assert "security_level" in result.stderr and managed.manager.reboots == 0


@pytest.mark.parametrize("socket", [True, False])
def test_a_server_that_never_went_away_did_not_restart(run_cli, manager4, socket):
    manager4.manager.reboot_ignored = True
    manager4.faults.refuse_websocket = not socket
    result = run_cli("deps", "restart", "--wait", "--timeout", "1", "--json", server=manager4)
    assert result.exit_code == ExitCode.SERVER_ERROR, result.stderr
    document = result.json()
    assert document["data"]["restarted"] is False and document["data"]["went_away"] is False
    assert document["error"]["code"] == "server_error" and "did not restart" in document["error"]["message"]
    text = run_cli("deps", "restart", "--wait", "--timeout", "1", server=manager4)
    assert "ComfyUI did not restart" in text.stderr and "may have refused" in text.stderr
    assert "is back" not in text.stdout and manager4.manager.reboots == 0
