"""Stored workflows: one JSON file per name under ``data_dir()/workflows`` (not tied to a server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from comfyui_skill import NotFoundError, UsageError, atomic_write, data_dir, did_you_mean

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. +-]{0,127}$")


def root() -> Path:
    return data_dir() / "workflows"


def check_name(name: str) -> str:
    if name.endswith(".json"):
        name = name[:-5]
    if not _NAME.match(name):
        raise UsageError(f"invalid workflow name {name!r}",
                         hint="use letters, digits, spaces and . _ + - (at most 128 characters)")
    return name


def path_of(name: str) -> Path:
    return root() / f"{check_name(name)}.json"


def exists(name: str) -> bool:
    return path_of(name).is_file()


def names() -> list[str]:
    folder = root()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def missing_hint(name: str) -> str:
    """The stored workflows named like ``name``, else where to see them all."""
    return did_you_mean(name, names()) or "'workflow list' shows the stored workflows"


def read(name: str) -> dict[str, Any]:
    path = path_of(name)
    if not path.is_file():
        raise NotFoundError(f"no stored workflow {name!r}", hint=missing_hint(name), details={"name": name})
    return json.loads(path.read_text(encoding="utf-8"))


def write(name: str, document: dict[str, Any]) -> Path:
    path = path_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return path


def delete(name: str) -> None:
    path = path_of(name)
    if not path.is_file():
        read(name)  # raises NotFoundError
    path.unlink()


def rename(old: str, new: str) -> None:
    source, target = path_of(old), path_of(new)
    if not source.is_file():
        read(old)
    if target.exists():
        raise UsageError(f"a workflow named {check_name(new)!r} already exists")
    source.rename(target)
