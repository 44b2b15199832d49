"""Fixtures for batch tests: several fake servers, workflows, reading manifests."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


def _drain(fake: FakeComfyUI) -> None:
    """Stop what still runs (stopping a fake while a prompt runs may hang)."""
    fake.faults.clear()
    fake.exec_delay = 0
    with contextlib.suppress(OSError):
        for body in (b'{"clear": true}', None):
            route = "/queue" if body else "/interrupt"
            urllib.request.urlopen(urllib.request.Request(f"{fake.url}{route}", data=body or b"{}"), timeout=30)
    fake.wait_idle(15)


@pytest.fixture
def fakes() -> Iterator[Callable[[int], list[FakeComfyUI]]]:
    """``fakes(2)``: that many fake servers, drained and stopped after the test."""
    started: list[FakeComfyUI] = []

    def make(count: int) -> list[FakeComfyUI]:
        for _ in range(count):
            started.append(FakeComfyUI().start())
        return started[-count:]

    yield make
    for fake in started:
        with contextlib.suppress(RuntimeError):  # a test may have stopped it already
            _drain(fake)
        fake.stop()


@pytest.fixture
def workflow(tmp_path: Path) -> Callable[..., str]:
    """``workflow("W1", extra_nodes)``: the path of a copy of a fixture workflow."""
    def make(name: str, extra: dict[str, Any] | None = None) -> str:
        graph = json.loads(next(WORKFLOWS.glob(f"{name}_*.json")).read_text())
        graph.update(extra or {})
        path = tmp_path / f"{name}-{len(list(tmp_path.glob('*.json')))}.json"
        path.write_text(json.dumps(graph))
        return str(path)
    return make


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return tmp_path / "out"


def manifest_of(outdir: Path) -> Path:
    found = sorted(outdir.glob("batch-*.jsonl"))
    assert len(found) == 1, found
    return found[0]


def read_manifest(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """(header, every item record in order, latest state of each item)."""
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    records = [line for line in lines if line.get("type") == "item"]
    latest: dict[int, dict[str, Any]] = {}
    for record in records:
        latest.setdefault(record["item"], {}).update(record)
    return lines[0], records, latest


def posted_prompts(fake: FakeComfyUI) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.requests if r.method == "POST" and r.path == "/prompt"]


def successes(outdir: Path) -> int:
    """How many items the (only) manifest in ``outdir`` records as succeeded, while the batch may be
    writing it (0 before it exists, or while a line is being written)."""
    try:
        latest = read_manifest(manifest_of(outdir))[2]
    except (AssertionError, ValueError):
        return 0
    return sum(1 for item in latest.values() if item["status"] == "success")


def journal_lines(cli_env: dict[str, str]) -> list[dict[str, Any]]:
    """The run journal's records, in order."""
    path = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def journal_latest(cli_env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The latest record of every prompt in the run journal."""
    return {line["prompt_id"]: line for line in journal_lines(cli_env)}


def write_config(cli_env: dict[str, str], text: str) -> None:
    path = Path(cli_env["COMFYUI_SKILL_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def start_cli(cli_env: dict[str, str], *argv: str) -> subprocess.Popen:
    """The CLI in a child process (to be killed or interrupted), NDJSON on stdout."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}
    return subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--output", "ndjson", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
