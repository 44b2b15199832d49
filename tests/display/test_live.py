"""The live display keeps one preview however many arrive, and draws at most one per interval."""

from __future__ import annotations

import io

from comfyui_skill import Event, Output

from comfyui_skill_display.canvas import Canvas, Screen
from comfyui_skill_display.live import LiveDisplay
from comfyui_skill_display.protocols import Cells

from .terminal import png


def test_a_flood_of_previews_keeps_only_the_newest() -> None:
    screen = io.StringIO()
    display = LiveDisplay(Output(stdout=screen), Canvas(screen, "truecolor", Screen(80, 24, Cells())),
                          outputs=True, previews=True, size=None, interval=3600)
    frames = [png(2, 2, colour=(n % 256, 0, 0)) for n in range(1000)]
    for frame in frames:
        display(Event("preview", data={"node": "5", "image": frame}))
    assert screen.getvalue().count("\u2580") == 2  # the first one only: the interval has not passed
    assert display.pending is frames[-1]  # one image held, the newest
    display(Event("done", data={"outputs": []}))
    assert display.pending is None


def test_an_undecodable_preview_is_skipped_without_a_word() -> None:
    screen = io.StringIO()
    display = LiveDisplay(Output(stdout=screen, stderr=screen), Canvas(screen, "truecolor", Screen(80, 24, Cells())),
                          outputs=True, previews=True, size=None, interval=0)
    display(Event("preview", data={"node": "5", "image": b"\xff\xd8\xff not a jpeg"}))
    display(Event("preview", data={"node": "5", "image": b"random bytes"}))
    assert screen.getvalue() == ""
    assert display.preview_rows == 0
