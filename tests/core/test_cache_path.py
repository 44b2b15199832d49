"""``cache_path()``: the cache folder as a string, for lookups that should not load pathlib."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyui_skill import atomic_write, cache_dir, cache_path


def test_cache_path_is_cache_dir_as_a_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFYUI_SKILL_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_path() == str(cache_dir()) == str(tmp_path / "cache")


def test_atomic_write_takes_a_string_path_and_makes_its_folder(tmp_path: Path) -> None:
    target = str(tmp_path / "nodes" / "index.json")
    atomic_write(target, "{}")
    assert Path(target).read_text() == "{}"
