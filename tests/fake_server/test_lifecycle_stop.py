"""stop() ends the server even while a node is running (a worker sleeping in exec_delay)."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

W1 = Path(__file__).resolve().parents[1] / "fixtures" / "workflows" / "W1_empty_image_save.json"


def test_stop_while_a_node_runs_does_not_hang() -> None:
    fake = FakeComfyUI().start()
    fake.exec_delay = 30
    body = json.dumps({"prompt": json.loads(W1.read_text())}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{fake.url}/prompt", data=body, method="POST")).read()
    stopper = threading.Thread(target=fake.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=20)
    assert not stopper.is_alive(), "stop() hung while a node was running"
