"""docs/plugins.md documents exactly the public API, and its tutorial's commands exist."""

from __future__ import annotations

from pathlib import Path

import comfyui_skill
from comfyui_skill.testing import CliRunner

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def reference_names() -> list[str]:
    section = DOCS.read_text().split("## Public API reference", 1)[1].split("\n## ", 1)[0]
    return [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]


def test_every_public_name_is_documented_once() -> None:
    names = reference_names()
    assert sorted(names) == sorted(set(names)), "a name is documented twice"
    assert set(names) == set(comfyui_skill.__all__), (
        f"undocumented: {sorted(set(comfyui_skill.__all__) - set(names))}; "
        f"not public: {sorted(set(names) - set(comfyui_skill.__all__))}")


def test_every_documented_name_imports() -> None:
    for name in reference_names():
        assert getattr(comfyui_skill, name) is not None, name


def test_tutorial_commands_exist(run_cli: CliRunner) -> None:
    for args in (["plugins", "new", "--help"], ["plugins", "install", "--help"], ["plugins", "upgrade", "--help"],
                 ["plugins", "uninstall", "--help"], ["man", "--help"], ["completion", "--help"]):
        assert run_cli(*args).exit_code == 0, args
