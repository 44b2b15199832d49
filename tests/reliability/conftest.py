"""Fixtures of the reliability suite: the run plugin's workflows and drained fake, plus helpers that
watch the fake server's state (never blind sleeps)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.scripted_server import ScriptedServer
from tests.run.conftest import fake_comfy, journal_lines, workflow_file  # noqa: F401 (fixtures)

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 5000
"""The body of a stand-in output file."""

#: How long a watcher waits for the state it expects before the test fails.
PATIENCE = 20.0


def wait_for(condition: Callable[[], Any], what: str, patience: float = PATIENCE,
             child: subprocess.Popen | None = None) -> Any:
    """Poll ``condition`` until it returns something truthy; fail the test after ``patience`` s, or at
    once (with its output) if the ``child`` process it waits on has ended."""
    end = time.monotonic() + patience
    while True:
        value = condition()
        if value:
            return value
        if child is not None and child.poll() is not None:
            stdout, stderr = child.communicate()
            raise AssertionError(f"the child ended (exit {child.returncode}) before {what}: {stdout}{stderr}")
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


def running_prompt(fake: Any) -> str | None:
    """The id of the prompt the fake executes now, if any."""
    running = fake.queue_snapshot()["queue_running"]
    return running[0][1] if running else None


@pytest.fixture
def in_background() -> Iterator[Callable[[Callable[[], None]], None]]:
    """``in_background(fn)`` runs ``fn`` on a thread; the test fails if it raised."""
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def start(function: Callable[[], None]) -> None:
        def target() -> None:
            try:
                function()
            except BaseException as exc:  # reported by the fixture
                errors.append(exc)
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join(PATIENCE)
    if errors:
        raise errors[0]


@pytest.fixture
def subprocess_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The environment of a CLI child process: the isolated dirs and nothing of the user's."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}


CLI = [sys.executable, "-m", "comfyui_skill"]
TOKEN = "tok-never-leak-8d2e51a0"


@pytest.fixture
def guarded(cli_env: dict[str, str], fake_comfy: Any) -> Iterator[dict[str, str]]:
    """Server 'guarded': the fake, requiring TOKEN. Yields the environment that gives the CLI the token."""
    fake_comfy.config.require_token = TOKEN
    config = Path(cli_env["COMFYUI_SKILL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[servers.guarded]\nurl = "{fake_comfy.url}"\n')
    yield {"COMFYUI_SKILL_SERVER_GUARDED_TOKEN": TOKEN}
    fake_comfy.config.require_token = None


@pytest.fixture
def other_host() -> Iterator[ScriptedServer]:
    """Another host (a storage bucket, a redirect target): a scripted server that records what it gets."""
    with ScriptedServer() as server:
        yield server


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative paths (temporary files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
