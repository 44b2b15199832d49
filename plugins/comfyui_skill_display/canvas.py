"""Drawing pictures on the terminal on stdout, each as one uninterruptible write.

Ctrl-C during a write is held back until the picture is whole (where signals can be held: POSIX, main
thread); where it cannot be, an interrupted write is followed by what ends any escape sequence, resets
the colours and shows the cursor. A drawn picture can be replaced in place: the cursor goes back up
over the rows it took and everything below is cleared (and kitty's image deleted).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from . import pictures, protocols
from .pictures import Picture
from .protocols import Cells

HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
#: Ends an unfinished APC/DCS/OSC sequence, resets colours, shows the cursor.
RESTORE = "\x1b\\\x1b[0m" + SHOW_CURSOR
#: Rows kept free below a picture (the caption and the progress line).
SPARE_ROWS = 2


@dataclass(frozen=True)
class Screen:
    """The terminal's size in cells and the pixels of one cell."""

    columns: int
    lines: int
    cell: Cells

    @classmethod
    def of(cls, stream: IO[str], columns: int) -> Screen:
        """Measured on ``stream``'s terminal (``columns`` as the caller knows them, e.g. ``$COLUMNS``)."""
        lines, cell = 24, Cells()
        try:
            fd = stream.fileno()
            lines = os.get_terminal_size(fd).lines or lines
            cell = _cell_pixels(fd) or cell
        except (OSError, ValueError, AttributeError):
            pass
        return cls(columns, lines, cell)


def _cell_pixels(fd: int) -> Cells | None:
    """The cell size from the window size in pixels (TIOCGWINSZ), when the terminal reports it."""
    try:
        import fcntl
        import struct
        import termios
    except ImportError:
        return None
    try:
        rows, cols, xpixel, ypixel = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    except OSError:
        return None
    if not (rows and cols and xpixel and ypixel):
        return None
    return Cells(max(1, xpixel // cols), max(1, ypixel // rows))


class Canvas:
    """Where pictures are drawn with one protocol; ``missing_pixels`` is set when a picture was not
    drawn only because Pillow is not installed."""

    def __init__(self, stream: IO[str], protocol: str, screen: Screen, *, tmux: bool = False) -> None:
        self.stream = stream
        self.protocol = protocol
        self.screen = screen
        self.tmux = tmux
        self.missing_pixels = False

    def box(self, item: Picture, size: int | None = None, *, max_rows: int | None = None) -> tuple[int, int]:
        """The cells ``item`` takes: ``size`` columns (default: its own size, a cell per pixel for
        half-blocks), never wider than the window nor taller than it (less :data:`SPARE_ROWS`) or
        than ``max_rows``."""
        blocks = self.protocol in protocols.HALF_BLOCKS
        natural = item.width if blocks else math.ceil(item.width / self.screen.cell.width)
        cols = min(size or natural, self.screen.columns - 1)
        rows = max(1, self.screen.lines - SPARE_ROWS)
        if max_rows is not None:
            rows = min(rows, max_rows)
        return protocols.fit(item.width, item.height, cols, rows, self.screen.cell)

    def render(self, data: bytes, size: int | None = None, *, max_rows: int | None = None) -> tuple[str, int] | None:
        """The text that draws the image in ``data`` and the rows it takes, or None (not an image
        we can draw here; :attr:`missing_pixels` says when Pillow would have helped)."""
        item = pictures.picture(data)
        if item is None:
            return None
        sized = item if (item.known_size and self.protocol not in protocols.NEEDS_PIXELS) else pictures.with_size(item)
        if sized is None:
            self._note_missing_pixels()
            return None
        cols, rows = self.box(sized, size, max_rows=max_rows)
        text = protocols.encode(self.protocol, sized, cols, rows, self.screen.cell, tmux=self.tmux)
        if text is None:
            self._note_missing_pixels()
            return None
        return text, rows

    def _note_missing_pixels(self) -> None:
        if not pictures.pillow_available():
            self.missing_pixels = True

    def erase(self, rows: int) -> str:
        """What removes the ``rows`` rows above the cursor (and everything below) before a redraw."""
        text = "\r" + (f"\x1b[{rows}A" if rows else "") + "\x1b[J"
        return (protocols.kitty_delete() + text) if self.protocol == "kitty" else text

    def write(self, text: str) -> None:
        """Write ``text`` whole: Ctrl-C waits until it is out (or the terminal is restored)."""
        with _sigint_held():
            try:
                self.stream.write(HIDE_CURSOR + text + SHOW_CURSOR)
                self.stream.flush()
            except KeyboardInterrupt:
                with contextlib.suppress(OSError, ValueError):
                    self.stream.write(RESTORE + "\n")
                    self.stream.flush()
                raise


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold SIGINT back in the main thread while the block runs (POSIX); elsewhere do nothing."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_UNBLOCK, {signal.SIGINT})
