"""The progress line on a real terminal (a pseudo-terminal): drawn on stderr, and cleared on Ctrl-C."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time

from .conftest import WORKFLOWS, load_workflow


def _read_until(primary: int, wanted: bytes | None, seen: bytes, deadline: float) -> bytes:
    """What the terminal shows, read until ``wanted`` appears (None: until the child closes it)."""
    while (wanted is None or wanted not in seen) and time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_ctrl_c_clears_the_progress_line_drawn_to_the_terminals_width(fake_comfy, cli_env, tmp_path):
    workflow = load_workflow("W1")
    workflow["1"]["_meta"] = {"title": "An empty image whose title somebody made far too long for any line"}
    (tmp_path / "long.json").write_text(json.dumps(workflow))
    fake_comfy.faults.hold_execution = True  # the prompt runs until interrupted
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # the terminal's size
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))  # 60 columns
    child = subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--url", fake_comfy.url, "run",
                              str(tmp_path / "long.json")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary,
                             env={**environ, **cli_env, "TERM": "xterm"}, close_fds=True)
    os.close(secondary)
    deadline = time.monotonic() + 30
    seen = _read_until(primary, b"running An empty", b"", deadline)  # the node is held: running
    assert b"running An empty" in seen, seen
    child.send_signal(signal.SIGINT)  # Ctrl-C
    seen = _read_until(primary, None, seen, deadline)
    assert child.wait(timeout=30) == 130
    os.close(primary)
    text = seen.decode()
    assert "\r\x1b[Kcancelling prompt" in text and "\r\ncomfyui-skill: error: interrupted" in text, text
    drawn = [part for part in text.split("\r\x1b[K") if part and "\n" not in part]
    assert any("  running An empty image whose" in part and part.endswith("…")
               for part in drawn), drawn
    assert all(len(part) < 60 for part in drawn)  # the terminal's, though stdout is not one


def test_submit_clears_its_line_before_saying_how_to_follow(fake_comfy, cli_env):
    primary, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--url", fake_comfy.url, "submit",
                              str(WORKFLOWS / "W1_empty_image_save.json")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary,
                             env={**os.environ, **cli_env, "TERM": "xterm"}, close_fds=True)
    os.close(secondary)
    seen = _read_until(primary, None, b"", time.monotonic() + 30).decode()
    assert child.wait(timeout=30) == 0
    child.stdout.close()
    os.close(primary)
    assert "queued" in seen and "\r\x1b[Ksubmitted; follow it with" in seen, seen
