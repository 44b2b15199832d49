"""An agent's whole session, through --json and documented fields only:
status -> import -> show -> submit -> status until done -> outputs.

The workflow commands (issue #5's plugin) are used when ``describe`` lists them; otherwise the agent
submits the workflow by its file path, as SKILL.md allows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .contract import assert_result, field

POLL_INTERVAL = 0.05
MAX_POLLS = 400


def call(run_cli, fake, *argv: str) -> dict[str, Any]:
    result = run_cli(*argv, "--json", server=fake)
    document = assert_result(result.json())
    assert document["ok"] and result.exit_code == 0, (argv, document["error"])
    return document["data"]


def test_agent_session(run_cli, fake_comfy, workflow_file, tmp_path: Path) -> None:
    fake_comfy.faults.hold_execution = True  # the agent's first look finds it unfinished, whatever the load
    commands = {c["command"] for c in call(run_cli, fake_comfy, "describe")["commands"]}
    [server] = call(run_cli, fake_comfy, "server", "status")
    assert field(server, "server_state", "reachable") is True

    workflow = workflow_file("W1", {"1": {"width": 16, "height": 16}})
    if {"workflow import", "workflow show"} <= commands:
        call(run_cli, fake_comfy, "workflow", "import", workflow, "--name", "agent-demo")
        assert call(run_cli, fake_comfy, "workflow", "show", "agent-demo") is not None
        workflow = "agent-demo"

    submitted = call(run_cli, fake_comfy, "submit", workflow)
    prompt_id = field(submitted, "submitted", "prompt_id")
    seen = []
    for _ in range(MAX_POLLS):
        state = call(run_cli, fake_comfy, "status", prompt_id)
        seen.append(field(state, "prompt_status", "status"))
        fake_comfy.faults.hold_execution = False  # seen unfinished: now it may finish
        if seen[-1] not in ("pending", "running"):
            break
        time.sleep(POLL_INTERVAL)  # an agent's polling interval, not a wait for a guessed duration
    assert seen[0] in ("pending", "running") and seen[-1] == "success", seen
    assert field(state, "prompt_status", "outputs") == ["probe/empty_00001_.png"]

    fetched = call(run_cli, fake_comfy, "wait", prompt_id, "--download", "-o", str(tmp_path / "out"))
    [output] = field(fetched, "finished", "outputs")
    path = Path(field(output, "output", "path"))
    assert path.is_file() and path.read_bytes().startswith(b"\x89PNG")
    assert field(output, "output", "kind") == "images" and path.is_relative_to(tmp_path / "out")
