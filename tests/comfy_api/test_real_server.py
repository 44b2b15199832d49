"""W1 and W2 through the real comfy-api-proxy in front of a real ComfyUI, when ``COMFYUI_SKILL_TEST_SERVER``
names the ComfyUI's URL (skipped otherwise)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from .conftest import start_proxy

pytestmark = [
    pytest.mark.real_server,
    pytest.mark.skipif(not os.environ.get("COMFYUI_SKILL_TEST_SERVER"),
                       reason="set COMFYUI_SKILL_TEST_SERVER to the URL of a real ComfyUI"),
]

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


@pytest.fixture
def real_proxy(tmp_path: Path):
    started = start_proxy(os.environ["COMFYUI_SKILL_TEST_SERVER"], tmp_path)
    yield started
    started.stop()


def _workflow(tmp_path: Path, name: str, **inputs: dict) -> str:
    graph = json.loads((WORKFLOWS / name).read_text())
    for node, values in inputs.items():
        graph[node]["inputs"].update(values)
    path = tmp_path / f"{random.randrange(1 << 30)}-{name}"
    path.write_text(json.dumps(graph))
    return str(path)


def test_w1_through_the_proxy(run_cli, real_proxy, tmp_path: Path) -> None:
    workflow = _workflow(tmp_path, "W1_empty_image_save.json", **{"1": {"color": random.randrange(1 << 24)}})
    result = run_cli("--url", real_proxy.url, "--kind", "comfy-api", "--json", "run", workflow, "-o",
                     str(tmp_path / "out"), "--timeout", "120")
    assert result.exit_code == 0, result.stderr
    [item] = result.json()["data"]["outputs"]
    assert Path(item["path"]).read_bytes()[:4] == b"\x89PNG"


def test_w2_with_an_asset_through_the_proxy(run_cli, real_proxy, tmp_path: Path) -> None:
    from ..run.helpers import write_png

    image = write_png(tmp_path / f"in-{random.randrange(1 << 30)}.png", (10, 200, 30), size=8)
    workflow = _workflow(tmp_path, "W2_load_invert_save.json", **{"10": {"image": str(image)}})
    result = run_cli("--url", real_proxy.url, "--kind", "comfy-api", "--json", "run", workflow, "-o",
                     str(tmp_path / "out"), "--timeout", "120")
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["uploaded"][0]["asset_id"]
    assert Path(data["outputs"][0]["path"]).read_bytes()[:4] == b"\x89PNG"
