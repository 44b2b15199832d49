"""Recognising a ComfyUI folder and the Python that runs it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from comfyui_skill import NotFoundError, UsageError

#: Virtual environments looked for inside the ComfyUI folder, in this order.
VENV_NAMES = (".venv", "venv")


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment (``bin/python``; ``Scripts\\python.exe`` on Windows)."""
    return venv / "Scripts" / "python.exe" if sys.platform == "win32" else venv / "bin" / "python"


def comfyui_folder(path: str) -> Path:
    """``path`` as an absolute folder that holds ComfyUI's ``main.py``; NotFoundError otherwise."""
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise NotFoundError(f"no folder {folder}", hint="install ComfyUI there with 'comfyui-skill local install "
                                                         f"{path}'")
    if not (folder / "main.py").is_file():
        raise NotFoundError(f"{folder} is not a ComfyUI folder: it has no main.py",
                            hint="give the folder you cloned ComfyUI into (the one with main.py)")
    return folder


def find_python(folder: Path) -> Path | None:
    """The Python of a ComfyUI install: ``.venv`` or ``venv`` inside it, or the Windows portable
    build's ``python_embeded`` next to it."""
    candidates = [venv_python(folder / name) for name in VENV_NAMES]
    candidates.append(folder.parent / "python_embeded" / ("python.exe" if sys.platform == "win32" else "python"))
    return next((c for c in candidates if c.is_file()), None)


def given_python(python: str) -> Path:
    """A ``--python`` the user gave: a path, or a command found on PATH; made absolute."""
    found = shutil.which(python) if os.sep not in python and "/" not in python else python
    candidate = Path(found).expanduser() if found else None
    if candidate is None or not candidate.is_file():
        raise NotFoundError(f"no Python interpreter at {python!r}")
    if not os.access(candidate, os.X_OK):
        raise UsageError(f"{candidate} is not executable")
    return candidate.absolute()


def python_for(folder: Path, python: str | None, remembered: str | None) -> Path:
    """The interpreter to run ComfyUI with: ``--python``, else the one remembered, else the install's own."""
    if python:
        return given_python(python)
    if remembered and Path(remembered).is_file():
        return Path(remembered)
    found = find_python(folder)
    if found is None:
        raise NotFoundError(f"no Python environment for ComfyUI in {folder} (looked for .venv and venv)",
                            hint=f"set one up with 'comfyui-skill local install {folder}', or name the "
                                 "interpreter once with --python (it is remembered)")
    return found
