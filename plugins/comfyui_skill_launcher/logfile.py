"""A launched ComfyUI's own log file: its last lines, and following it as it grows."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

FOLLOW_INTERVAL = 0.2  #: seconds between two looks at a log that did not grow
_TAIL_BYTES = 256 * 1024


def last_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a log (all of them for 0), without reading a huge file whole."""
    return tail(path, count)[0]


def tail(path: Path, count: int) -> tuple[list[str], int]:
    """The last ``count`` complete lines (all for 0) and the offset just after them, where
    :func:`follow` goes on."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            start = 0 if count == 0 else max(size - _TAIL_BYTES, 0)
            handle.seek(start)
            data = handle.read(size - start)
    except FileNotFoundError:
        return [], 0
    end = start + data.rfind(b"\n") + 1 if b"\n" in data else start
    lines = data[: end - start].decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")[:-1]
    if start:
        lines = lines[1:]  # the first one was cut
    return (lines if count == 0 else lines[-count:]), end


def follow(path: Path, show: Callable[[str], None], *, keep_going: Callable[[], bool],
           deadline: float | None = None, start: int = 0) -> None:
    """Show what ``path`` holds from ``start`` on, line by line as it is written, while
    ``keep_going()`` holds (and until the monotonic ``deadline``); what was written before the end
    is always shown."""
    with open(path, "rb") as handle:
        handle.seek(start)
        pending = b""
        while True:
            chunk = handle.read()
            if chunk:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    show(line.decode("utf-8", errors="replace").rstrip("\r"))
                continue
            if not keep_going() or (deadline is not None and time.monotonic() >= deadline):
                rest = handle.read()
                for line in (pending + rest).decode("utf-8", errors="replace").splitlines():
                    show(line)
                return
            time.sleep(FOLLOW_INTERVAL)
