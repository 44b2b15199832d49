"""The plugin documentation cannot rot: every hook is documented with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

from comfyui_skill import hookspecs
from comfyui_skill.plugins import hook_names

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def signature_of(name: str) -> str:
    function = getattr(hookspecs, name)
    signature = inspect.signature(function)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{name}({params}) -> {signature.return_annotation}"


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    text = DOCS.read_text()
    names = hook_names()
    assert len(names) >= 6
    for name in names:
        assert f"### `{signature_of(name)}`" in text, f"{name} is not documented as {signature_of(name)}"


def test_no_documented_hook_is_missing_from_the_spec() -> None:
    documented = {line.split("`")[1].split("(")[0] for line in DOCS.read_text().splitlines()
                  if line.startswith("### `comfyui_skill_")}
    assert documented == set(hook_names())


def test_every_hook_has_a_docstring() -> None:
    for name in hook_names():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
