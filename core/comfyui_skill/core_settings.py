"""The core's own settings, registered through the same hook as every plugin's."""

from __future__ import annotations

from collections.abc import Iterable

from .markers import hookimpl
from .config import GLOBAL_SETTINGS, SERVER_SETTINGS
from .extension import Setting


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    return (*GLOBAL_SETTINGS, *SERVER_SETTINGS)
