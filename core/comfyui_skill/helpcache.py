"""A cache of the top-level ``--help`` and ``--version`` text, so they start as fast as Python.

Building the help means importing pluggy, argparse and every plugin: several times Python's own
start-up. The text only changes when something it is made of changes, so it is stored with a key
of exactly those things: the installed distributions (the mtimes of every ``sys.path`` folder,
which change when anything is installed or removed), the plugins' own files, the config file
(disabled plugins), the relevant environment variables and the terminal width. Any difference
and the text is rebuilt the ordinary way. This module imports nothing beyond ``os``, ``sys`` and
``json``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence

from ._version import __version__

FORMS = {("--help",): "help", ("-h",): "help", ("--version",): "version", ("-V",): "version"}
ENV_KEYS = ("COMFYUI_SKILL_DISABLE_PLUGINS", "COMFYUI_SKILL_CONFIG", "COMFYUI_SKILL_STRICT_PLUGINS",
            "XDG_CONFIG_HOME", "HOME", "APPDATA")
FILE_NAME = "startup-cache.json"


def lookup(argv: Sequence[str]) -> str | None:
    """The cached text for ``argv`` if it is a cacheable form and still valid."""
    form = FORMS.get(tuple(argv))
    if form is None or os.environ.get("COMFYUI_SKILL_TRACE_PLUGINS") or os.environ.get("COMFYUI_SKILL_NO_CACHE"):
        return None
    try:
        with open(_cache_path(), encoding="utf-8") as handle:
            entry = json.load(handle).get(form)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != _static_key():
        return None
    files = entry.get("files")
    if not isinstance(files, dict) or _mtimes(files) != files:
        return None
    text = entry.get("text")
    return text if isinstance(text, str) else None


def store(argv: Sequence[str], text: str, files: Iterable[str]) -> None:
    """Remember ``text`` as the answer to ``argv``; failures to write are ignored (it is a cache)."""
    form = FORMS.get(tuple(argv))
    if form is None or os.environ.get("COMFYUI_SKILL_NO_CACHE"):
        return
    path = _cache_path()
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        if not isinstance(document, dict):
            document = {}
    except (OSError, ValueError):
        document = {}
    document[form] = {"key": _static_key(), "files": _mtimes(files), "text": text}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(tmp, path)
    except OSError:
        pass


def _cache_path() -> str:
    from .paths import cache_dir

    return os.path.join(cache_dir(), FILE_NAME)


def _static_key() -> str:
    from .paths import config_file

    config = str(config_file())
    parts: list[object] = [__version__, sys.executable, _columns(), config, _mtime(config)]
    parts.extend(os.environ.get(key, "") for key in ENV_KEYS)
    parts.extend((entry, _mtime(entry)) for entry in sys.path)
    return json.dumps(parts)


def _columns() -> int:
    """The width argparse will format for (same rule as ``shutil.get_terminal_size``)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path or ".").st_mtime_ns
    except OSError:
        return None


def _mtimes(files: Iterable[str]) -> dict[str, int | None]:
    return {path: _mtime(path) for path in files}
