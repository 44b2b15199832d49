"""Where comfyui-skill keeps its files: config, data (journal, workflows) and cache.

Each follows the platform's convention (XDG on Linux and BSD, ``~/Library`` on macOS, ``%APPDATA%``
on Windows) and can be moved with an environment variable, which tests and containers use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP = "comfyui-skill"


def _platform_dir(xdg_var: str, xdg_default: str, mac: str, windows_var: str) -> Path:
    if sys.platform == "win32":
        base = os.environ.get(windows_var) or os.path.expanduser("~\\AppData\\Roaming")
        return Path(base) / APP
    if sys.platform == "darwin":
        return Path.home() / "Library" / mac / APP
    return Path(os.environ.get(xdg_var) or Path.home() / xdg_default) / APP


def config_file(override: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file: ``--config``, else ``$COMFYUI_SKILL_CONFIG``, else the platform's config dir."""
    explicit = override or (os.environ if environ is None else environ).get("COMFYUI_SKILL_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return _platform_dir("XDG_CONFIG_HOME", ".config", "Application Support", "APPDATA") / "config.toml"


def data_dir() -> Path:
    """Run journal, stored workflows: ``$COMFYUI_SKILL_DATA_DIR`` or the platform's data dir."""
    explicit = os.environ.get("COMFYUI_SKILL_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return _platform_dir("XDG_DATA_HOME", ".local/share", "Application Support", "APPDATA")


def cache_dir() -> Path:
    """Caches that can be deleted at any time: ``$COMFYUI_SKILL_CACHE_DIR`` or the platform's."""
    explicit = os.environ.get("COMFYUI_SKILL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    return _platform_dir("XDG_CACHE_HOME", ".cache", "Caches", "LOCALAPPDATA")
