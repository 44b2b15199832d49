"""One self-updating line on stderr while something slow happens (only on a terminal)."""

from __future__ import annotations

from comfyui_skill import Output


class StatusLine:
    """``show(text)`` redraws the line; ``clear()`` removes it. Silent unless stderr is a terminal
    (and not ``-q``), so pipes, files and JSON modes get nothing."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.active = out.decorated and not out.quiet
        self.drawn = False

    def show(self, text: str) -> None:
        if not self.active:
            return
        width = max(self.out.width - 1, 10)
        shown = text if len(text) <= width else text[: width - 1] + "…"
        self.out.stderr.write("\r\x1b[K" + shown)
        self.out.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.out.stderr.write("\r\x1b[K")
            self.out.stderr.flush()
            self.drawn = False
