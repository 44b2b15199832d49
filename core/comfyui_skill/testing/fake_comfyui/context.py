"""State shared by the routes, the sockets and the worker (owned by the server's event-loop thread)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .catalog import Catalog
from .executor import Executor
from .faults import Faults
from .files import Dirs, load_data
from .hub import Hub
from .logs import LogBuffer
from .prompt_queue import PromptQueue
from .recording import RequestLog

DEFAULT_MAX_UPLOAD_SIZE = 100 * 1024 * 1024


@dataclass
class Config:
    """Knobs a test may change while the server runs."""

    exec_delay: float = 0.0
    progress_steps_delay: float = 0.01
    sampler_previews: list[bytes] | None = None
    preview_metadata: bool = True
    max_upload_size: int = DEFAULT_MAX_UPLOAD_SIZE
    require_token: str | None = None
    api_prefix_only: bool = False


class ServerContext:
    def __init__(self, config: Config, faults: Faults, requests: RequestLog, dirs: Dirs,
                 models: dict[str, list[str]], classes: dict[str, Any]) -> None:
        self.config = config
        self.faults = faults
        self.requests = requests
        self.dirs = dirs
        self.models = models
        self.port = 0
        self.catalog = Catalog(classes, dirs, models)
        self.tracebacks: dict[str, Any] = load_data("tracebacks.json", dirs.base)
        self.node_replacements: dict[str, list] = load_data("node_replacements.json")
        self.hub = Hub(faults)
        self.logs = LogBuffer(self.hub, load_data("logs_raw.json", dirs.base))
        self.idle = threading.Event()
        self.idle.set()
        self.queue = PromptQueue(self._queue_changed)
        self.executor = Executor(self)
        self.stopping = asyncio.Event()
        self.manager: Any = None
        """The fake ComfyUI-Manager (``fake_manager.ManagerRuntime``) when one is attached."""
        self.rebooting = False
        """True while a Manager reboot has the server down."""
        self.reboot: Callable[[], Awaitable[None]] | None = None

    def queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": self.queue.remaining()}}

    def _queue_changed(self) -> None:
        self.hub.send("status", {"status": self.queue_info()})
        if self.queue.is_idle():
            self.idle.set()
        else:
            self.idle.clear()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        # Not asyncio.wait_for: before Python 3.12 it swallows a cancellation that arrives as the
        # awaited event fires, and stop() would then wait forever for the worker.
        waiter = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()


CONTEXT = web.AppKey("context", ServerContext)
