"""``local launch``: a real stand-in ComfyUI process started in the background, waited for, and
made the configured server; failures to start explained from its log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill_launcher.diagnosis import explain
from comfyui_skill_launcher.process import first_free_port, wait_for

from .conftest import argv_seen, runs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in's checks use POSIX signals")


def test_launch_waits_until_it_answers_and_becomes_the_default_server(local: CliRunner, checkout: Path,
                                                                       python: str, port: int) -> None:
    result = local("local", "launch", str(checkout), "--python", python, "--port", str(port), "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["url"] == f"http://127.0.0.1:{port}" and data["running"] and data["version"] == "0.33.0"
    assert runs(data)
    assert argv_seen(checkout) == ["--listen", "127.0.0.1", "--port", str(port)]
    # every other command now talks to it, without --url
    status = local("server", "status", "--json")
    assert status.exit_code == 0 and status.json()["data"][0]["url"] == data["url"]
    assert local("config", "get", "default_server").stdout.strip() == "local"
    shown = local("local", "status", "--name", "local", "--json").json()["data"][0]
    assert shown["running"] and shown["answers"] and shown["pid"] == data["pid"] and shown["uptime"] >= 0


def test_the_first_free_port_from_8188_is_taken_by_default(local: CliRunner, checkout: Path, python: str) -> None:
    data = local("local", "launch", str(checkout), "--python", python, "--json").json()["data"]
    assert data["port"] >= 8188
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert first_free_port(busy) not in (None, busy)


def test_path_python_and_options_are_remembered(local: CliRunner, checkout: Path, python: str, port: int,
                                               tmp_path: Path) -> None:
    base = tmp_path / "base"
    first = local("local", "launch", str(checkout), "--python", python, "--port", str(port), "--cpu",
                  "--enable-manager", "--", "--base-directory", str(base))
    assert first.exit_code == 0, first.stderr
    assert local("local", "stop").exit_code == 0
    again = local("local", "launch")  # no PATH, no options: as last time
    assert again.exit_code == 0, again.stderr
    assert argv_seen(checkout) == ["--listen", "127.0.0.1", "--port", str(port), "--cpu", "--enable-manager",
                                   "--base-directory", str(base)]
    assert local("local", "stop").exit_code == 0
    assert local("local", "launch", "--no-cpu", "--", "--base-directory", str(base)).exit_code == 0
    assert argv_seen(checkout) == ["--listen", "127.0.0.1", "--port", str(port), "--enable-manager",
                                   "--base-directory", str(base)]


def test_the_python_of_the_checkouts_venv_is_found(local: CliRunner, checkout: Path, python: str,
                                                   port: int) -> None:
    interpreter = checkout / ".venv" / "bin" / "python"
    interpreter.parent.mkdir(parents=True)
    interpreter.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
    interpreter.chmod(0o755)
    result = local("local", "launch", str(checkout), "--port", str(port), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["python"] == str(interpreter)


def test_no_python_environment_is_explained(local: CliRunner, checkout: Path) -> None:
    result = local("local", "launch", str(checkout))
    assert result.exit_code == 7
    assert "no Python environment for ComfyUI" in result.stderr and "--python" in result.stderr


def test_a_folder_without_main_py_is_not_comfyui(local: CliRunner, tmp_path: Path, python: str) -> None:
    result = local("local", "launch", str(tmp_path), "--python", python)
    assert result.exit_code == 7 and "has no main.py" in result.stderr


def test_launch_without_a_path_the_first_time_says_what_to_give(local: CliRunner) -> None:
    result = local("local", "launch")
    assert result.exit_code == 2 and "local launch PATH" in result.stderr


def test_a_crash_at_start_up_shows_the_log_and_the_cause(local: CliRunner, checkout: Path, python: str,
                                                         port: int) -> None:
    result = local("local", "launch", str(checkout), "--python", python, "--port", str(port),
                   "--", "--standin-import", "torch")
    assert result.exit_code == 9
    assert "| ModuleNotFoundError: No module named 'torch'" in result.stderr
    assert "stopped during start-up (exit code 1): PyTorch (torch) is not installed" in result.stderr
    assert "--torch cpu" in result.stderr
    state = local("local", "status", "--json").json()["data"][0]
    assert not state["running"] and state["pid"] is None
    as_json = local("local", "launch", "--json").json()["error"]
    assert as_json["code"] == "server_error" and as_json["details"]["log_tail"][-1].startswith("ModuleNotFound")


def test_a_port_already_taken_is_refused_before_anything_starts(local: CliRunner, checkout: Path,
                                                               python: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = local("local", "launch", str(checkout), "--python", python, "--port", str(busy))
    assert result.exit_code == 2 and f"port {busy} is already in use" in result.stderr
    assert not (checkout / "standin-argv.json").exists()


def test_a_port_lost_to_another_program_during_start_up_is_named_as_the_cause() -> None:
    """What ComfyUI's aiohttp prints when another program took the port between the check and the bind."""
    with FakeComfyUI() as other:
        port = other.port
        with pytest.raises(OSError) as raised:
            FakeComfyUI(port=port).start()
    cause, hint = explain([f"OSError: {raised.value}"], port=port, path="/c", python="/py")
    assert cause == f"port {port} is already in use by another program" and "--port" in str(hint)


