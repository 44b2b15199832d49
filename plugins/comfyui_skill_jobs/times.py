"""Job timestamps: seconds or milliseconds since the epoch, whichever the server sends."""

from __future__ import annotations

import time
from typing import Any

#: Epoch values below this are seconds (1e11 s is the year 5138; 1e11 ms is 1973).
SECONDS_BELOW = 1e11


def seconds(value: Any) -> float | None:
    """An epoch timestamp in seconds, from seconds or milliseconds; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value < SECONDS_BELOW else value / 1000


def duration(job: dict[str, Any]) -> float | None:
    start, end = seconds(job.get("execution_start_time")), seconds(job.get("execution_end_time"))
    return end - start if start is not None and end is not None else None


def local_time(epoch: float | None, short: bool = False) -> str:
    """Local time; ``short`` leaves out the year, so a job listing fits 80 columns with whole ids."""
    if epoch is None:
        return "-"
    return time.strftime("%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def span(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}s" if value < 60 else f"{int(value // 60)}m{int(value % 60):02d}s"
