"""The batch's one progress line on a terminal: done / failed / running / queued, rate and ETA."""

from __future__ import annotations

import time
from typing import IO

from ..progress import elapsed

#: Redraw at most this often (a fast batch changes state hundreds of times a second).
REDRAW = 0.1


def status_line(counts: dict[str, int], total: int, seconds: float) -> str:
    finished = counts["done"] + counts["failed"]
    rate = finished / seconds if seconds > 0 else 0.0
    line = (f"{elapsed(seconds)}  {finished}/{total}  done {counts['done']}  failed {counts['failed']}  "
            f"running {counts['running']}  queued {counts['queued']}")
    if rate > 0:
        line += f"  {rate:.1f}/s  ETA {elapsed((total - finished) / rate)}"
    return line


class BatchProgress:
    def __init__(self, stream: IO[str], total: int, *, width: int = 100) -> None:
        self.stream = stream
        self.total = total
        self.width = width
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, counts: dict[str, int], *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < REDRAW:
            return
        self.last = now
        text = status_line(counts, self.total, now - self.start)[: max(self.width - 1, 10)]
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
