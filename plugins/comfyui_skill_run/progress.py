"""The terminal progress line on stderr: queue position, the running node, a step bar, elapsed time.

Only drawn when stderr is a terminal (``Output.decorated``); otherwise nothing decorative is printed.
The elapsed time keeps moving between events (a clock redraws the line every second), the line never
takes more than the terminal's width (the node's title is cut first, the step count never), and
``close()`` clears it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import IO

from comfyui_skill import Event

BAR_WIDTH = 24
#: Seconds between redraws of an unchanged line (the elapsed time moves).
TICK = 1.0


def bar(value: float, maximum: float, width: int = BAR_WIDTH) -> str:
    filled = int(width * value / maximum) if maximum else 0
    filled = max(0, min(width, filled))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def fit(text: str, tail: str, width: int) -> str:
    """``text + tail`` in ``width`` characters: ``text`` is cut (with an ellipsis) before ``tail``."""
    room = width - len(tail)
    if len(text) > room:
        text = text[:room - 1] + "…" if room > 1 else ""
    return (text + tail)[:width]


class ProgressLine:
    """Redraws one status line per event, and every ``tick`` seconds while drawn; ``close()`` clears it."""

    def __init__(self, stream: IO[str], *, width: int = 100, tick: float = TICK,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.width = width
        self.tick = tick
        self.clock = clock
        self.start = clock()
        self.node = ""
        self.drawn = False
        self.shown = ("", "")  # the line after the elapsed time: the part that may be cut, the part kept
        self.lock = threading.Lock()  # the clock's thread draws too
        self.clock_thread: threading.Thread | None = None
        self.stop_clock = threading.Event()

    def __call__(self, event: Event) -> None:
        data = event.data
        if event.type == "queued":
            position, server_status = data.get("position"), data.get("server_status")
            self._show("queued" + (f", position {position}" if position else "")
                       + (f" (the server says {server_status!r})" if server_status else ""))
        elif event.type == "started":
            self._show("running")
        elif event.type == "node":
            self.node = data.get("title") or str(data.get("node"))
            self._show(f"running {self.node}")
        elif event.type == "progress":
            value, maximum = data.get("value") or 0, data.get("max") or 0
            self._show(self.node or "running", f" {bar(value, maximum)} {value}/{maximum}")
        elif event.type == "retry":
            self._show(f"{data.get('reason')}")
        elif event.type == "preview":
            self.redraw()  # a display plugin may have drawn the preview over the line
        elif event.type in ("done", "failed", "cancelled"):
            self.close()

    def _show(self, text: str, tail: str = "") -> None:
        """Draw ``text`` and ``tail`` after the elapsed time, and keep the time moving."""
        with self.lock:
            self.shown = (text, tail)
            self._draw(text, tail)
            if self.clock_thread is None:
                self.stop_clock = threading.Event()
                self.clock_thread = threading.Thread(target=self._keep_ticking, args=(self.stop_clock,),
                                                     name="progress-clock", daemon=True)
                self.clock_thread.start()

    def _keep_ticking(self, stop: threading.Event) -> None:
        while not stop.wait(self.tick):
            self.redraw()

    def paused(self) -> threading.Lock:
        """Hold it (``with line.paused():``) while something else draws on the terminal: the clock
        does not redraw the line meanwhile."""
        return self.lock

    def redraw(self) -> None:
        """The line again, with the elapsed time brought up to date (what the clock does)."""
        with self.lock:
            if self.drawn:
                self._draw(*self.shown)

    def _draw(self, text: str, tail: str = "") -> None:
        line = fit(f"{elapsed(self.clock() - self.start)}  {text}", tail, max(self.width - 1, 10))
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        with self.lock:
            self.stop_clock.set()
            self.clock_thread = None
            if self.drawn:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self.drawn = False
