"""Programmable misbehaviour (failures, delays, odd bodies, socket trouble), settable from any thread."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class _Rule:
    pattern: re.Pattern[str]
    remaining: int | None
    method: str | None = None
    skip: int = 0
    """Matching requests still to let through untouched before the rule applies."""
    delay: float = 0.0
    answer_only: bool = False
    """The delay comes after the request was handled: only the answer is late."""
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and self.pattern.search(path) is not None

    def response(self) -> web.Response:
        assert self.status is not None
        return web.Response(status=self.status, body=self.body or None, content_type=self.content_type,
                            headers=self.headers)


def _bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


class Faults:
    """Faults injected by the fake server. Every method is thread-safe.

    ``path_regex`` is searched (``re.search``) in the request path, as sent (still percent-encoded).
    ``times=None`` means "until :meth:`clear`". Rules apply in the order they were added: all matching
    delays add up, then the first matching response rule answers instead of the real handler.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._drop_after: int | None = None
        self.refuse_websocket = False
        """The ``/ws`` upgrade answers 404 like an unknown path."""
        self.stall_websocket = False
        """Sockets stay open but the server sends nothing more."""
        self.hold_execution = False
        """Each node waits before it runs until this is False again or the prompt is interrupted (a
        prompt that stays queued or running for exactly as long as a test needs)."""
        self.oversized_websocket_frame: tuple[int, bool] | None = None
        """``(declared size, binary)``: each new socket first gets a frame of that size (see below)."""
        self._held: re.Pattern[str] | None = None

    def _add(self, path_regex: str, times: int | None, **kwargs) -> None:
        with self._lock:
            self._rules.append(_Rule(re.compile(path_regex), times, **kwargs))

    def fail_http(self, path_regex: str, status: int, times: int | None = 1, body: bytes | str = b"",
                  content_type: str | None = None, method: str | None = None) -> None:
        """Answer the next ``times`` matching requests with ``status`` and ``body`` (e.g. a burst of 502s)."""
        self._add(path_regex, times, method=method, status=status, body=_bytes(body), content_type=content_type)

    def delay_http(self, path_regex: str, seconds: float, times: int | None = None, after: int = 0,
                   answer_only: bool = False) -> None:
        """Sleep before answering; a huge value is a read that never answers (``stop()`` still works).
        ``after``: the first that many matching requests are answered at once (e.g. only the second
        download hangs). ``answer_only``: the request is handled at once and only its answer waits (a
        server that took a POST whose answer the client never gets)."""
        self._add(path_regex, times, delay=seconds, skip=after, answer_only=answer_only)

    def respond_raw(self, path_regex: str, status: int, body: bytes | str, content_type: str | None,
                    times: int | None = None) -> None:
        """Answer with an arbitrary body, e.g. an HTML catch-all page, non-JSON or a huge body."""
        self._add(path_regex, times, status=status, body=_bytes(body), content_type=content_type)

    def redirect(self, path_regex: str, location: str, status: int = 302, times: int | None = None) -> None:
        self._add(path_regex, times, status=status, headers={"Location": location})

    def hold_http(self, path_regex: str | None) -> None:
        """Matching requests wait unanswered until ``hold_http(None)``, :meth:`clear` or ``stop()``: a
        test releases them once the state it needs is reached (e.g. every request of a fan-out has come)."""
        self._held = re.compile(path_regex) if path_regex is not None else None

    def holds(self, path: str) -> bool:
        held = self._held
        return held is not None and held.search(path) is not None

    def drop_websocket_after(self, n_messages: int | None) -> None:
        """The server closes each socket once it has sent it ``n_messages`` messages (``None`` disables)."""
        with self._lock:
            self._drop_after = n_messages

    def send_oversized_websocket_frame(self, size: int, binary: bool = False) -> None:
        """Each new socket first gets one text (or binary) frame declaring ``size`` bytes, whose payload
        is streamed in small chunks for as long as the client reads it (the fake holds no such buffer)."""
        self.oversized_websocket_frame = (size, binary)

    @property
    def websocket_drop_limit(self) -> int | None:
        return self._drop_after

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._drop_after = None
            self._held = None
            self.refuse_websocket = False
            self.stall_websocket = False
            self.oversized_websocket_frame = None
            self.hold_execution = False

    def take(self, method: str, path: str) -> tuple[float, float, web.Response | None]:
        """Consume the rules matching a request: ``(delay before handling it, delay before answering,
        replacement response or None)``."""
        delay, late, response = 0.0, 0.0, None
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(method, path) or (rule.status is not None and response is not None):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.status is None and rule.answer_only:
                    late += rule.delay
                elif rule.status is None:
                    delay += rule.delay
                else:
                    response = rule.response()
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
        return delay, late, response
