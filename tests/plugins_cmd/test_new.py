"""``plugins new``: the rendered project, its variants, and the worked backend example at work."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from comfyui_skill.plugins import hook_names
from comfyui_skill.testing import CliRunner
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

PLAIN = {".github/workflows/ci.yml", ".gitignore", "LICENSE", "README.md", "pyproject.toml",
         "comfyui_skill_demo_x/__init__.py", "comfyui_skill_demo_x/commands.py", "tests/conftest.py",
         "tests/test_commands.py"}
BACKEND = {"comfyui_skill_demo_x/backend.py", "tests/test_backend.py"}


def render(run_cli: CliRunner, target: Path, *extra: str) -> dict:
    result = run_cli("plugins", "new", "demo-x", "-o", str(target), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()["data"]


def all_text(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_plain_project_has_names_substituted_and_every_hook(run_cli: CliRunner, tmp_path: Path) -> None:
    data = render(run_cli, tmp_path / "p")
    assert (data["distribution"], data["package"], data["backend"]) == ("comfyui-skill-demo-x", "comfyui_skill_demo_x",
                                                                        False)
    files = all_text(tmp_path / "p")
    assert set(files) == set(data["files"]) == PLAIN
    for name, text in files.items():
        assert "hello" not in text.lower(), f"template name left in {name}"
        assert ">>>" not in text and "<<<" not in text, f"block marker left in {name}"
        if name.endswith(".py"):
            ast.parse(text, name)
    assert '[project.entry-points.comfyui_skill]\ndemo-x = "comfyui_skill_demo_x"' in files["pyproject.toml"]
    package = files["comfyui_skill_demo_x/__init__.py"]
    for hook in hook_names():
        assert f"def {hook}(" in package, f"no example of {hook}"
    assert "\n# def comfyui_skill_server_kinds(" in package  # commented out without --backend
    assert "ServerKind" not in package.split("# A new kind of server")[0]  # no unused import


def test_backend_project_adds_the_server_kind(run_cli: CliRunner, tmp_path: Path) -> None:
    data = render(run_cli, tmp_path / "b", "--backend")
    files = all_text(tmp_path / "b")
    assert set(files) == PLAIN | BACKEND and data["backend"] is True
    package = files["comfyui_skill_demo_x/__init__.py"]
    assert "\ndef comfyui_skill_server_kinds(" in package and "# def comfyui_skill_server_kinds(" not in package
    assert 'factory="comfyui_skill_demo_x.backend:ProxyBackend"' in package


@pytest.mark.parametrize("name", ["Demo", "9lives", "my_plugin", "a--b", "trailing-"])
def test_invalid_names_are_usage_errors(run_cli: CliRunner, tmp_path: Path, name: str) -> None:
    result = run_cli("plugins", "new", name, "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "not valid" in result.stderr
    assert not (tmp_path / "x").exists()


def test_distribution_prefix_is_accepted_and_default_dir(run_cli: CliRunner, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = run_cli("plugins", "new", "comfyui-skill-demo-x", "--json").json()["data"]
    assert data["name"] == "demo-x" and data["directory"] == "comfyui-skill-demo-x"
    assert (tmp_path / "comfyui-skill-demo-x" / "pyproject.toml").is_file()


def test_refuses_a_non_empty_directory(run_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = run_cli("plugins", "new", "demo-x", "-o", str(tmp_path / "taken"))
    assert result.exit_code == 2 and "not an empty directory" in result.stderr
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]


@pytest.fixture
def proxy_plugin(run_cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The --backend example, loaded with -p from the rendered project (not installed)."""
    render(run_cli, tmp_path / "b", "--backend")
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    return ["-p", "comfyui_skill_demo_x"]


def test_the_worked_backend_passes_an_authenticating_proxy(run_cli: CliRunner, proxy_plugin: list[str]) -> None:
    with FakeComfyUI(api_prefix_only=True) as proxy:  # only /api/... answers, as behind the proxy
        assert run_cli(*proxy_plugin, "server", "add", "office", proxy.url, "--kind", "demo-x-proxy").exit_code == 0
        stored = run_cli(*proxy_plugin, "config", "set", "servers.office.proxy_token", "--stdin", input="tok-123\n")
        assert stored.exit_code == 0, stored.stderr
        through = run_cli(*proxy_plugin, "queue", "list", "--server", "office", "--json")
        assert through.exit_code == 0, through.stderr
        assert proxy.requests and all(r.path.startswith("/api/") for r in proxy.requests)
        assert all(r.headers.get("X-Proxy-Token") == "tok-123" for r in proxy.requests)
        direct = run_cli(*proxy_plugin, "queue", "list", "--url", proxy.url, "--json")
        assert direct.exit_code != 0  # the plain local kind does not get through
        listed = run_cli(*proxy_plugin, "config", "list")
        assert "tok-123" not in listed.stdout + listed.stderr
