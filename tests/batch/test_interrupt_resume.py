"""Ctrl-C and a killed CLI: only the batch's own prompts are cancelled, and --resume finishes the batch."""

from __future__ import annotations

import json
import signal
import urllib.request
import uuid

from comfyui_skill import ExitCode

from ..waiting import wait_for
from .conftest import journal_latest, manifest_of, posted_prompts, read_manifest, start_cli, successes


def test_resume_after_the_cli_was_killed(run_cli, cli_env, fakes, workflow, outdir):
    a, b = fakes(2)
    a.faults.hold_execution = True  # a's two items are still on it when the CLI is killed
    process = start_cli(cli_env, "run", workflow("W1"), "--sweep", "1.width=1..12", "--servers",
                        f"{a.url},{b.url}", "-o", str(outdir))
    try:
        wait_for(lambda: successes(outdir) >= 3)
    finally:
        process.kill()  # SIGKILL: no chance to clean up
        process.communicate(timeout=60)
    a.faults.hold_execution = False
    path = manifest_of(outdir)
    _header, _records, before = read_manifest(path)
    finished = {i: item["prompt_id"] for i, item in before.items() if item["status"] == "success"}
    on_server = {i: item["prompt_id"] for i, item in before.items() if item["status"] in ("queued", "running")}
    assert finished and len(on_server) >= 2 and len(finished) < 12

    result = run_cli("run", "--resume", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    _header, _records, after = read_manifest(path)
    assert all(item["status"] == "success" for item in after.values()) and len(after) == 12
    for index, prompt_id in {**finished, **on_server}.items():
        assert after[index]["prompt_id"] == prompt_id  # not submitted again: followed where it ran
    posted = [p["prompt_id"] for fake in (a, b) for p in posted_prompts(fake)]
    assert len(posted) == len(set(posted)) == 12  # every item exactly once
    assert result.json()["data"]["counts"]["done"] == 12


def test_ctrl_c_cancels_only_the_batch_own_prompts(cli_env, fakes, workflow, outdir, run_cli):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True  # the first item runs until it is interrupted, the next one waits
    foreign = str(uuid.uuid4())
    graph = json.loads(open(workflow("W1")).read())
    process = start_cli(cli_env, "--url", fake.url, "run", workflow("W1"), "--sweep", "1.width=1..6", "-o",
                        str(outdir))
    try:
        for line in process.stdout:
            if json.loads(line).get("event") == "started":
                break
        body = json.dumps({"prompt": graph, "prompt_id": foreign}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{fake.url}/prompt", data=body), timeout=30)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    result = json.loads(stdout.splitlines()[-1])
    assert result["error"]["code"] == "interrupted" and "--resume" in result["error"]["hint"]
    cancelled = {c["prompt_id"] for c in result["data"]["in_flight"]}
    assert len(cancelled) == 2  # the one running and the one waiting, nothing else
    cancels = [r.path for r in fake.requests if r.method == "POST" and ("cancel" in r.path or r.path == "/interrupt")]
    assert sorted(cancels) == sorted(f"/api/jobs/{p}/cancel" for p in cancelled)
    fake.faults.hold_execution = False
    fake.wait_idle(10)
    with urllib.request.urlopen(f"{fake.url}/history/{foreign}", timeout=30) as answer:
        assert json.load(answer)[foreign]["status"]["status_str"] == "success"  # somebody else's: untouched
    _header, _records, latest = read_manifest(manifest_of(outdir))
    assert sorted(item["status"] for item in latest.values()) == ["cancelled"] * 2 + ["pending"] * 4
    assert {journal_latest(cli_env)[prompt_id]["status"] for prompt_id in cancelled} == {"cancelled"}

    resumed = run_cli("run", "--resume", str(manifest_of(outdir)), "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json()["data"]["counts"]["done"] == 6


def test_ctrl_c_with_detach_leaves_the_prompts_for_resume_to_follow(cli_env, fakes, workflow, outdir, run_cli):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True
    process = start_cli(cli_env, "--url", fake.url, "run", workflow("W1"), "--sweep", "1.width=1..4", "--detach",
                        "-o", str(outdir))
    try:
        for line in process.stdout:
            if json.loads(line).get("event") == "started":
                break
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    left = {c["prompt_id"] for c in json.loads(stdout.splitlines()[-1])["data"]["in_flight"]}
    assert len(left) == 2 and not [r for r in fake.requests if "cancel" in r.path or r.path == "/interrupt"]
    assert {journal_latest(cli_env)[prompt_id]["status"] for prompt_id in left} == {"detached"}
    fake.faults.hold_execution = False
    resumed = run_cli("run", "--resume", str(manifest_of(outdir)), "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert left <= {item["prompt_id"] for item in resumed.json()["data"]["items"]}
    posted = [p["prompt_id"] for p in posted_prompts(fake)]
    assert len(posted) == len(set(posted)) == 4
    assert {journal_latest(cli_env)[prompt_id]["status"] for prompt_id in posted} == {"success"}
