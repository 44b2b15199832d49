"""Item keys and output folders: ``OUTDIR/<item>/`` or a ``--name-template`` with sanitized fields.

Fields: ``{item}`` (the zero-padded item number, 0001...), ``{index}`` (the plain number, 1...) and
every parameter of the item by name (``{seed}``, ``{cfg:.1f}``, ``{3.seed}``). A value can never add
a folder level or leave the output folder: anything but letters, digits and ``._=+-`` becomes ``_``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from comfyui_skill import UsageError, safe_relative_path

DEFAULT_TEMPLATE = "{item}"
_UNSAFE_VALUE = re.compile(r"[^A-Za-z0-9._=+-]+")
MAX_FIELD = 80


def item_key(index: int, total: int) -> str:
    """``0001``-style number of the item ``index`` (0-based) of ``total``."""
    return str(index + 1).zfill(max(4, len(str(total))))


class _Fields(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        return kwargs[field_name], field_name  # whole names: "{3.seed}" is a parameter, not an attribute

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return (_UNSAFE_VALUE.sub("_", text).strip("._") or "_")[:MAX_FIELD]


def folder(template: str, key: str, index: int, params: Mapping[str, Any]) -> PurePosixPath:
    """The item's output folder relative to OUTDIR; UsageError for a field the item does not have."""
    fields = {**params, "item": key, "index": index + 1}
    try:
        rendered = _Fields().format(template, **fields)
    except KeyError as exc:
        known = ", ".join(["item", "index", *sorted(params)])
        raise UsageError(f"--name-template {template!r}: no field {exc.args[0]!r} for item {key}",
                         hint=f"fields: {known}") from None
    except (ValueError, IndexError) as exc:
        raise UsageError(f"--name-template {template!r}: {exc}") from None
    *folders, last = [part for part in rendered.split("/") if part] or [key]
    return safe_relative_path("/".join(folders), last)
