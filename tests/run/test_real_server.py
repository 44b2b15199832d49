"""W1 and W2 against a real ComfyUI, when ``COMFYUI_SKILL_TEST_SERVER`` names its URL (skipped otherwise)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from .helpers import write_png

pytestmark = [
    pytest.mark.real_server,
    pytest.mark.skipif(not os.environ.get("COMFYUI_SKILL_TEST_SERVER"),
                       reason="set COMFYUI_SKILL_TEST_SERVER to the URL of a real ComfyUI"),
]


class RealServer:
    url = os.environ.get("COMFYUI_SKILL_TEST_SERVER", "")


def test_w1_empty_image_to_file(run_cli, workflow_file, tmp_path):
    color = random.randrange(1 << 24)  # a new input: never served from the cache
    result = run_cli("run", workflow_file("W1", {"1": {"color": color}}), "-o", str(tmp_path), "--timeout", "120",
                     "--json", server=RealServer)
    assert result.exit_code == 0, result.stderr
    [item] = result.json()["data"]["outputs"]
    assert Path(item["path"]).read_bytes()[:4] == b"\x89PNG"


def test_w2_upload_invert_to_file(run_cli, workflow_file, tmp_path):
    image = write_png(tmp_path / f"in-{random.randrange(1 << 30)}.png", (10, 200, 30), size=8)
    result = run_cli("run", workflow_file("W2", {"10": {"image": str(image)}}), "-o", str(tmp_path / "out"),
                     "--timeout", "120", "--json", server=RealServer)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["uploaded"][0]["path"] == str(image)
    assert Path(data["outputs"][0]["path"]).read_bytes()[:4] == b"\x89PNG"
