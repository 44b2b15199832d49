"""A tiny scripted HTTP server on loopback that records what it receives.

Transport tests need exact control over statuses, headers and broken bodies, and a second host
(a "storage" server for redirected downloads) that must never see credentials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[["Handler"], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Answers each path with the next reply scripted for it (the last one repeats)."""

    host: str = "127.0.0.1"
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _Handler(Handler):
            owner = server

        self._httpd = ThreadingHTTPServer((self.host, 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str = "", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def on(self, path: str, *replies: Reply) -> ScriptedServer:
        self.routes[path] = list(replies)
        return self

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class Handler(BaseHTTPRequestHandler):
    owner: ScriptedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # silence the default stderr log
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        self.owner.seen.append(Seen(self.command, self.path, dict(self.headers), body))
        replies = self.owner.routes.get(path)
        if not replies:
            return send(404, b"")(self)
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        reply(self)

    do_GET = do_POST = do_PATCH = _handle


def send(status: int, body: bytes = b"", headers: dict[str, str] | None = None,
         content_type: str = "application/json") -> Reply:
    def reply(handler: Handler) -> None:
        handler.send_response(status)
        for key, value in {"Content-Type": content_type, **(headers or {})}.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return reply


def send_chunks(status: int, chunks: Iterator[bytes] | list[bytes], *, delay: float = 0.0,
                length: int | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A body sent piece by piece (endless when ``chunks`` is), optionally lying about its length."""
    def reply(handler: Handler) -> None:
        handler.send_response(status)
        for key, value in {"Content-Type": "application/octet-stream", **(headers or {})}.items():
            handler.send_header(key, value)
        if length is not None:
            handler.send_header("Content-Length", str(length))
            handler.end_headers()
            try:
                for chunk in chunks:
                    handler.wfile.write(chunk)
                    handler.wfile.flush()
                    time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                pass
            handler.close_connection = True
            return
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for chunk in chunks:
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.flush()
                time.sleep(delay)
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    return reply


def redirect(location: str, status: int = 302) -> Reply:
    return send(status, b"", {"Location": location})
