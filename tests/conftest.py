"""Fixtures for the whole suite (the fake server, ``cli_env`` and ``run_cli`` come from comfyui_skill.testing)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

pytest_plugins = ["comfyui_skill.testing"]


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for the whole test. It stays bound (not listening)
    meanwhile, so no other process can start listening on it, as it could on a port closed again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
