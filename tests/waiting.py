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
def released_when(condition: Callable[[], Any], release: Callable[[], None]) -> Iterator[None]:
    """Run the body while a thread waits for ``condition`` and then calls ``release`` (released also if
    the condition never comes, and the test then fails instead of hanging)."""
    reached = threading.Event()

    def wait_then_release() -> None:
        try:
            wait_for(condition)
            reached.set()
        finally:
            release()
    thread = threading.Thread(target=wait_then_release, daemon=True)
    thread.start()
    yield
    thread.join(30)
    assert reached.is_set(), "released without the condition reached"


@contextlib.contextmanager
def held_until(condition: Callable[[], Any], *servers: FakeComfyUI) -> Iterator[None]:
    """The ``servers`` hold execution (nothing they have runs) until ``condition`` holds, checked on a
    thread while the body runs: a state that lasts exactly as long as a test needs, on any machine."""
    for server in servers:
        server.faults.hold_execution = True

    def release() -> None:
        for server in servers:
            server.faults.hold_execution = False
    with released_when(condition, release):
        yield
