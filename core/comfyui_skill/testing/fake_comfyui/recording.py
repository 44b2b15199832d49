"""The log of every HTTP request the fake received (including the WebSocket upgrade)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    """As sent, still percent-encoded, without the query string."""
    query: dict[str, str]
    """Decoded query parameters (the last value wins when repeated)."""
    headers: dict[str, str]
    body: bytes


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, request: web.BaseRequest, body: bytes) -> None:
        item = RecordedRequest(request.method, request.rel_url.raw_path, dict(request.query.items()),
                               dict(request.headers.items()), body)
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
