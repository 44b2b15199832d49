"""``templates show`` for people: the index's camelCase keys as words, values as they read best.

``--json`` keeps the server's own keys; this only decides what the text says and in which order.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from comfyui_skill import Output, human_bytes

LABELS = {
    "name": "name", "title": "title", "description": "description", "source": "source", "category": "category",
    "pack": "node pack", "tags": "tags", "models": "models", "size": "model size", "vram": "VRAM",
    "requiresCustomNodes": "custom nodes", "openSource": "open source", "logos": "providers", "date": "date",
    "username": "author", "usage": "uses", "tutorialUrl": "tutorial",
}
"""The keys of a template (the server's index, and ``source``/``category``/``pack`` we add), in the order
shown, with their labels. Keys not listed are shown after them, their camelCase split into words."""
HIDDEN = ("io", "thumbnail", "thumbnailVariant", "mediaType", "mediaSubtype", "searchRank", "module")
"""Keys about the index's own presentation (thumbnails, ranking), or shown apart (``io``)."""
BYTES = ("size", "vram")
LABEL_WIDTH = 14


def render_template(out: Output, template: dict[str, Any]) -> None:
    shown = [key for key in LABELS if key in template] + [
        key for key in template if key not in LABELS and key not in HIDDEN]
    for key in shown:
        value = template[key]
        if value not in (None, "", [], {}) and not (key in BYTES and value == 0):  # 0: an API template's models
            labelled(out, label(key), _text(key, value))
    for direction in ("inputs", "outputs"):
        for item in (template.get("io") or {}).get(direction) or []:
            if isinstance(item, dict):
                labelled(out, direction[:-1], f"node {item.get('nodeId')} {item.get('nodeType')} "
                                              f"({item.get('mediaType')}: {item.get('file')})")


def label(key: str) -> str:
    """``openSource`` -> ``open source`` (the known keys have their own words)."""
    return LABELS.get(key) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").lower()


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in BYTES and isinstance(value, (int, float)):
        return human_bytes(value)
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    return str(value)


def _item(value: Any) -> str:
    """A list entry: a logo ``{"provider": "Google"}`` is its provider's name."""
    if isinstance(value, dict):
        return str(value.get("provider") or value.get("name") or ", ".join(f"{k} {v}" for k, v in value.items()))
    return str(value)


def labelled(out: Output, name: str, value: Any) -> None:
    """``name: value``, the value wrapped to the terminal width under itself."""
    indent = " " * LABEL_WIDTH
    lines = textwrap.wrap(str(value), width=max(out.width - 1, 40), initial_indent=indent, subsequent_indent=indent)
    for number, line in enumerate(lines or [indent]):
        out.line(f"{name + ':':<{LABEL_WIDTH - 1}} {line[LABEL_WIDTH:]}" if number == 0 else line)
