"""Running the real CLI on a pseudo-terminal with a chosen terminal's environment, answering its
queries like that terminal would, and reading everything it drew."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: What says which terminal this is; removed from the test's own environment first.
TERMINAL_VARIABLES = ("TERM", "TERM_PROGRAM", "KITTY_WINDOW_ID", "COLORTERM", "TMUX", "STY", "LC_TERMINAL",
                      "ITERM_SESSION_ID", "WT_SESSION", "NO_COLOR", "COLUMNS", "LINES")
WAIT = 60.0  # seconds: only a hung child ever gets near it


@dataclass
class Screenful:
    exit_code: int
    output: bytes  # everything written to the terminal, with the tty's \r\n turned back into \n

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")


def png(width: int, height: int, rows: list[list[tuple[int, int, int]]] | None = None,
        colour: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A PNG of known pixels (``rows`` of RGB tuples), else of one colour."""
    from comfyui_skill.testing.fake_comfyui.png import encode_png

    pixel_rows = [bytes(c for rgb in row for c in rgb) for row in rows] if rows else [bytes(colour) * width] * height
    return encode_png(width, height, pixel_rows)


def jpeg(width: int, height: int, colour: tuple[int, int, int] = (0, 255, 0)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def environment(cli_env: dict[str, str], **terminal: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_VARIABLES}
    env.update(cli_env)
    env.update(terminal)
    return env


def run_in_terminal(argv: list[str], env: dict[str, str], *, replies: dict[bytes, bytes] | None = None,
                    columns: int = 80, lines: int = 24, stdout_to_pipe: bool = False,
                    on_output: Callable[[bytes, subprocess.Popen], None] | None = None) -> Screenful:
    """Run ``comfyui-skill ARGV`` with its terminal on a pty of ``columns`` x ``lines``. ``replies``:
    when the output so far contains a query, the terminal answers it (once). ``on_output(seen, child)``
    is called after each read (to press Ctrl-C at the right moment)."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    child = subprocess.Popen([sys.executable, "-m", "comfyui_skill", *argv], stdin=secondary,
                             stdout=subprocess.PIPE if stdout_to_pipe else secondary, stderr=secondary, env=env,
                             close_fds=True)
    os.close(secondary)
    seen = b""
    answered: set[bytes] = set()
    try:
        while True:
            ready, _, _ = select.select([primary], [], [], WAIT)
            assert ready, f"no output for {WAIT} s; so far: {seen[-500:]!r}"
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            for query, reply in (replies or {}).items():
                if query in seen and query not in answered:
                    answered.add(query)
                    os.write(primary, reply)
            if on_output is not None:
                on_output(seen, child)
        piped = child.stdout.read() if child.stdout is not None else b""
        code = child.wait(WAIT)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(primary)
    return Screenful(code, (piped if stdout_to_pipe else seen).replace(b"\r\n", b"\n"))


def interrupt(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGINT)


def write_file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
