"""Editor-format fixtures (official templates, unmodified) and small hand-made editor graphs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


@pytest.fixture
def stored(cli_env: dict[str, str]) -> Path:
    """Where the CLI under test keeps stored workflows."""
    return Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "workflows"


def fixture_path(name: str) -> str:
    return str(FIXTURES / name)


def node(node_id: int, class_type: str, *, inputs: list[dict[str, Any]] | None = None,
         outputs: list[dict[str, Any]] | None = None, widgets: list[Any] | None = None, mode: int = 0,
         **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "type": class_type, "mode": mode, "inputs": inputs or [], "outputs": outputs or [],
            "widgets_values": widgets or [], **extra}


def chain(middle_mode: int) -> dict[str, Any]:
    """EmptyImage -> ImageInvert (mode ``middle_mode``) -> SaveImage, plus a Note."""
    return {"last_node_id": 4, "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]], "nodes": [
        node(1, "EmptyImage", outputs=[{"name": "IMAGE", "type": "IMAGE", "links": [1]}],
             widgets=[64, 48, 1, 16711680], title="Red"),
        node(2, "ImageInvert", mode=middle_mode, inputs=[{"name": "image", "type": "IMAGE", "link": 1}],
             outputs=[{"name": "IMAGE", "type": "IMAGE", "links": [2]}]),
        node(3, "SaveImage", inputs=[{"name": "images", "type": "IMAGE", "link": 2}], widgets=["probe/ui"]),
        node(4, "Note", widgets=["hello"]),
    ]}


def deprecate_load_image(fake_comfy) -> None:
    """Make the fake server's /node_replacements map LoadImage to LoadImageMask: image kept, channel
    set to alpha, output 1 (MASK) becomes output 0 and output 0 (IMAGE) is dropped."""
    mapping = {"LoadImage": [{"new_node_id": "LoadImageMask", "old_node_id": "LoadImage",
                              "input_mapping": [{"new_id": "image", "old_id": "image"},
                                                {"new_id": "channel", "set_value": "alpha"}],
                              "output_mapping": [{"old_idx": 1, "new_idx": 0}]}]}
    fake_comfy.faults.respond_raw(r"^/node_replacements$", 200, json.dumps(mapping), "application/json")


@pytest.fixture
def write_json(tmp_path: Path):
    def write(document: Any, name: str = "wf.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(document))
        return str(path)
    return write
