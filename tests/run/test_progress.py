"""The terminal progress line (drawn only when stderr is a terminal)."""

from __future__ import annotations

import io

from comfyui_skill import Event

from comfyui_skill_run.progress import ProgressLine


def test_progress_line_shows_position_node_steps_and_clears():
    stream = io.StringIO()
    line = ProgressLine(stream, width=80)
    line(Event("queued", data={"position": 3}))
    assert "queued, position 3" in stream.getvalue()
    line(Event("node", data={"node": "3", "title": "ColorTransfer (#3)"}))
    line(Event("progress", data={"node": "3", "value": 6, "max": 24}))
    drawn = stream.getvalue().split("\r\x1b[K")[-1]
    assert drawn.startswith("0:00  ColorTransfer (#3) [######------------------] 6/24")
    line(Event("done"))
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_line_shows_a_status_the_server_made_up():
    stream = io.StringIO()
    ProgressLine(stream, width=80)(Event("queued", data={"position": None, "server_status": "waiting_for_gpu"}))
    assert stream.getvalue().endswith("queued (the server says 'waiting_for_gpu')")
