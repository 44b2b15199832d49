"""Waiting for a state instead of for a duration (see docs/reliability.md): shared by the test folders."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from comfyui_skill.testing.fake_comfyui import FakeComfyUI


def wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> None:
    """Poll ``condition`` until it holds (an assertion error after ``timeout`` seconds, a safety net)."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.02)


@contextlib.contextmanager
def held_until(condition: Callable[[], Any], *servers: FakeComfyUI) -> Iterator[None]:
    """The ``servers`` hold execution (nothing they have runs) until ``condition`` holds, checked on a
    thread while the body runs: a state that lasts exactly as long as a test needs, on any machine."""
    reached = threading.Event()
    for server in servers:
        server.faults.hold_execution = True

    def release() -> None:
        try:
            wait_for(condition)
            reached.set()
        finally:
            for server in servers:
                server.faults.hold_execution = False
    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    yield
    thread.join(30)
    assert reached.is_set(), "the servers were released without the condition reached"
