"""A cache of the top-level ``--help`` and ``--version`` text, so they start as fast as Python.

Building the help means importing pluggy, argparse and every plugin: several times Python's own
start-up. The text only changes when something it is made of changes, so it is stored with a key
of exactly those things: the installed distributions (the mtimes of the ``sys.path`` folders, which
change when anything is installed or removed), the plugins' own files, the config file (disabled
plugins), the relevant environment variables and the terminal width. Any difference and the text
is rebuilt the ordinary way. The lookup imports nothing beyond ``os``, ``sys`` and ``marshal``.
"""

from __future__ import annotations

import marshal
import os
import sys

from ._version import __version__
from .paths import cache_path, config_path
from .terminal import terminal_columns

FORMS = {("--help",): "help", ("-h",): "help", ("--version",): "version", ("-V",): "version"}
ENV_KEYS = ("COMFYUI_SKILL_DISABLE_PLUGINS", "COMFYUI_SKILL_CONFIG", "COMFYUI_SKILL_STRICT_PLUGINS",
            "XDG_CONFIG_HOME", "HOME", "APPDATA")
FILE_NAME = "startup-cache.marshal"


def lookup(argv: list[str]) -> str | None:
    """The cached text for ``argv`` if it is a cacheable form and still valid."""
    form = FORMS.get(tuple(argv))
    if form is None or os.environ.get("COMFYUI_SKILL_TRACE_PLUGINS") or os.environ.get("COMFYUI_SKILL_NO_CACHE"):
        return None
    entry = _load().get(form)
    if not isinstance(entry, dict) or entry.get("key") != _static_key():
        return None
    files = entry.get("files")
    if not isinstance(files, dict) or _mtimes(files) != files:
        return None
    text = entry.get("text")
    return text if isinstance(text, str) else None


def store(argv: list[str], text: str, files: list[str]) -> None:
    """Remember ``text`` as the answer to ``argv``; failures to write are ignored (it is a cache)."""
    form = FORMS.get(tuple(argv))
    if form is None or os.environ.get("COMFYUI_SKILL_NO_CACHE"):
        return
    document = _load()
    document[form] = {"key": _static_key(), "files": _mtimes(files), "text": text}
    path = cache_file()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as handle:
            marshal.dump(document, handle)
        os.replace(tmp, path)
    except OSError:
        pass


def cache_file() -> str:
    return os.path.join(cache_path(), FILE_NAME)


def _load() -> dict:
    try:
        with open(cache_file(), "rb") as handle:
            document = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return document if isinstance(document, dict) else {}


def install_key() -> tuple:
    """What changes when a distribution is installed, upgraded or removed."""
    # sys.path[0] is the script's folder or the current directory: not where plugins live, and
    # keying on it would rebuild the cache whenever the user changes directory.
    folders = tuple((entry, _mtime(entry)) for entry in sys.path[1:])
    return (__version__, sys.prefix, sys.version, folders)


def _static_key() -> tuple:
    config = config_path()
    environment = tuple(os.environ.get(key, "") for key in ENV_KEYS)
    return (*install_key(), terminal_columns(80), config, _mtime(config), environment)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path or ".").st_mtime_ns
    except OSError:
        return None


def _mtimes(files: list[str] | dict[str, int | None]) -> dict[str, int | None]:
    return {path: _mtime(path) for path in files}
