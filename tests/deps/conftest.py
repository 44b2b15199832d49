"""Fixtures for the Manager tests: a fake ComfyUI with a fake Manager, and a loopback model host."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

from .helpers import DIALECTS, tiny_safetensors


class _ModelFiles(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def model_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT/tiny.safetensors`` served by a loopback HTTP server."""
    handler = type("Handler", (_ModelFiles,), {"files": {"/tiny.safetensors": tiny_safetensors()}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tiny.safetensors"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(params=DIALECTS)
def managed(request: pytest.FixtureRequest) -> Iterator[FakeComfyUI]:
    """A fake ComfyUI with a fake Manager, once per dialect (4.x task API, 4.x legacy UI, 3.x)."""
    with FakeComfyUI(manager=request.param) as server:
        yield server


@pytest.fixture
def manager4() -> Iterator[FakeComfyUI]:
    with FakeComfyUI(manager="4") as server:
        yield server
