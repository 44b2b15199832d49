"""Connected WebSocket clients and the single publisher that delivers every server message in order."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from .faults import Faults

PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
JPEG, PNG = 1, 2

Payload = str | bytes
Render = Callable[["Client"], Payload | None]


@dataclass(eq=False)
class Client:
    sid: str
    ws: web.WebSocketResponse
    flags: dict[str, Any] = field(default_factory=dict)
    sent: int = 0
    dropped: bool = False

    @property
    def wants_metadata(self) -> bool:
        return bool(self.flags.get("supports_preview_metadata"))


def message(event: str, data: Any) -> str:
    return json.dumps({"type": event, "data": data})


class Hub:
    """Messages are queued (so they can trail the HTTP response that caused them, as on ComfyUI) and
    delivered by one task; ``sid=None`` broadcasts."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self.clients: dict[str, Client] = {}
        self._outbox: asyncio.Queue[tuple[str | None, Render]] = asyncio.Queue()
        self.lock = asyncio.Lock()
        """Held while a message is delivered and while a new client gets its first frames."""
        self._closing: set[asyncio.Task] = set()

    def send(self, event: str, data: Any, sid: str | None = None) -> None:
        text = message(event, data)
        self._outbox.put_nowait((sid, lambda client: text))

    def send_preview(self, image: bytes, metadata: dict[str, Any], sid: str | None, with_metadata: bool) -> None:
        """Queue a preview frame: event type 4 for clients that announced ``supports_preview_metadata``
        (``with_metadata=True``), else the legacy type 1 (image type from ``metadata["image_type"]``)."""
        if with_metadata:
            meta = json.dumps(metadata).encode()
            frame = struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + image
        else:
            kind = JPEG if metadata.get("image_type") == "image/jpeg" else PNG
            frame = struct.pack(">II", PREVIEW_IMAGE, kind) + image
        self._outbox.put_nowait((sid, lambda client: frame if client.wants_metadata == with_metadata else None))

    async def run(self) -> None:
        while True:
            sid, render = await self._outbox.get()
            async with self.lock:
                targets = self.clients.values() if sid is None else filter(None, [self.clients.get(sid)])
                for client in list(targets):
                    payload = render(client)
                    if payload is not None:
                        await self.deliver(client, payload)

    async def deliver(self, client: Client, payload: Payload) -> None:
        """Send one frame, honouring the stall and drop faults."""
        if self._faults.stall_websocket or client.dropped or client.ws.closed:
            return
        try:
            if isinstance(payload, bytes):
                await client.ws.send_bytes(payload)
            else:
                await client.ws.send_str(payload)
        except (ConnectionError, RuntimeError):
            return
        client.sent += 1
        limit = self._faults.websocket_drop_limit
        if limit is not None and client.sent >= limit:
            client.dropped = True
            task = asyncio.create_task(client.ws.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close_all(self) -> None:
        clients, self.clients = list(self.clients.values()), {}
        await asyncio.gather(*(client.ws.close(code=WSCloseCode.GOING_AWAY) for client in clients),
                             *self._closing, return_exceptions=True)
