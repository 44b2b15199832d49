"""A fake ComfyUI-Manager attached to the fake ComfyUI: ``FakeComfyUI(manager="4"|"4-legacy"|"3"|"3.39")``.

It reproduces the recorded Manager 4.2.2 (``data/``) and the documented 3.x routes: queue then start,
the worker's results over the WebSocket and the history, security denials, the offline registry
message, model downloads from a URL into ``/models/FOLDER``, node packs whose classes appear in
``/object_info`` after a reboot, and the reboot itself (the server goes away and comes back).
``fake_comfy.manager`` is the :class:`ManagerState`: its knobs (``security_level``,
``registry_online``, ``add_registry_pack()``, ``add_repository()``, ``model_list``...) and live state.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .state import DIALECTS, ManagerState, Pack, simple_class
from .worker import Worker

__all__ = ["DIALECTS", "ManagerRuntime", "ManagerState", "Pack", "simple_class"]


class ManagerRuntime:
    """The Manager inside a running fake server: its state and its queue worker."""

    def __init__(self, state: ManagerState, host: Any) -> None:
        self.state = state
        self.worker = Worker(state, host)
        self.reboot_task: asyncio.Task | None = None

    def rebooted(self) -> None:
        """A restarted process: nothing queued, the counters start again."""
        self.state.pending.clear()
        self.state.running = None
        self.state.done_count = 0
        self.state.reboots += 1
        self.worker = Worker(self.state, self.worker.host)
