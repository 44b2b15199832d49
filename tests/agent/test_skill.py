"""SKILL.md: one source shipped in the package, the top-level file links to it; show and install."""

from __future__ import annotations

import re
from pathlib import Path

import comfyui_skill_agent

from .contract import assert_result

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = Path(comfyui_skill_agent.__file__).parent / "SKILL.md"


def test_top_level_skill_md_is_the_packaged_one() -> None:
    top = ROOT / "SKILL.md"
    assert top.is_symlink() and top.resolve() == PACKAGED.resolve()
    text = PACKAGED.read_text()
    assert re.match(r"---\nname: comfyui-skill\ndescription: .+\n---\n", text)


def test_the_skill_names_only_commands_that_exist(run_cli) -> None:
    """Every `comfyui-skill X Y` the guide mentions is a command (or a group) of the parser,
    except the workflow commands of the workflows plugin, which the guide marks as optional."""
    commands = {c["command"] for c in run_cli("describe", "--json").json()["data"]["commands"]}
    mentioned = set(re.findall(r"comfyui-skill ((?:[a-z]+)(?: [a-z]+)?)", PACKAGED.read_text()))
    missing = {m for m in mentioned if m not in commands and m.split()[0] not in commands}
    assert missing <= {"workflow list", "workflow import", "workflow show"}, missing


def test_show_appends_the_installed_commands(run_cli) -> None:
    shown = assert_result(run_cli("skill", "show", "--json").json())["data"]["text"]
    assert shown.startswith(PACKAGED.read_text().rstrip("\n"))
    assert "| `comfyui-skill queue list` |" in shown and "| `comfyui-skill describe` |" in shown
    assert run_cli("skill", "show").stdout.rstrip("\n") == shown.rstrip("\n")


def test_install_writes_once_then_needs_force(run_cli, tmp_path: Path, extra_plugin: str) -> None:
    skills = tmp_path / "skills"
    written = assert_result(run_cli("-p", extra_plugin, "skill", "install", str(skills), "--json").json())
    target = skills / "comfyui-skill" / "SKILL.md"
    assert written["data"]["path"] == str(target)
    assert "| `comfyui-skill frob` | frobnicate the server |" in target.read_text()

    target.write_text("my own notes")
    again = run_cli("skill", "install", str(skills), "--json")
    assert again.exit_code == 2 and again.json()["error"]["code"] == "usage"
    assert "--force" in again.json()["error"]["hint"] and target.read_text() == "my own notes"
    forced = run_cli("skill", "install", str(skills), "--force")
    assert forced.exit_code == 0 and "frob" not in target.read_text()
    assert target.read_text().startswith("---\nname: comfyui-skill")


def test_install_into_an_unwritable_place_is_an_io_error(run_cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("skill", "install", str(blocker), "--json")
    assert result.exit_code == 1 and assert_result(result.json())["error"]["code"] == "io"
