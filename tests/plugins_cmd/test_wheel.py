"""The wheel carries what ``plugins new`` and ``man`` need: the template renders from an unpacked wheel."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_plugins_new_renders_from_the_wheel(tmp_path: Path, cli_env: dict[str, str]) -> None:
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation,
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    wheel = zipfile.ZipFile(next((tmp_path / "dist").glob("comfyui_skill-*.whl")))
    names = set(wheel.namelist())
    assert any(n.endswith(".data/data/share/man/man1/comfyui-skill.1") for n in names)
    assert "comfyui_skill_plugins/template/.github/workflows/ci.yml" in names
    site = tmp_path / "site"
    wheel.extractall(site)

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}
    env.update(cli_env, PYTHONPATH=str(site))
    code = "import comfyui_skill_plugins, sys; print(comfyui_skill_plugins.__file__)"
    where = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr  # not the source checkout
    created = subprocess.run([sys.executable, "-m", "comfyui_skill", "plugins", "new", "from-wheel", "-o",
                              str(tmp_path / "project")], env=env, capture_output=True, text=True, check=False)
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "project" / "comfyui_skill_from_wheel" / "commands.py").is_file()
    assert (tmp_path / "project" / ".github" / "workflows" / "ci.yml").is_file()
