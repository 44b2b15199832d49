"""Where comfyui-skill keeps its files: config, data (journal, workflows) and cache.

Each follows the platform's convention (XDG on Linux and BSD, ``~/Library`` on macOS, ``%APPDATA%``
on Windows) and can be moved with an environment variable, which tests and containers use. The
``*_path`` functions return plain strings and import nothing but ``os``: the start-up fast path
uses them.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import IO

APP = "comfyui-skill"


def _platform_dir(env: Mapping[str, str], xdg_var: str, xdg_default: str, mac: str, windows_var: str) -> str:
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(env.get(windows_var) or os.path.join(home, "AppData", "Roaming"), APP)
    if sys.platform == "darwin":
        return os.path.join(home, "Library", mac, APP)
    return os.path.join(env.get(xdg_var) or os.path.join(home, xdg_default), APP)


def config_path(override: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The config file: ``--config``, else ``$COMFYUI_SKILL_CONFIG``, else the platform's config dir."""
    env = os.environ if environ is None else environ
    explicit = override or env.get("COMFYUI_SKILL_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
    return os.path.join(_platform_dir(env, "XDG_CONFIG_HOME", ".config", "Application Support", "APPDATA"),
                        "config.toml")


def cache_path(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    explicit = env.get("COMFYUI_SKILL_CACHE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    return _platform_dir(env, "XDG_CACHE_HOME", ".cache", "Caches", "LOCALAPPDATA")


def written_only_by_owner(handle: IO[bytes]) -> bool:
    """Whether an open file is one only this user could have written: theirs, and writable by no
    one else. A cache that names modules to import is trusted only then (whoever could write it
    could otherwise run code as this user)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the per-user profile folder's ACL protects it
    stat = os.fstat(handle.fileno())
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def data_dir() -> Path:
    """Run journal, stored workflows: ``$COMFYUI_SKILL_DATA_DIR`` or the platform's data dir."""
    from pathlib import Path

    explicit = os.environ.get("COMFYUI_SKILL_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return Path(_platform_dir(os.environ, "XDG_DATA_HOME", ".local/share", "Application Support", "APPDATA"))


def cache_dir() -> Path:
    """Caches that can be deleted at any time: ``$COMFYUI_SKILL_CACHE_DIR`` or the platform's."""
    from pathlib import Path

    return Path(cache_path())
