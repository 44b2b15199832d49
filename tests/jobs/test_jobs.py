"""``jobs list|show|cancel`` against the fake ComfyUI's /api/jobs (a local server >= 0.6)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from comfyui_skill import ExitCode

W1 = Path(__file__).resolve().parent.parent / "fixtures" / "workflows" / "W1_empty_image_save.json"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def submit(server, width: int = 64) -> str:
    graph = json.loads(W1.read_text())
    graph["1"]["inputs"]["width"] = width  # a new graph each time: nothing served from the cache
    request = urllib.request.Request(f"{server.url}/prompt", data=json.dumps({"prompt": graph}).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=30))["prompt_id"]


@pytest.fixture
def finished(fake_comfy) -> list[str]:
    """Two finished prompts, the second one slower."""
    first = submit(fake_comfy, 64)
    fake_comfy.wait_idle()
    fake_comfy.exec_delay = 0.25  # per node: longer than any hiccup of a loaded machine in the first one
    second = submit(fake_comfy, 65)
    fake_comfy.wait_idle()
    fake_comfy.exec_delay = 0
    return [first, second]


def test_list_newest_first_with_times_in_seconds(run_cli, fake_comfy, finished):
    result = run_cli("jobs", "list", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert [job["id"] for job in data["jobs"]] == finished[::-1] and data["total"] == 2
    assert all(abs(job["created"] - time.time()) < 60 for job in data["jobs"])  # sent in milliseconds
    assert data["jobs"][0]["duration"] >= 0.05


def test_text_listing_fits_80_columns_with_whole_ids(run_cli, fake_comfy, finished):
    lines = run_cli("jobs", "list", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "CREATED", "DURATION", "FILES"]
    assert all(len(line) <= 80 for line in lines)
    assert [line.split()[0] for line in lines[1:]] == finished[::-1]


def test_sort_by_duration_uses_the_local_name(run_cli, fake_comfy, finished):
    result = run_cli("jobs", "list", "--sort", "duration", "--asc", "--json", server=fake_comfy)
    assert [job["id"] for job in result.json()["data"]["jobs"]] == finished
    [sent] = [r.query for r in fake_comfy.requests if r.path == "/api/jobs"]
    assert sent["sort_by"] == "execution_duration" and sent["sort_order"] == "asc"


def test_status_and_limit_filters(run_cli, fake_comfy, finished):
    limited = run_cli("jobs", "list", "--limit", "1", server=fake_comfy)
    assert limited.exit_code == 0 and finished[1] in limited.stdout and finished[0] not in limited.stdout
    assert "(1 of 2; see more with --limit)" in limited.stdout
    none = run_cli("jobs", "list", "--status", "failed,cancelled", server=fake_comfy)
    assert none.stdout.strip() == "no jobs with status failed,cancelled"
    bad = run_cli("jobs", "list", "--status", "done", server=fake_comfy)
    assert bad.exit_code == ExitCode.USAGE and "statuses are pending" in bad.stderr


def test_show_a_job_with_its_outputs(run_cli, fake_comfy, finished):
    result = run_cli("jobs", "show", finished[0], server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert "completed" in result.stdout and "probe/empty_00001_.png (output)" in result.stdout
    unknown = run_cli("jobs", "show", UNKNOWN, server=fake_comfy)
    assert unknown.exit_code == ExitCode.NOT_FOUND and f"has no job {UNKNOWN}" in unknown.stderr


def test_cancel_a_pending_job_and_leave_a_finished_one(run_cli, fake_comfy, finished):
    fake_comfy.faults.hold_execution = True  # the first runs and the second waits until cancelled
    running, pending = submit(fake_comfy, 70), submit(fake_comfy, 71)
    result = run_cli("jobs", "cancel", pending, "--json", server=fake_comfy)
    assert result.json()["data"] == {"job_id": pending, "cancelled": True}
    assert pending not in json.dumps(fake_comfy.queue_snapshot())
    done = run_cli("jobs", "cancel", finished[0], "--json", server=fake_comfy)
    assert done.exit_code == 0 and done.json()["data"] == {"job_id": finished[0], "cancelled": False,
                                                           "status": "completed"}
    unknown = run_cli("jobs", "cancel", UNKNOWN, server=fake_comfy)
    assert unknown.exit_code == ExitCode.NOT_FOUND
    assert run_cli("jobs", "cancel", running, server=fake_comfy).exit_code == 0
    fake_comfy.faults.hold_execution = False
    fake_comfy.wait_idle()


def test_server_without_the_jobs_api(run_cli, fake_comfy):
    fake_comfy.faults.fail_http(r"^/api/jobs", 404, times=None)
    for argv in (("jobs", "list"), ("jobs", "show", UNKNOWN), ("jobs", "cancel", UNKNOWN)):
        result = run_cli(*argv, server=fake_comfy)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert "has no jobs API (it needs ComfyUI 0.6 or newer)" in result.stderr, argv
