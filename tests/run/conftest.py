"""Shared helpers for the run plugin's tests: the W1..W7 workflows, variants of them, the journal."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
NAMES = {
    "W1": "W1_empty_image_save.json", "W2": "W2_load_invert_save.json", "W3": "W3_colortransfer_progress.json",
    "W4": "W4_slow_interruptible.json", "W5": "W5_save_image_websocket.json", "W6": "W6_runtime_error.json",
    "W7": "W7_text_output.json",
}


def load_workflow(name: str) -> dict[str, Any]:
    return json.loads((WORKFLOWS / NAMES[name]).read_text())


@pytest.fixture
def workflow_file(tmp_path: Path) -> Callable[..., str]:
    """``workflow_file("W1", {"1": {"width": 8}})``: the path of a (modified) copy of a workflow."""
    counter = iter(range(1_000_000))

    def make(name: str | dict[str, Any], changes: dict[str, dict[str, Any]] | None = None) -> str:
        graph = load_workflow(name) if isinstance(name, str) else name
        for node, inputs in (changes or {}).items():
            graph[node]["inputs"].update(inputs)
        path = tmp_path / f"workflow-{next(counter)}.json"
        path.write_text(json.dumps(graph))
        return str(path)

    return make


@pytest.fixture
def journal_lines(cli_env: dict[str, str]) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        path = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    return read


@pytest.fixture
def fake_comfy(fake_comfy: Any) -> Any:
    """The shared fake, drained before it stops: stopping it while a prompt runs hangs (fake bug)."""
    yield fake_comfy
    fake_comfy.faults.clear()
    fake_comfy.exec_delay = 0
    fake_comfy.progress_steps_delay = 0
    with contextlib.suppress(OSError):
        urllib.request.urlopen(urllib.request.Request(f"{fake_comfy.url}/queue", data=b'{"clear": true}'), timeout=30)
        urllib.request.urlopen(urllib.request.Request(f"{fake_comfy.url}/interrupt", data=b"{}"), timeout=30)
    fake_comfy.wait_idle(15)
