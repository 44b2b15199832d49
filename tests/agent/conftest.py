"""The agent tests reuse the run plugin's fixtures (a drained fake server, workflow files) and add a
third-party plugin module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..run.conftest import fake_comfy, workflow_file  # noqa: F401 - pytest fixtures

EXTRA_PLUGIN = '''
from comfyui_skill import Command, hookimpl

def configure(parser):
    parser.add_argument("frob_level", type=int, choices=[1, 2, 3], help="how hard")
    parser.add_argument("--frob-mode", choices=["soft", "hard"], default="soft")
    parser.set_defaults(handler=lambda ctx, args: None)

@hookimpl
def comfyui_skill_commands():
    return [Command("frob", "frobnicate the server", configure=configure)]
'''


@pytest.fixture
def extra_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The name of an importable third-party plugin module adding a 'frob' command (unloaded afterwards)."""
    name = "agent_tests_frob_plugin"
    (tmp_path / f"{name}.py").write_text(EXTRA_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)
