"""Opt-in test helpers for comfyui-skill and its plugins (install ``comfyui-skill[testing]``).

Use them from a ``conftest.py`` with ``pytest_plugins = ["comfyui_skill.testing"]``. Fixtures:

* ``fake_comfy``: a :class:`~comfyui_skill.testing.fake_comfyui.FakeComfyUI` listening on a loopback
  port (HTTP and WebSocket), reproducing a real ComfyUI 0.33 from recordings;
* ``cli_env``: an isolated config, data and cache dir (no user file is read or written);
* ``run_cli``: runs ``comfyui-skill`` in-process and returns a :class:`CliResult`; pass
  ``server=fake_comfy`` to point it at the fake server, and ``terminal=True`` to have its stdout
  taken for a terminal (``$COLUMNS`` wide) rather than a pipe.

This module is never imported by the CLI itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..app import run
from ..plugins import PluginHost


@dataclass
class CliResult:
    """What one CLI invocation did."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The ``--json`` envelope printed on stdout."""
        return json.loads(self.stdout)

    def ndjson(self) -> list[dict[str, Any]]:
        """The lines of ``--output ndjson``."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


class CliRunner:
    """Runs the CLI in-process with an isolated environment."""

    def __init__(self, env: dict[str, str], host: PluginHost | None = None) -> None:
        self.env = env
        self.host = host

    def __call__(self, *argv: str, input: str | None = None, env: dict[str, str] | None = None,
                 server: Any = None, terminal: bool = False) -> CliResult:
        environ = {**self.env, **(env or {})}
        args: Sequence[str] = list(argv)
        if server is not None:
            args = ["--url", server.url, *args]
        out, err = TerminalCapture() if terminal else io.StringIO(), io.StringIO()
        stdin = io.StringIO(input or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _patched_environ(environ):
            code = run(args, host=self.host, stdin=stdin, environ=environ)
        return CliResult(int(code), out.getvalue(), err.getvalue())


class TerminalCapture(io.StringIO):
    """Captured output that says it is a terminal (as stdout on a terminal would)."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def _patched_environ(environ: dict[str, str]) -> Iterator[None]:
    """Code that reads ``os.environ`` directly (paths, helpers) sees the isolated environment too."""
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("COMFYUI_SKILL_") or k == "COMFY_API_KEY"]:
            patch.delenv(key)
        for key, value in environ.items():
            patch.setenv(key, value)
        yield


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment variables that confine config, data and cache to a temporary folder."""
    root = tmp_path / "comfyui-skill-home"
    return {
        "COMFYUI_SKILL_CONFIG": str(root / "config" / "config.toml"),
        "COMFYUI_SKILL_DATA_DIR": str(root / "data"),
        "COMFYUI_SKILL_CACHE_DIR": str(root / "cache"),
        "COMFYUI_SKILL_OUTPUT_DIR": str(root / "outputs"),  # runs without -o never write into the cwd
        "COMFYUI_SKILL_NO_CACHE": "1",
    }


@pytest.fixture
def run_cli(cli_env: dict[str, str]) -> CliRunner:
    """Run ``comfyui-skill`` in-process: ``run_cli("queue", "list", "--json", server=fake_comfy)``."""
    return CliRunner(cli_env)


@pytest.fixture
def fake_comfy() -> Iterator[Any]:
    """A fake ComfyUI server on a loopback port, stopped after the test."""
    from .fake_comfyui import FakeComfyUI

    with FakeComfyUI() as server:
        yield server
