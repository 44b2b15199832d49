"""Which protocol the terminal draws with: the environment first, then (where it is inconclusive) the
terminal itself, asked with a short timeout; a setting can force one.

Order of preference: kitty graphics, iTerm2 inline images, sixel, truecolor half-blocks, 256-colour
half-blocks. Inside GNU screen nothing passes through: half-blocks. Inside tmux, sixel when tmux
itself reports it (tmux 3.4+ built with sixel), iTerm2 images through passthrough when the terminal
outside is iTerm2 and tmux allows passthrough, else half-blocks. ``NO_COLOR`` rules out the
half-blocks (graphics protocols still draw); ``TERM=dumb`` rules out everything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: kitty's graphics query (a 1x1 image it must not keep) followed by the device-attributes query,
#: which every terminal answers: the reply to the latter ends the wait.
KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
DEVICE_ATTRIBUTES = "\x1b[c"
_DA1_REPLY = re.compile(rb"\x1b\[\?([0-9;]*)c")
SIXEL_ATTRIBUTE = "4"

Ask = Callable[[str], bytes]


@dataclass(frozen=True)
class Choice:
    """The protocol to draw with (``none``: nothing), and whether to wrap it for tmux."""

    protocol: str
    tmux: bool = False


def choose(environ: Mapping[str, str], ask: Ask | None, *, forced: str = "auto",
           tmux_passthrough: Callable[[], bool] = lambda: False) -> Choice:
    """The protocol for this terminal. ``ask(query)`` writes a query and returns the reply (b"" when
    none came in time); None when the terminal cannot be asked."""
    term = environ.get("TERM", "")
    if term == "dumb":
        return Choice("none")
    blocks = _half_blocks(environ)
    if forced != "auto":
        return Choice(blocks if forced in ("truecolor", "256") and blocks == "none" else forced)
    tmux = bool(environ.get("TMUX")) or term.startswith("tmux")
    if not tmux and (environ.get("STY") or term.startswith("screen")):
        return Choice(blocks)
    if tmux:
        if _outer_iterm2(environ) and tmux_passthrough():
            return Choice("iterm2", tmux=True)
        return Choice("sixel" if ask is not None and _sixel_in(ask(DEVICE_ATTRIBUTES)) else blocks)
    program = environ.get("TERM_PROGRAM", "")
    if environ.get("KITTY_WINDOW_ID") or term in ("xterm-kitty", "xterm-ghostty") or program == "ghostty":
        return Choice("kitty")
    if program in ("iTerm.app", "WezTerm", "mintty") or _outer_iterm2(environ):
        return Choice("iterm2")
    if term.startswith(("foot", "mlterm")) or program == "mlterm":
        return Choice("sixel")
    if ask is not None:
        reply = ask(KITTY_QUERY + DEVICE_ATTRIBUTES)
        if b"\x1b_Gi=31;OK" in reply:
            return Choice("kitty")
        if _sixel_in(reply):
            return Choice("sixel")
    return Choice(blocks)


def _half_blocks(environ: Mapping[str, str]) -> str:
    if environ.get("NO_COLOR"):
        return "none"
    return "truecolor" if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit") else "256"


def _outer_iterm2(environ: Mapping[str, str]) -> bool:
    return environ.get("LC_TERMINAL") == "iTerm2" or bool(environ.get("ITERM_SESSION_ID"))


def _sixel_in(reply: bytes) -> bool:
    match = _DA1_REPLY.search(reply)
    return match is not None and SIXEL_ATTRIBUTE in match.group(1).decode().split(";")


def tmux_allows_passthrough() -> bool:
    """Whether this tmux hands escape sequences through to the terminal outside."""
    import subprocess

    try:
        answer = subprocess.run(["tmux", "show-options", "-gv", "allow-passthrough"], capture_output=True,
                                text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return answer.stdout.strip() in ("on", "all")


def terminal_asker(in_fd: int, out_fd: int, timeout: float) -> Ask | None:
    """A function that asks the terminal on ``out_fd`` and reads its reply on ``in_fd`` (the same
    terminal), or None when that is not possible (no termios, not the same terminal, no time)."""
    if timeout <= 0:
        return None
    try:
        import termios
    except ImportError:  # Windows
        return None
    try:
        if not (os.isatty(in_fd) and os.isatty(out_fd)) or os.ttyname(in_fd) != os.ttyname(out_fd):
            return None
    except OSError:
        return None

    def ask(query: str) -> bytes:
        return _ask(termios, in_fd, out_fd, query, timeout)

    return ask


def _ask(termios: object, in_fd: int, out_fd: int, query: str, timeout: float) -> bytes:
    """Write ``query`` with echo and line editing off, read until the device-attributes reply or the
    timeout, and restore the terminal whatever happens."""
    import select
    import time

    tc = termios  # type: ignore[assignment]
    saved = tc.tcgetattr(in_fd)  # type: ignore[attr-defined]
    quiet = list(saved)
    quiet[3] &= ~(tc.ECHO | tc.ICANON)  # type: ignore[attr-defined]
    reply = b""
    try:
        tc.tcsetattr(in_fd, tc.TCSANOW, quiet)  # type: ignore[attr-defined]
        os.write(out_fd, query.encode("ascii"))
        end = time.monotonic() + timeout
        while not _DA1_REPLY.search(reply):
            left = end - time.monotonic()
            if left <= 0 or not select.select([in_fd], [], [], left)[0]:
                break
            chunk = os.read(in_fd, 1024)
            if not chunk:
                break
            reply += chunk
    except OSError:
        pass
    finally:
        tc.tcsetattr(in_fd, tc.TCSANOW, saved)  # type: ignore[attr-defined]
    return reply
