"""Reading what the fake server received."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    query: dict[str, str]
    json: Any


def sent(fake: Any, method: str | None = None, path: str | None = None) -> list[Sent]:
    """The requests the fake received (bodies decoded as JSON where they are), optionally filtered."""
    log = fake.requests
    items = log.snapshot() if hasattr(log, "snapshot") else list(log)
    found = []
    for item in items:
        if (method is None or item.method == method) and (path is None or item.path == path):
            try:
                body = json.loads(item.body) if item.body else None
            except (ValueError, UnicodeDecodeError):
                body = None
            found.append(Sent(item.method, item.path, dict(item.query), body))
    return found


def write_png(path: Path, rgb: tuple[int, int, int], size: int = 4) -> Path:
    """A small valid RGB PNG of one colour."""
    from comfyui_skill.testing.fake_comfyui.png import encode_png

    path.write_bytes(encode_png(size, size, [bytes(rgb) * size] * size))
    return path
