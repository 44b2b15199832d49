"""``plugins install|uninstall|upgrade``: the paths that need no package index (the slow venv test
installs and uninstalls for real)."""

from __future__ import annotations

from pathlib import Path

from comfyui_skill.testing import CliRunner


def test_credentials_in_a_package_url_are_refused(run_cli: CliRunner) -> None:
    result = run_cli("plugins", "install", "git+https://me:hunter2@example.invalid/p.git", "--json")
    assert result.exit_code == 2
    assert "hunter2" not in result.stdout + result.stderr
    assert "process list" in result.json()["error"]["message"]


def test_index_url_never_reaches_the_pip_command_line(run_cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-project"
    result = run_cli("plugins", "install", str(missing), "--index-url", "https://me:hunter2@127.0.0.1:9/simple",
                     "-v", "--json")
    assert "running " in result.stderr and "-m pip install" in result.stderr  # the command line, shown with -v
    assert "hunter2" not in result.stdout + result.stderr


def test_a_pip_failure_is_an_error_quoting_pip(run_cli: CliRunner, tmp_path: Path) -> None:
    result = run_cli("plugins", "install", str(tmp_path / "no-such-project"), "--json")
    assert result.exit_code == 1
    error = result.json()["error"]
    assert error["message"].startswith("pip install failed")
    assert error["details"]["pip_exit_code"] != 0 and error["details"]["pip_output"]
    assert "Traceback" not in result.stderr


def test_install_and_upgrade_need_something_to_do(run_cli: CliRunner) -> None:
    assert run_cli("plugins", "install").exit_code == 2
    nothing = run_cli("plugins", "upgrade", "--json")
    assert nothing.exit_code == 2 and "--all" in nothing.json()["error"]["message"]


def test_uninstall_asks_and_never_blocks_without_a_terminal(run_cli: CliRunner) -> None:
    result = run_cli("plugins", "uninstall", "comfyui-skill-anything")
    assert result.exit_code == 2 and "--yes" in result.stderr


def test_uninstalling_the_core_is_refused(run_cli: CliRunner) -> None:
    result = run_cli("plugins", "uninstall", "comfyui_skill", "--yes")
    assert result.exit_code == 2 and "itself" in result.stderr
