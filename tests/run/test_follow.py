"""How ``run`` follows a prompt when things go wrong: no socket, a dropped socket, deadlines, retries."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from comfyui_skill import ExitCode

from comfyui_skill_run.follow import SETTLE

from ..waiting import held_until
from .helpers import sent


def _posts(fake, path="/prompt"):
    return sent(fake, "POST", path)


def test_socket_is_connected_before_the_post(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--timeout", "10", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    paths = [r.path for r in sent(fake_comfy)]
    assert paths.index("/ws") < paths.index("/prompt")
    ws = next(r for r in sent(fake_comfy) if r.path == "/ws")
    assert ws.query["clientId"] == _posts(fake_comfy)[0].json["client_id"]


def test_instant_cached_prompts_never_hang(run_cli, fake_comfy, workflow_file, tmp_path):
    path = workflow_file("W1")
    run_cli("run", path, "-o", str(tmp_path), server=fake_comfy)
    durations = []
    for _ in range(5):
        started = time.monotonic()
        assert run_cli("run", path, "-o", str(tmp_path), "--timeout", "5", server=fake_comfy).exit_code == 0
        durations.append(time.monotonic() - started)
    # a client that waited out SETTLE (or worse) on every run; a loaded machine slows some runs, not all
    assert min(durations) < SETTLE, durations


def _job_polls(fake) -> list[str]:
    return [r.path for r in sent(fake) if r.method == "GET" and r.path.startswith("/api/jobs/")]


def test_run_polls_when_no_websocket_can_be_opened(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.refuse_websocket = True
    with held_until(lambda: _job_polls(fake_comfy), fake_comfy):  # it runs once the client has asked
        result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", "--timeout", "60",
                         server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert Path(result.json()["data"]["outputs"][0]["path"]).is_file()
    assert len(_job_polls(fake_comfy)) >= 2  # asked while it ran, and again until it ended


def test_polling_falls_back_to_history_without_jobs_api(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.refuse_websocket = True
    fake_comfy.faults.fail_http(r"^/api/jobs", 404, times=None)
    fake_comfy.exec_delay = 0.1
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", "--timeout", "10",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert any(r.path.startswith("/history/") for r in sent(fake_comfy))


def test_socket_dropping_mid_run_reconnects_and_reconciles(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.drop_websocket_after(3)
    fake_comfy.exec_delay = 0.1
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--output", "ndjson", "--timeout", "10",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    lines = result.ndjson()
    assert any(line.get("event") == "retry" for line in lines)
    assert lines[-1]["ok"] and lines[-2]["event"] == "done"
    assert len([r for r in sent(fake_comfy) if r.path == "/ws"]) >= 2


def test_stalled_socket_is_reconciled_by_asking_the_server(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.stall_websocket = True
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--timeout", "10", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "probe" / "empty_00001_.png").is_file()


def test_timeout_leaves_the_prompt_running(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.hold_execution = True  # it never ends by itself: only the deadline ends the run
    # a safety net: a client ignoring its deadline would see it end (and fail the test), not hang the suite
    release = threading.Timer(60, setattr, (fake_comfy.faults, "hold_execution", False))
    release.start()
    try:
        result = run_cli("run", workflow_file("W1"), "--timeout", "0.5", "--json", server=fake_comfy)
    finally:
        release.cancel()
    assert result.exit_code == ExitCode.TIMEOUT
    assert fake_comfy.wait_running() == result.json()["error"]["details"]["prompt_id"]  # still there
    error = result.json()["error"]
    assert "comfyui-skill wait" in error["hint"]
    assert not _posts(fake_comfy, "/interrupt") and not [r for r in sent(fake_comfy) if "cancel" in r.path]


def test_submission_is_exactly_once_after_a_lost_answer(run_cli, fake_comfy, workflow_file, tmp_path, cli_env):
    # the server takes the prompt, but its answer comes after the client's read timeout
    config = Path(cli_env["COMFYUI_SKILL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[servers.slow]\nurl = "{fake_comfy.url}"\nread_timeout = 2\n')
    fake_comfy.faults.delay_http(r"^/prompt$", 3600, times=1, answer_only=True)
    result = run_cli("-s", "slow", "run", workflow_file("W1"), "-o", str(tmp_path), "--json", "--timeout", "15")
    posts = _posts(fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert {p.json["prompt_id"] for p in posts} == {result.json()["data"]["prompt_id"]}
    assert len(posts) == 1 and result.json()["data"]["status"] == "success"


def test_journal_records_before_post_and_at_the_end(run_cli, fake_comfy, workflow_file, tmp_path, journal_lines):
    fake_comfy.faults.fail_http(r"^/prompt$", 503, times=None, method="POST")
    failed = run_cli("run", workflow_file("W1"), server=fake_comfy)
    assert failed.exit_code != 0
    statuses = [line["status"] for line in journal_lines()]
    assert statuses[0] == "submitting" and statuses[-1] == "submit_failed"
    fake_comfy.faults.clear()
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--set", "1.width=5", "--json",
                     server=fake_comfy)
    prompt_id = result.json()["data"]["prompt_id"]
    mine = [line for line in journal_lines() if line["prompt_id"] == prompt_id]
    assert [m["status"] for m in mine] == ["submitting", "queued", "success"]
    final = mine[-1]
    assert final["args"] == {"1.width": 5} and final["server"] and final["elapsed"] is not None
    assert Path(final["outputs"][0]["path"]).is_file()
    assert "token" not in json_text(final)


def json_text(value) -> str:
    import json

    return json.dumps(value)
