"""Helpers for the Manager tests."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

DIALECTS = ("4", "4-legacy", "3")


def tiny_safetensors() -> bytes:
    """A valid 80-byte safetensors file (one float32), like the one the recordings served."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    header += b" " * (68 - len(header))
    return struct.pack("<Q", len(header)) + header + b"\0\0\x80?"


def workflow(tmp_path: Path, *, node: str = "FancyNode", model: str = "tiny.safetensors") -> str:
    """An API-format workflow needing one custom node class and one checkpoint."""
    graph = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": model}},
             "2": {"class_type": node, "inputs": {"image": ["1", 0]}}}
    path = tmp_path / "needs.json"
    path.write_text(json.dumps(graph))
    return str(path)


def requests_to(server: FakeComfyUI, fragment: str, method: str | None = None) -> list:
    return [r for r in server.requests if fragment in r.path and (method is None or r.method == method)]
