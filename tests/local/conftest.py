"""Fixtures for ``comfyui-skill local``: a stand-in ComfyUI checkout, a free port, and a clean-up
that stops whatever a test launched."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner
from comfyui_skill_launcher.process import same_process

from .standin import make_checkout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return make_checkout(tmp_path / "ComfyUI")


@pytest.fixture
def python() -> str:
    """The interpreter that runs the stand-in (it imports the fake ComfyUI from this environment)."""
    return sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def local(run_cli: CliRunner, cli_env: dict[str, str]) -> Iterator[CliRunner]:
    """``run_cli`` for tests that launch: every process still recorded at the end is stopped."""
    yield run_cli
    run_cli("local", "stop", "--all", "--grace", "5")
    for record in (Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "local").glob("*.json"):
        state = json.loads(record.read_text())
        if state.get("pid") and same_process(state["pid"], state["process_started"], state["arguments"]):
            os.killpg(state["pid"], signal.SIGKILL)  # the command itself failed: leave no process behind


def argv_seen(folder: Path) -> list[str]:
    """The arguments the stand-in was started with (it writes them down first thing)."""
    return json.loads((folder / "standin-argv.json").read_text())


def runs(launched: dict) -> bool:
    """Whether the process a launch reported still runs (by PID, start time and command line: on a
    busy machine its PID may already belong to another program)."""
    return same_process(launched["pid"], launched["process_started"], launched["arguments"])
