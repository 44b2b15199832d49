"""The batch's one progress line on a terminal: done / failed / running / queued, rate and ETA."""

from __future__ import annotations

import time
from typing import IO

from ..progress import ProgressLine, elapsed

#: Redraw at most this often (a fast batch changes state hundreds of times a second).
REDRAW = 0.1


def status_line(counts: dict[str, int], total: int, seconds: float) -> str:
    finished = counts["done"] + counts["failed"]
    rate = finished / seconds if seconds > 0 else 0.0
    line = (f"{finished}/{total}  done {counts['done']}  failed {counts['failed']}  "
            f"running {counts['running']}  queued {counts['queued']}")
    if rate > 0:
        line += f"  {rate:.1f}/s  ETA {elapsed((total - finished) / rate)}"
    return line


class BatchProgress(ProgressLine):
    """The line of :class:`ProgressLine` (elapsed time first), drawn from the batch's counts."""

    def __init__(self, stream: IO[str], total: int, *, width: int = 100) -> None:
        super().__init__(stream, width=width)
        self.total = total
        self.last = 0.0

    def due(self) -> bool:
        """Whether it is time to redraw (ask before counting: counting walks every item)."""
        now = time.monotonic()
        if now - self.last < REDRAW:
            return False
        self.last = now
        return True

    def __call__(self, counts: dict[str, int]) -> None:  # type: ignore[override]
        self._draw(status_line(counts, self.total, time.monotonic() - self.start))
