"""Timing one child process for the benchmarks: wall time and CPU time (user + system).

On a shared machine the wall time of a process includes waiting for a CPU; its CPU time does not,
so the benchmarks print both.
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Sequence


def child(command: Sequence[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, float, str]:
    """Run ``command`` to its end: (wall seconds, CPU seconds, stdout). A failure raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(command), capture_output=True, text=True, env=env, cwd=cwd, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, done.stdout
