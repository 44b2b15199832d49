from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.register_assert_rewrite("tests.fake_server.support")

from comfyui_skill.testing.fake_comfyui import FakeComfyUI


@pytest.fixture
def fake() -> Iterator[FakeComfyUI]:
    """A fresh fake server with fast progress ticks."""
    with FakeComfyUI() as server:
        server.progress_steps_delay = 0.001
        yield server
