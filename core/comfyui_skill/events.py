"""Execution events: what ``run``, ``wait`` and batches report while they follow a prompt.

The same records feed the ``comfyui_skill_event`` observer hook, the terminal progress display and
the NDJSON stream (``--output ndjson``), whose line format is versioned by :data:`EVENT_SCHEMA`.
"""

from __future__ import annotations

import time

from .records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EVENT_SCHEMA = "comfyui-skill/event/1"
_now = time.time

#: Every event type, with what its ``data`` carries.
EVENT_TYPES: dict[str, str] = {
    "queued": "accepted by the server; data: number, position (when known)",
    "started": "the server began executing the prompt",
    "cached": "nodes served from the server's cache; data: nodes",
    "node": "a node started executing; data: node, class_type, title",
    "progress": "a step inside a node; data: node, value, max",
    "preview": "a live preview of the running node (ComfyUI with --preview-method); data: node, image_type, size "
               "(bytes), image (the bytes: for observer plugins only, never in NDJSON)",
    "output": "a node produced output; data: node, kind, filename, subfolder, type, path (once saved), text",
    "done": "the prompt finished successfully; data: outputs, elapsed",
    "failed": "the prompt failed; data: node, class_type, exception_type, message, traceback",
    "cancelled": "the prompt was interrupted or cancelled; data: node, by (user, server, or queue: removed "
                 "from the queue by someone else before it ran)",
    "log": "a server log line; data: time, message",
    "retry": "the client is reconnecting or retrying; data: reason, attempt",
    "batch_start": "a batch begins (run --count/--sweep/--batch); data: items, servers, manifest, skipped",
    "server_down": "a batch stopped using an unreachable server; data: reason, items (moved or failed)",
    "batch_end": "a batch is over; data: counts (done, failed, running, queued), elapsed",
}


class Event(FrozenRecord):
    """One execution event for one prompt on one server (``time`` defaults to now)."""

    __slots__ = _fields = ("type", "prompt_id", "server", "data", "time")
    type: str
    prompt_id: str | None
    server: str | None
    data: dict[str, Any]
    time: float

    def __init__(self, type: str, prompt_id: str | None = None, server: str | None = None,  # noqa: A002
                 data: dict[str, Any] | None = None, time: float | None = None) -> None:  # noqa: A002
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        self._set(type, prompt_id, server, {} if data is None else data, _now() if time is None else time)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": EVENT_SCHEMA,
            "event": self.type,
            "time": round(self.time, 3),
            "server": self.server,
            "prompt_id": self.prompt_id,
            **{key: value for key, value in self.data.items() if not isinstance(value, bytes)},
        }
