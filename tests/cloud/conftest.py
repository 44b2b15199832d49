"""The fake Comfy Cloud, and a CLI runner pointed at it as a ``cloud`` kind server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comfyui_skill.testing import CliResult
from comfyui_skill.testing.fake_cloud import FakeCloud

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


@pytest.fixture
def fake_cloud() -> Iterator[FakeCloud]:
    with FakeCloud() as cloud:
        yield cloud
        cloud.comfy.faults.clear()  # a prompt held by a test that failed runs out
        cloud.comfy.wait_idle(15)  # stopping the fake ComfyUI while a prompt runs hangs


@pytest.fixture
def run_cloud(run_cli: Any, fake_cloud: FakeCloud) -> Callable[..., CliResult]:
    """``run_cloud("jobs", "list")``: the CLI with ``--url <fake> --kind cloud`` and the key in COMFY_API_KEY."""

    def run(*argv: str, key: str | None = None, **kwargs: Any) -> CliResult:
        env = {"COMFY_API_KEY": fake_cloud.api_key if key is None else key, **kwargs.pop("env", {})}
        return run_cli("--url", fake_cloud.url, "--kind", "cloud", *argv, env=env, **kwargs)

    return run


@pytest.fixture
def w1(tmp_path: Path) -> Callable[[str], str]:
    """``w1("prefix")``: the path of workflow W1 saving under ``prefix``."""

    def make(prefix: str = "probe/empty") -> str:
        graph = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
        graph["2"]["inputs"]["filename_prefix"] = prefix
        path = tmp_path / f"{prefix.replace('/', '_')}.json"
        path.write_text(json.dumps(graph))
        return str(path)

    return make
