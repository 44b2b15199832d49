"""No command waits for input without a terminal: every installed command, run with the smallest
valid command line and a standard input that records reads, finishes, prints a valid result and
only reads standard input when that is its documented job; confirmations need --yes."""

from __future__ import annotations

import contextlib
import json
import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from comfyui_skill import ERROR_CODES
from comfyui_skill.app import run

from .contract import assert_result

#: commands that install packages from a registry: not run here (their confirmation is tested below)
NETWORK = {"plugins install", "plugins upgrade"}
#: commands whose documented job is to read a secret from a piped standard input
READS_STDIN = {"cloud login"}
#: keep commands that follow something short
EXTRA = {"wait": ["--timeout", "2"]}
CONFIRMING = [("queue", "clear"), ("cancel", "--all"), ("config", "reset"), ("plugins", "uninstall", "some-pkg")]


class StdinTrap(io.StringIO):
    """A standard input that is not a terminal and counts every attempt to read it (getting EOF)."""

    def __init__(self) -> None:
        super().__init__("")
        self.reads = 0

    def isatty(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> str:
        self.reads += 1
        return ""

    def readline(self, size: int | None = -1) -> str:
        self.reads += 1
        return ""

    def __next__(self) -> str:
        self.reads += 1
        raise StopIteration


@pytest.fixture
def trapped(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run the CLI in-process with a :class:`StdinTrap` as ``sys.stdin`` and the command's stdin."""
    for key in [k for k in os.environ if k.startswith("COMFYUI_SKILL_")]:
        monkeypatch.delenv(key)
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)

    def call(*argv: str) -> tuple[int, Any, int]:
        trap = StdinTrap()
        monkeypatch.setattr(sys, "stdin", trap)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(argv), stdin=trap, environ=dict(cli_env))
        return int(code), out.getvalue(), trap.reads

    return call


def minimal_argv(command: dict[str, Any]) -> list[str]:
    argv = command["command"].split()
    for argument in command["arguments"]:
        nargs = argument["nargs"]
        if argument["positional"] and nargs not in ("?", "*"):
            value = str(argument["choices"][0]) if argument["choices"] else "x"
            argv += [value] * (nargs if isinstance(nargs, int) else 1)
        elif argument["required"]:
            argv += [argument["flags"][0], "x"]
    return argv + EXTRA.get(command["command"], [])


def test_no_command_reads_stdin_unasked(run_cli, fake_comfy, trapped) -> None:
    commands = run_cli("describe", "--json").json()["data"]["commands"]
    readers = set()
    ran = 0
    for command in commands:
        if not command["runnable"] or command["command"] in NETWORK:
            continue
        argv = minimal_argv(command)
        code, stdout, reads = trapped("--url", fake_comfy.url, *argv, "--json")
        document = assert_result(json.loads(stdout))
        if not document["ok"]:
            assert code == ERROR_CODES[document["error"]["code"]][0], (argv, document)
        if reads:
            readers.add(command["command"])
        ran += 1
    assert ran >= 50
    assert readers == READS_STDIN


def prepare(run_cli, fake, workflow_file, argv: tuple[str, ...]) -> None:
    """Give the confirming command something to ask about."""
    if argv == ("queue", "clear"):  # one prompt running, one pending
        fake.faults.hold_execution = True  # both stay on the server while the command is refused
        for width in (5, 6):
            run_cli("submit", workflow_file("W1", {"1": {"width": width}}), server=fake)
    elif argv == ("config", "reset"):  # a config file to move aside
        assert run_cli("config", "set", "output_dir", "/tmp/x").exit_code == 0


@pytest.mark.parametrize("argv", CONFIRMING, ids=" ".join)
def test_confirmations_fail_clearly_without_yes(run_cli, fake_comfy, trapped, workflow_file, argv) -> None:
    prepare(run_cli, fake_comfy, workflow_file, argv)
    code, stdout, reads = trapped("--url", fake_comfy.url, *argv, "--json")
    error = assert_result(json.loads(stdout))["error"]
    assert (code, error["code"], reads) == (2, "usage", 0)
    assert "--yes" in error["hint"] and "not an interactive terminal" in error["message"]
    if argv == ("queue", "clear"):
        assert len(fake_comfy.queue_snapshot()["queue_pending"]) == 1  # nothing was cleared


@pytest.mark.parametrize("argv", CONFIRMING[:3], ids=" ".join)
def test_yes_confirms(run_cli, fake_comfy, workflow_file, argv) -> None:
    prepare(run_cli, fake_comfy, workflow_file, argv)
    result = run_cli(*argv, "--yes", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
