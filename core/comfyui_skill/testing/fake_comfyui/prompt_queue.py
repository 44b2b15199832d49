"""The prompt queue and the history, as ComfyUI's ``PromptQueue`` keeps them (event-loop thread only)."""

from __future__ import annotations

import asyncio
import copy
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_HISTORY = 10000


@dataclass
class QueueItem:
    number: int | float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]
    sensitive: dict[str, Any] = field(default_factory=dict)
    """Secrets from ``extra_data`` (comfy.org keys) that are never returned."""

    def __lt__(self, other: QueueItem) -> bool:
        return (self.number, self.prompt_id) < (other.number, other.prompt_id)

    def public(self) -> list[Any]:
        """The 5-element form used by ``/queue`` and history."""
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


class PromptQueue:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self.counter = 0
        """The ``number`` given to the next prompt posted without one."""
        self.pending: list[QueueItem] = []
        """A heap: listed in heap order, as ``/queue`` shows it."""
        self.running: dict[int, QueueItem] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self._tasks = 0
        self._wakeup = asyncio.Event()
        self.peak = 0
        """The most prompts ever queued or running at once (what a client kept in flight)."""

    def remaining(self) -> int:
        return len(self.pending) + len(self.running)

    def is_idle(self) -> bool:
        return not self.pending and not self.running

    def put(self, item: QueueItem) -> None:
        heapq.heappush(self.pending, item)
        self.peak = max(self.peak, self.remaining())
        self._wakeup.set()
        self._on_change()

    async def get(self) -> tuple[int, QueueItem]:
        while not self.pending:
            self._wakeup.clear()
            await self._wakeup.wait()
        item = heapq.heappop(self.pending)
        task, self._tasks = self._tasks, self._tasks + 1
        self.running[task] = copy.deepcopy(item)
        self._on_change()
        return task, self.running[task]

    def task_done(self, task: int, outputs: dict, meta: dict, status: dict[str, Any]) -> None:
        item = self.running.pop(task)
        if len(self.history) >= MAX_HISTORY:
            self.history.pop(next(iter(self.history)))
        self.history[item.prompt_id] = {"prompt": item.public(), "outputs": outputs, "status": status, "meta": meta}
        self._on_change()

    def abandon(self, task: int) -> None:
        """Forget a running item without history (a simulated restart)."""
        if self.running.pop(task, None) is not None:
            self._on_change()

    def delete(self, predicate: Callable[[QueueItem], bool]) -> bool:
        """Remove the first pending item matching ``predicate``."""
        for index, item in enumerate(self.pending):
            if predicate(item):
                self.pending.pop(index)
                heapq.heapify(self.pending)
                self._on_change()
                return True
        return False

    def wipe(self) -> None:
        self.pending = []
        self._on_change()

    def snapshot(self) -> dict[str, list]:
        return {"queue_running": [item.public() for item in self.running.values()],
                "queue_pending": [item.public() for item in self.pending]}

    def running_id(self) -> str | None:
        return next((item.prompt_id for item in self.running.values()), None)

    def get_history(self, max_items: int | None = None, offset: int = -1) -> dict[str, Any]:
        """``GET /history`` paging, including its quirks (``max_items=0`` with an offset returns one entry)."""
        if offset < 0 and max_items is not None:
            offset = len(self.history) - max_items
        out: dict[str, Any] = {}
        for index, (prompt_id, entry) in enumerate(self.history.items()):
            if index >= offset:
                out[prompt_id] = entry
                if max_items is not None and len(out) >= max_items:
                    break
        return out
