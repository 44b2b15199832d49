"""The batch's progress line (drawn only when stderr is a terminal)."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import subprocess
import sys
import time
from types import SimpleNamespace

from comfyui_skill_run.batch import display
from comfyui_skill_run.batch.display import REDRAW, BatchProgress, status_line


def test_status_line_counts_rate_and_eta():
    counts = {"done": 9, "failed": 1, "running": 4, "queued": 86}
    assert status_line(counts, 100, 5.0) == "10/100  done 9  failed 1  running 4  queued 86  2.0/s  ETA 0:45"
    assert "ETA" not in status_line({"done": 0, "failed": 0, "running": 2, "queued": 98}, 100, 1.0)


def test_progress_line_is_redrawn_in_place_and_cleared(monkeypatch):
    now = [time.monotonic()]  # the line's clock, moved by the test: a slow machine cannot skip the interval
    monkeypatch.setattr(display, "time", SimpleNamespace(monotonic=lambda: now[0]))
    stream = io.StringIO()
    line = BatchProgress(stream, 4, width=80)
    assert line.due()
    line({"done": 0, "failed": 0, "running": 2, "queued": 2})
    now[0] += REDRAW / 2
    assert not line.due()  # within the redraw interval
    now[0] += REDRAW
    assert line.due()
    assert stream.getvalue().count("\r\x1b[K") == 1
    assert stream.getvalue().startswith("\r\x1b[K0:00  0/4  done 0  failed 0  running 2  queued 2")
    line.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_a_batch_on_a_terminal_draws_one_progress_line(cli_env, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.exec_delay = 0.1
    primary, secondary = pty.openpty()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env, "TERM": "xterm"}
    child = subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--url", fake.url, "run", workflow("W1"),
                              "--sweep", "1.width=1..4", "-o", str(outdir)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=secondary, env=env, close_fds=True)
    os.close(secondary)
    seen = b""
    with contextlib.suppress(OSError):  # EIO once the child closed its end
        while chunk := os.read(primary, 4096):
            seen += chunk
    stdout, _ = child.communicate(timeout=30)
    os.close(primary)
    assert child.returncode == 0
    assert b"\r\x1b[K0:0" in seen and b"/4  done " in seen and b"queued " in seen
    assert seen.rstrip(b"\r\n").endswith(b"\x1b[K")  # the line is cleared before the summary
    assert b"4 items: 4 done, 0 failed" in stdout
