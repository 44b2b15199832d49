"""A small batch against a real ComfyUI, when ``COMFYUI_SKILL_TEST_SERVER`` names its URL (skipped otherwise)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.real_server,
    pytest.mark.skipif(not os.environ.get("COMFYUI_SKILL_TEST_SERVER"),
                       reason="set COMFYUI_SKILL_TEST_SERVER to the URL of a real ComfyUI"),
]


def test_a_sweep_on_a_real_server(run_cli, workflow, outdir):
    color = random.randrange(1 << 20)  # new inputs: never served from the cache
    result = run_cli("--url", os.environ["COMFYUI_SKILL_TEST_SERVER"], "run", workflow("W1"), "--sweep",
                     "1.width=8..32:8", "--set", f"1.color={color}", "-o", str(outdir), "--timeout", "120", "--json")
    assert result.exit_code == 0, result.stderr
    items = result.json()["data"]["items"]
    assert [item["params"]["1.width"] for item in items] == [8, 16, 24, 32]
    for item in items:
        (output,) = item["outputs"]
        assert Path(output["path"]).read_bytes()[:4] == b"\x89PNG"
        assert Path(output["path"]).is_relative_to(outdir / item["item"])
