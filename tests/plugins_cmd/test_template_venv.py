"""Done means: a plugin made by ``plugins new`` installs into a fresh environment beside the core, shows
in ``plugins list``, runs its command and passes its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]


def run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.slow
def test_new_plugin_installs_lists_runs_and_passes_its_tests(tmp_path: Path, run_cli: CliRunner,
                                                             cli_env: dict[str, str]) -> None:
    project = tmp_path / "project"
    created = run_cli("plugins", "new", "demo-thing", "--backend", "-o", str(project))
    assert created.exit_code == 0, created.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMFYUI_SKILL_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(cli_env)
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], env)
    assert made.returncode == 0, made.stderr
    python, cli = venv / "bin" / "python", venv / "bin" / "comfyui-skill"
    core = run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e",
                f"{ROOT}[testing]"], env)
    assert core.returncode == 0, core.stdout + core.stderr

    installed = run([str(cli), "plugins", "install", "-e", str(project), "--json"], env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert json.loads(installed.stdout)["data"]["plugins_added"] == ["demo-thing"]

    listed = json.loads(run([str(cli), "plugins", "list", "--json"], env).stdout)["data"]
    plugin = next(p for p in listed if p["name"] == "demo-thing")
    assert (plugin["status"], plugin["distribution"], plugin["builtin"]) == ("active", "comfyui-skill-demo-thing",
                                                                            False)
    assert plugin["hooks"] == ["comfyui_skill_commands", "comfyui_skill_mcp_tools", "comfyui_skill_server_kinds",
                               "comfyui_skill_settings"]

    greeted = run([str(cli), "demo-thing", "greet", "you", "--json"], env)
    assert json.loads(greeted.stdout)["data"] == {"greeting": "hi, you"}

    tested = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], env, cwd=project)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout

    refused = run([str(cli), "plugins", "uninstall", "demo-thing"], env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    removed = run([str(cli), "plugins", "uninstall", "demo-thing", "--yes", "--json"], env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert json.loads(removed.stdout)["data"]["plugins_removed"] == ["demo-thing"]
    after = json.loads(run([str(cli), "plugins", "list", "--json"], env).stdout)["data"]
    assert "demo-thing" not in {p["name"] for p in after}
