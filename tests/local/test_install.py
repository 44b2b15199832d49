"""``local install`` and ``local update`` from a stand-in ComfyUI repository: no network (pip may
not use an index), no PyTorch (``--torch skip``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner
from comfyui_skill_launcher.install import space_shortfall
from comfyui_skill_launcher.installs import venv_python

from .conftest import free_port
from .standin import commit

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in's checks use POSIX signals")


def imports(python: Path, module: str) -> bool:
    return subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0


def test_install_from_a_local_repository_then_launch(local: CliRunner, checkout: Path, tmp_path: Path,
                                                   python: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    target = tmp_path / "installed"
    result = local("local", "install", str(target), "--from", str(checkout), "--torch", "skip",
                   "--with-manager", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["steps"] == {"clone": "cloned", "torch": "skipped", "requirements": "installed (left out: torchsde)",
                             "manager": "installed"}
    venv = venv_python(target / ".venv")
    assert data["python"] == str(venv) and imports(venv, "standin_dep") and imports(venv, "standin_manager")
    assert not imports(venv, "torch")
    assert (target / ".git").is_dir() and not (tmp_path / ".installed.partial").exists()
    # remembered: 'local launch' needs no PATH (the stand-in needs this project's Python to run)
    launched = local("local", "launch", "--python", python, "--port", str(free_port()), "--json")
    assert launched.exit_code == 0, launched.stderr
    assert launched.json()["data"]["path"] == str(target) and launched.json()["data"]["manager"] is True
    # update is refused while it runs
    refused = local("local", "update")
    assert refused.exit_code == 2 and "stop it before updating" in refused.stderr
    assert local("local", "stop").exit_code == 0
    (checkout / "NEW").write_text("a change upstream\n")
    subprocess.run(["git", "-C", str(checkout), "add", "NEW"], check=True)
    commit(checkout, "upstream moves on")
    updated = local("local", "update", "--json")
    assert updated.exit_code == 0, updated.stderr
    moved = updated.json()["data"]
    assert moved["before"] != moved["after"] and (target / "NEW").is_file()


def test_a_second_run_finishes_what_a_cut_one_left(local: CliRunner, checkout: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    target = tmp_path / "ComfyUI-2"
    cut = local("local", "install", str(target), "--from", str(checkout), "--torch", "skip",
                "--python", str(tmp_path / "no-such-python"))
    assert cut.exit_code == 7 and "no Python interpreter" in cut.stderr
    assert (target / "main.py").is_file() and not (target / ".venv").exists()  # cut after the clone
    (tmp_path / ".ComfyUI-2.partial").mkdir()  # and a clone cut in the middle, as Ctrl-C leaves it
    again = local("local", "install", str(target), "--from", str(checkout), "--torch", "skip")
    assert again.exit_code == 0, again.stderr
    assert "ComfyUI is already cloned" in again.stderr and "installing ComfyUI's requirements" in again.stderr
    assert imports(venv_python(target / ".venv"), "standin_dep")


def test_a_ref_is_checked_out(local: CliRunner, checkout: Path, tmp_path: Path) -> None:
    first = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    (checkout / "LATER").write_text("x\n")
    subprocess.run(["git", "-C", str(checkout), "add", "LATER"], check=True)
    commit(checkout, "later")
    target = tmp_path / "pinned"
    result = local("local", "install", str(target), "--from", str(checkout), "--ref", first, "--torch", "skip",
                   "--python", str(tmp_path / "none"))  # stops at the venv: the clone is what is checked
    assert result.exit_code == 7
    assert not (target / "LATER").exists() and (target / "main.py").is_file()
    bad = local("local", "install", str(tmp_path / "bad"), "--from", str(checkout), "--ref", "no-such-tag",
                "--torch", "skip")
    assert bad.exit_code == 2 and "the --ref is not in that repository" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_the_torch_choice_is_required(local: CliRunner, tmp_path: Path) -> None:
    result = local("local", "install", str(tmp_path / "x"))
    assert result.exit_code == 2 and "choose the PyTorch to install with --torch" in result.stderr
    assert not (tmp_path / "x").exists()


def test_a_folder_holding_something_else_is_left_alone(local: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = local("local", "install", str(tmp_path / "mine"), "--torch", "skip")
    assert result.exit_code == 2 and "not empty and holds no ComfyUI" in result.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_a_source_that_is_not_a_repository(local: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    result = local("local", "install", str(tmp_path / "x"), "--from", str(tmp_path / "plain"), "--torch", "skip")
    assert result.exit_code == 2 and "the source is not a git repository" in result.stderr


def test_git_missing_is_explained(local: CliRunner, tmp_path: Path) -> None:
    result = local("local", "install", str(tmp_path / "x"), "--torch", "skip", env={"PATH": str(tmp_path)})
    assert result.exit_code == 1 and "git is needed to install ComfyUI" in result.stderr


def test_update_of_a_pinned_checkout_needs_a_ref(local: CliRunner, checkout: Path, python: str) -> None:
    ref = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    subprocess.run(["git", "-C", str(checkout), "checkout", "-q", ref], check=True)
    assert local("local", "launch", str(checkout), "--python", python, "--port", str(free_port())).exit_code == 0
    assert local("local", "stop").exit_code == 0
    result = local("local", "update")
    assert result.exit_code == 2 and "not on a branch" in result.stderr


def test_disk_space_is_checked_by_the_size_of_the_torch_choice() -> None:
    assert space_shortfall(20 << 30, "cuda") is None
    assert space_shortfall(2 << 30, "cuda") == ("an install with --torch cuda needs about 10.0 GiB, "
                                                "only 2.0 GiB is free")
    assert space_shortfall(2 << 30, "skip") is None
