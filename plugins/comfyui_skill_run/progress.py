"""The terminal progress line on stderr: queue position, the running node, a step bar, elapsed time.

Only drawn when stderr is a terminal (``Output.decorated``); otherwise nothing decorative is printed.
"""

from __future__ import annotations

import time
from typing import IO

from comfyui_skill import Event

BAR_WIDTH = 24


def bar(value: float, maximum: float, width: int = BAR_WIDTH) -> str:
    filled = int(width * value / maximum) if maximum else 0
    filled = max(0, min(width, filled))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class ProgressLine:
    """Redraws one status line per event; ``close()`` clears it."""

    def __init__(self, stream: IO[str], *, width: int = 100) -> None:
        self.stream = stream
        self.width = width
        self.start = time.monotonic()
        self.node = ""
        self.drawn = False

    def __call__(self, event: Event) -> None:
        data = event.data
        if event.type == "queued":
            position, server_status = data.get("position"), data.get("server_status")
            self._draw("queued" + (f", position {position}" if position else "")
                       + (f" (the server says {server_status!r})" if server_status else ""))
        elif event.type == "started":
            self._draw("running")
        elif event.type == "node":
            self.node = data.get("title") or str(data.get("node"))
            self._draw(f"running {self.node}")
        elif event.type == "progress":
            value, maximum = data.get("value") or 0, data.get("max") or 0
            self._draw(f"{self.node or 'running'} {bar(value, maximum)} {value}/{maximum}")
        elif event.type == "retry":
            self._draw(f"{data.get('reason')}")
        elif event.type in ("done", "failed", "cancelled"):
            self.close()

    def _draw(self, text: str) -> None:
        line = f"{elapsed(time.monotonic() - self.start)}  {text}"[: max(self.width - 1, 10)]
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
