"""Ctrl-C during ``run``: cancel that prompt (only it) and exit 130, or leave it running with --detach."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from comfyui_skill import ExitCode

from .helpers import sent


def _start_run(cli_env, fake, path, *extra):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}, **cli_env}
    return subprocess.Popen([sys.executable, "-m", "comfyui_skill", "--url", fake.url, "run", path,
                             "--output", "ndjson", "--timeout", "20", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _until_running(process) -> str:
    """Read NDJSON events until the prompt runs; return its id."""
    for line in process.stdout:
        event = json.loads(line)
        if event.get("event") == "node":
            return event["prompt_id"]
    raise AssertionError(process.stderr.read())


def test_ctrl_c_cancels_only_this_prompt(cli_env, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True  # running until the cancel interrupts it
    process = _start_run(cli_env, fake_comfy, workflow_file("W1"))
    prompt_id = _until_running(process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    result = json.loads(stdout.splitlines()[-1])
    assert result["error"]["code"] == "interrupted"
    assert result["error"]["details"] == {"prompt_id": prompt_id, "cancel": "interrupted", "confirmed": True}
    cancels = [r.path for r in sent(fake_comfy, "POST") if "cancel" in r.path or r.path == "/interrupt"]
    assert cancels == [f"/api/jobs/{prompt_id}/cancel"]


def test_ctrl_c_with_detach_leaves_the_prompt_running(cli_env, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True  # still running when the CLI has gone
    process = _start_run(cli_env, fake_comfy, workflow_file("W1"), "--detach")
    prompt_id = _until_running(process)
    process.send_signal(signal.SIGINT)
    stdout, _stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED
    error = json.loads(stdout.splitlines()[-1])["error"]
    assert f"comfyui-skill wait {prompt_id}" in error["hint"]
    assert not [r for r in sent(fake_comfy, "POST") if "cancel" in r.path or r.path == "/interrupt"]
