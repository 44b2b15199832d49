"""``local stop|restart|status|logs``: only the recorded process is ever signalled, gracefully
first; several instances run side by side under their names."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner
from comfyui_skill_launcher.process import process_info, wait_for

from .conftest import free_port, runs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in's checks use POSIX signals")


def launched(local: CliRunner, checkout: Path, python: str, *extra: str, name: str = "local") -> dict:
    result = local("local", "launch", str(checkout), "--python", python, "--port", str(free_port()),
                   "--name", name, "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()["data"]


def test_stop_ends_the_process_and_status_says_so(local: CliRunner, checkout: Path, python: str) -> None:
    data = launched(local, checkout, python)
    stopped = local("local", "stop", "--json")
    assert stopped.exit_code == 0 and stopped.json()["data"] == {"name": "local", "outcome": "stopped",
                                                                 "pid": data["pid"], "port": data["port"]}
    assert not runs(data)
    assert "Stopped server" in local("local", "logs").stdout  # it ended gracefully, as on Ctrl-C
    status = local("local", "status", "--json").json()["data"][0]
    assert not status["running"] and status["pid"] is None and status["port"] == data["port"]
    again = local("local", "stop")
    assert again.exit_code == 0 and "is not running" in again.stdout


def test_a_process_that_ignores_the_request_is_killed_after_the_grace(local: CliRunner, checkout: Path,
                                                                      python: str) -> None:
    data = launched(local, checkout, python, "--", "--standin-ignore-sigterm")
    stopped = local("local", "stop", "--grace", "0.5", "--json")
    assert stopped.json()["data"]["outcome"] == "killed"
    assert not runs(data)


def test_a_reused_pid_is_never_signalled(local: CliRunner, checkout: Path, python: str, cli_env: dict) -> None:
    launched(local, checkout, python)
    assert local("local", "stop").exit_code == 0
    record = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "local" / "local.json"
    other = subprocess.Popen([python, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        info = process_info(other.pid)
        assert info is not None
        state = json.loads(record.read_text())
        # the PID now belongs to another program: same PID, but another start time or command line
        for started, arguments in ((info.started, state["arguments"] or ["main.py"]), ("1", ["-c", "x"])):
            state.update(pid=other.pid, process_started=started, arguments=arguments)
            record.write_text(json.dumps(state))
            result = local("local", "stop", "--grace", "0.5", "--json")
            assert result.json()["data"]["outcome"] == "not_running"
            assert other.poll() is None, "a process this tool did not start was signalled"
    finally:
        other.communicate(b"")


def test_restart_starts_it_again_on_the_same_port(local: CliRunner, checkout: Path, python: str) -> None:
    first = launched(local, checkout, python, "--cpu")
    result = local("local", "restart", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["stopped"]["outcome"] == "stopped" and data["stopped"]["pid"] == first["pid"]
    assert data["pid"] != first["pid"] and data["port"] == first["port"] and data["cpu"]
    assert not runs(first) and runs(data)
    assert local("server", "status").exit_code == 0


def test_restart_of_a_stopped_instance_starts_it(local: CliRunner, checkout: Path, python: str) -> None:
    launched(local, checkout, python)
    assert local("local", "stop").exit_code == 0
    result = local("local", "restart")
    assert result.exit_code == 0 and "is running at" in result.stdout and "stopped ComfyUI" not in result.stdout


def test_two_instances_side_by_side(local: CliRunner, checkout: Path, python: str) -> None:
    one = launched(local, checkout, python, name="one")
    two = launched(local, checkout, python, name="two")
    assert one["port"] != two["port"]
    assert local("-s", "one", "server", "status").exit_code == 0
    assert local("-s", "two", "server", "status").exit_code == 0
    assert local("local", "stop", "--name", "one").exit_code == 0
    states = {s["name"]: s for s in local("local", "status", "--json").json()["data"]}
    assert not states["one"]["running"] and states["two"]["running"] and states["two"]["answers"]
    assert local("-s", "two", "server", "status").exit_code == 0
    text = local("local", "status").stdout
    assert "one" in text and "stopped" in text and "running" in text
    stopped = local("local", "stop", "--all", "--json").json()["data"]
    assert [s["name"] for s in stopped] == ["two"]


def test_an_unknown_name_suggests_the_close_one(local: CliRunner, checkout: Path, python: str) -> None:
    launched(local, checkout, python, name="studio")
    for command in ("stop", "logs", "restart"):
        result = local("local", command, "--name", "stuido")
        assert result.exit_code == 7 and "did you mean 'studio'?" in result.stderr
    status = local("local", "status", "--name", "nothing")
    assert status.exit_code == 7


def test_logs_shows_the_processes_own_output(local: CliRunner, checkout: Path, python: str) -> None:
    data = launched(local, checkout, python)
    shown = local("local", "logs", "-n", "1", "--json").json()["data"]
    assert shown["lines"] == [f"To see the GUI go to: http://127.0.0.1:{data['port']}"]
    assert shown["log"] == data["log"]


def test_logs_follow_ends_when_the_process_ends(local: CliRunner, checkout: Path, python: str) -> None:
    launched(local, checkout, python)
    followed: dict = {}
    follower = threading.Thread(target=lambda: followed.update(result=local("local", "logs", "-f", "--json")))
    follower.start()
    assert local("local", "stop").exit_code == 0
    follower.join(timeout=60)
    assert not follower.is_alive()
    data = followed["result"].json()["data"]
    assert data["running"] is False and "Stopped server" in data["lines"]


def test_logs_follow_stops_at_its_timeout(local: CliRunner, checkout: Path, python: str) -> None:
    launched(local, checkout, python)
    result = local("local", "logs", "-f", "--timeout", "0.2", "--json")
    assert result.exit_code == 0 and result.json()["data"]["running"] is True


def test_logs_options_are_checked(local: CliRunner, checkout: Path, python: str) -> None:
    assert local("local", "logs", "-n", "-1").exit_code == 2
    assert local("local", "logs", "--timeout", "1").exit_code == 2


def test_the_previous_log_is_kept_once(local: CliRunner, checkout: Path, python: str) -> None:
    data = launched(local, checkout, python)
    assert local("local", "restart").exit_code == 0
    assert wait_for(lambda: Path(data["log"] + ".1").exists(), 5)
    assert "Stopped server" in Path(data["log"] + ".1").read_text()


def test_a_second_command_on_the_same_name_is_refused_while_one_runs(local: CliRunner, checkout: Path,
                                                                     python: str, cli_env: dict) -> None:
    launched(local, checkout, python)
    lock = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "local" / "local.lock"
    # another comfyui-skill command holding the lock of 'local' (as one that is launching it does)
    holder = subprocess.Popen(
        [python, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a+b'); fcntl.flock(f, fcntl.LOCK_EX); "
                       "print('locked', flush=True); sys.stdin.read()", str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        for command in (["stop"], ["restart"], ["launch"], ["forget"], ["update"],
                        ["install", str(checkout.parent / "other"), "--torch", "skip"]):
            result = local("local", *command)
            assert result.exit_code == 2 and "right now" in result.stderr, (command, result.stderr)
        assert not (checkout.parent / "other").exists()
        assert local("local", "status", "--name", "local").exit_code == 0  # reading needs no lock
    finally:
        holder.communicate("")
    assert local("local", "stop").exit_code == 0  # the lock ends with its holder


def test_forget_drops_the_record_and_logs_of_a_stopped_one(local: CliRunner, checkout: Path, python: str,
                                                          cli_env: dict) -> None:
    launched(local, checkout, python, name="studio")
    refused = local("local", "forget", "--name", "studio")
    assert refused.exit_code == 2 and "stop it first" in refused.stderr
    assert local("local", "restart", "--name", "studio").exit_code == 0  # leaves a NAME.log.1 too
    assert local("local", "stop", "--name", "studio").exit_code == 0
    forgotten = local("local", "forget", "--name", "studio", "--json")
    assert forgotten.exit_code == 0 and forgotten.json()["data"]["path"] == str(checkout)
    state = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "local"
    assert sorted(p.name for p in state.iterdir() if p.name.startswith("studio.") and p.suffix != ".lock") == []
    assert (checkout / "main.py").is_file()
    assert local("local", "status", "--name", "studio").exit_code == 7
    assert local("server", "show", "studio").exit_code == 0  # its server in the config stays
