"""Drawing while ``run`` and ``wait`` follow a prompt: the latest live preview above the progress line,
replaced in place at most every ``display.preview_interval`` seconds, then each saved output (which
replaces the preview) with its path under it.

Only the newest preview is kept (one image, however many arrive); one that cannot be decoded is
skipped without a word.
"""

from __future__ import annotations

import time
import weakref
from pathlib import Path
from typing import Any

from comfyui_skill import CliError, Context, Event, Output

from . import media, session
from .canvas import Canvas
from .protocols import GRAPHICS

_displays: weakref.WeakKeyDictionary[Context, LiveDisplay | None] = weakref.WeakKeyDictionary()


def observe(ctx: Context, event: Event) -> None:
    """Hand ``event`` to the display of this command, opened on its first event (None: nothing to draw)."""
    try:
        display = _displays[ctx]
    except KeyError:
        display = _displays[ctx] = LiveDisplay.open(ctx)
    if display is not None:
        display(event)


class LiveDisplay:
    def __init__(self, out: Output, canvas: Canvas, *, outputs: bool, previews: bool, size: int | None,
                 interval: float) -> None:
        self.out = out
        self.canvas = canvas
        self.outputs = outputs
        self.previews = previews
        self.size = size
        self.interval = interval
        self.pending: bytes | None = None  #: the newest preview not drawn yet
        self.preview_rows = 0  #: rows of the preview on screen, just above the cursor
        self.last_drawn = float("-inf")
        self.hinted = False

    @classmethod
    def open(cls, ctx: Context) -> LiveDisplay | None:
        """The display the command asked for (``Output.display``) under the ``display.*`` settings."""
        request = ctx.output.display or {}
        try:
            chosen = session.settings(ctx)
        except CliError as exc:
            ctx.output.warn(f"{exc.message}; nothing is drawn")
            return None
        if request.get("outputs") is False and not request.get("previews"):
            return None
        canvas = session.canvas_for(ctx, chosen)
        if canvas is None:
            return None
        by_setting = chosen.show == "always" or (chosen.show == "auto" and canvas.protocol in GRAPHICS)
        outputs = by_setting if request.get("outputs") is None else bool(request["outputs"])
        previews = by_setting if request.get("previews") is None else bool(request["previews"])
        if not (outputs or previews):
            return None
        return cls(ctx.output, canvas, outputs=outputs, previews=previews, size=request.get("size"),
                   interval=chosen.preview_interval)

    def __call__(self, event: Event) -> None:
        kind = event.type
        if kind == "preview" and self.previews:
            image = event.data.get("image")
            self.pending = image if isinstance(image, bytes) else None
            self._draw_pending()
        elif kind in ("progress", "node"):
            self._draw_pending()
        elif kind == "output":
            self.pending = None
            if self.outputs:
                self._draw_output(event.data)
        elif kind in ("done", "failed", "cancelled"):
            self.pending = None
            self.preview_rows = 0  # what is on screen stays; the next prompt draws below it
            if self.canvas.missing_pixels and not self.hinted:
                self.hinted = True
                self.out.note(f"hint: {session.HINT}")

    def _draw_pending(self) -> None:
        now = time.monotonic()
        if self.pending is None or now - self.last_drawn < self.interval:
            return
        data, self.pending = self.pending, None
        drawn = self.canvas.render(data, self.size)
        if drawn is None:
            return  # undecodable: skipped
        text, rows = drawn
        self.canvas.write(self.canvas.erase(self.preview_rows) + text)
        self.preview_rows = rows
        self.last_drawn = now

    def _draw_output(self, item: dict[str, Any]) -> None:
        path = item.get("path")
        if not isinstance(path, str):
            return  # a text, or a file not downloaded
        try:
            entry = media.describe(Path(path))
        except OSError:
            return
        drawn = media.render(self.canvas, entry, self.size)
        text = self.canvas.erase(self.preview_rows) if self.preview_rows else ""
        self.preview_rows = 0
        self.canvas.write(text + (drawn[0] if drawn is not None else "") + media.caption(entry) + "\n")
        self.out.shown.add(path)
