"""Writing a workflow to a file (or standard output), never over an existing file unless forced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from comfyui_skill import CliError, Context, Result, UsageError, atomic_write, safe_relative_path


def default_file(name: str) -> str:
    """``NAME.json`` in the current folder, made a safe file name (the name comes from the server)."""
    return str(safe_relative_path(None, f"{name}.json"))


def write_json(ctx: Context, workflow: Any, target: str, *, force: bool, what: str) -> Result:
    """Write ``workflow`` to ``target`` (``-``: standard output); an existing file only with ``force``."""
    text = json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"
    if target == "-":
        return Result(data={"file": None, "workflow": workflow}, text=text.rstrip("\n"))
    path = Path(target).expanduser()
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="choose another file, or overwrite it with --force")
    try:
        if force:
            atomic_write(path, text)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never replaces a file created meanwhile
                handle.write(text)
    except FileExistsError:
        raise UsageError(f"{path} already exists", hint="overwrite it with --force") from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}", code="io") from None
    return Result(data={"file": str(path), "bytes": len(text.encode())}, text=f"saved {what} to {path}")
