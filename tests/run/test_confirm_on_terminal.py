"""On a real terminal, a 'no' to a confirmation changes nothing."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

W1 = Path(__file__).resolve().parents[1] / "fixtures" / "workflows" / "W1_empty_image_save.json"


def test_answering_no_to_cancel_all_keeps_the_queue(fake_comfy: FakeComfyUI, cli_env: dict[str, str]) -> None:
    fake_comfy.faults.hold_execution = True  # both prompts stay on the server however long the child takes
    prompt = json.loads(W1.read_text())
    for color in (1, 2):
        prompt["1"]["inputs"]["color"] = color
        body = json.dumps({"prompt": prompt}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{fake_comfy.url}/prompt", data=body, method="POST"))
    primary, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--url", fake_comfy.url, "cancel", "--all"],
                             stdin=secondary, stdout=secondary, stderr=secondary, env={**os.environ, **cli_env},
                             close_fds=True)
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        seen += os.read(primary, 1024)
    os.write(primary, b"n\n")
    assert child.wait(timeout=30) == 130
    os.close(primary)
    queue = fake_comfy.queue_snapshot()
    assert len(queue["queue_running"]) + len(queue["queue_pending"]) == 2
    assert not any(r.path.endswith("/interrupt") for r in fake_comfy.requests)
