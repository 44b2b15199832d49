"""The batch's progress line (drawn only when stderr is a terminal)."""

from __future__ import annotations

import io

from comfyui_skill_run.batch.display import BatchProgress, status_line


def test_status_line_counts_rate_and_eta():
    counts = {"done": 9, "failed": 1, "running": 4, "queued": 86}
    assert status_line(counts, 100, 5.0) == "10/100  done 9  failed 1  running 4  queued 86  2.0/s  ETA 0:45"
    assert "ETA" not in status_line({"done": 0, "failed": 0, "running": 2, "queued": 98}, 100, 1.0)


def test_progress_line_is_redrawn_in_place_and_cleared():
    stream = io.StringIO()
    line = BatchProgress(stream, 4, width=80)
    line({"done": 0, "failed": 0, "running": 2, "queued": 2})
    line({"done": 1, "failed": 0, "running": 2, "queued": 1})  # within the redraw interval: skipped
    assert stream.getvalue().count("\r\x1b[K") == 1
    assert stream.getvalue().startswith("\r\x1b[K0:00  0/4  done 0  failed 0  running 2  queued 2")
    line.close()
    assert stream.getvalue().endswith("\r\x1b[K")
