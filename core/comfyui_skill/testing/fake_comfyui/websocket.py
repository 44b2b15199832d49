"""The ``/ws`` endpoint: first frames, feature-flag exchange, reconnects with the same client id."""

from __future__ import annotations

import json
import struct
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from .context import CONTEXT
from .hub import Client, message
from .routes_info import not_found, server_features

routes = web.RouteTableDef()
CLOSE_TIMEOUT = 0.5
"""Seconds the server waits for the client's close frame before dropping the connection."""


@routes.get("/ws")
async def websocket(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    if ctx.faults.refuse_websocket:
        return not_found()
    ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT)
    writer = await ws.prepare(request)
    if ctx.faults.oversized_websocket_frame is not None:
        if not await _send_oversized_frame(writer, *ctx.faults.oversized_websocket_frame):
            return ws
    sid = request.rel_url.query.get("clientId", "") or uuid.uuid4().hex
    client = Client(sid, ws)
    hub, executor = ctx.hub, ctx.executor
    async with hub.lock:
        hub.clients[sid] = client  # a socket already using this id gets nothing more
        await hub.deliver(client, message("status", {"status": ctx.queue_info(), "sid": sid}))
        if executor.client_id == sid and executor.last_node is not None:
            await hub.deliver(client, message("executing", {"node": executor.last_node}))
    first = True
    try:
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(frame.data)
            except ValueError:
                data = None
            if first and isinstance(data, dict) and data.get("type") == "feature_flags" and ctx.config.preview_metadata:
                client.flags = data.get("data") if isinstance(data.get("data"), dict) else {}
                async with hub.lock:
                    await hub.deliver(client, message("feature_flags", server_features(request.app)))
            first = False
    finally:
        if hub.clients.get(sid) is client:
            del hub.clients[sid]
    return ws


async def _send_oversized_frame(writer: Any, size: int, binary: bool) -> bool:
    """Write one unmasked frame header declaring ``size`` bytes, then zeros in 64 KiB chunks;
    False once the client hung up (it refused the frame)."""
    header = bytes([0x82 if binary else 0x81, 127]) + struct.pack(">Q", size)
    chunk = bytes(64 * 1024)
    try:
        await writer.write(header)
        for start in range(0, size, len(chunk)):
            await writer.write(chunk[: size - start])
    except (ConnectionError, RuntimeError):
        return False
    return True