def test_a_missing_requirement_is_named(tmp_path: Path) -> None:
    cause, hint = explain(["ModuleNotFoundError: No module named 'aiohttp.web'"], port=1, path="/c", python="/py")
    assert cause == "the Python package 'aiohttp' that ComfyUI needs is not installed for /py"
    assert "local install /c" in str(hint)


def test_a_start_that_never_answers_times_out_and_keeps_running(local: CliRunner, checkout: Path, python: str,
                                                                port: int) -> None:
    result = local("local", "launch", str(checkout), "--python", python, "--port", str(port), "--name", "slow",
                   "--timeout", "0.5", "--", "--standin-hang")
    assert result.exit_code == 6
    assert "did not answer within 0.5 s; it is still starting" in result.stderr
    assert "comfyui-skill local stop --name slow" in result.stderr
    status = local("local", "status", "--name", "slow")
    assert status.exit_code == 3 and "does not answer" in status.stderr
    assert local("local", "stop", "--name", "slow").exit_code == 0


def test_launching_what_already_runs_is_refused(local: CliRunner, checkout: Path, python: str, port: int) -> None:
    assert local("local", "launch", str(checkout), "--python", python, "--port", str(port)).exit_code == 0
    again = local("local", "launch")
    assert again.exit_code == 2 and "already running" in again.stderr and "local restart" in again.stderr


def test_a_server_the_user_configured_elsewhere_is_not_repointed(local: CliRunner, checkout: Path,
                                                               python: str) -> None:
    assert local("server", "add", "local", "http://gpu.example:8188").exit_code == 0
    result = local("local", "launch", str(checkout), "--python", python)
    assert result.exit_code == 2 and "already configured at http://gpu.example:8188" in result.stderr
    assert not (checkout / "standin-argv.json").exists()
    assert local("config", "get", "servers.local.url").stdout.strip() == "http://gpu.example:8188"


def test_the_port_cannot_be_given_after_the_double_dash(local: CliRunner, checkout: Path, python: str) -> None:
    result = local("local", "launch", str(checkout), "--python", python, "--", "--port=9000")
    assert result.exit_code == 2 and "give the port with --port" in result.stderr


def test_no_default_keeps_the_default_server(local: CliRunner, checkout: Path, python: str, port: int) -> None:
    assert local("server", "add", "gpu", "http://gpu.example:8188", "--default").exit_code == 0
    result = local("local", "launch", str(checkout), "--python", python, "--port", str(port), "--no-default")
    assert result.exit_code == 0, result.stderr
    assert local("config", "get", "default_server").stdout.strip() == "gpu"
    assert local("config", "get", "servers.local.url").stdout.strip() == f"http://127.0.0.1:{port}"


def test_names_that_cannot_be_file_or_server_names_are_refused(local: CliRunner, checkout: Path) -> None:
    result = local("local", "launch", str(checkout), "--name", "../x")
    assert result.exit_code == 2 and "cannot name a local ComfyUI" in result.stderr


def test_ctrl_c_while_waiting_stops_what_was_being_started(local: CliRunner, checkout: Path, python: str, port: int,
                                                          cli_env: dict[str, str]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}
    record = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "local" / "local.json"
    cli = subprocess.Popen([str(Path(sys.executable).with_name("comfyui-skill")), "local", "launch", str(checkout),
                            "--python", python, "--port", str(port), "--json", "--", "--standin-hang"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: record.exists() and (checkout / "standin-argv.json").exists(), 60)
        started = json.loads(record.read_text())
        assert runs(started)
        cli.send_signal(signal.SIGINT)
        out, _err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 130 and json.loads(out)["error"]["code"] == "interrupted"
    assert not runs(started)
    assert json.loads(record.read_text())["pid"] is None
