"""Job statuses outside the jobs API's vocabulary: in flight while they show signs of life, then a stall error."""

from __future__ import annotations

import pytest

from comfyui_skill import ExitCode

from ..agent.contract import assert_result


def test_an_unknown_status_is_in_flight_and_the_run_completes(run_cloud, fake_cloud, w1, tmp_path):
    fake_cloud.job_statuses = {"in_progress": "waiting_for_gpu"}
    fake_cloud.comfy.faults.hold_execution = True  # in progress while its status is asked
    prompt_id = run_cloud("submit", w1()).stdout.strip()
    fake_cloud.comfy.wait_running(prompt_id)
    status = run_cloud("status", prompt_id, "--json")
    assert status.exit_code == 0, status.stderr
    row = assert_result(status.json())["data"]
    assert row["status"] == "in_flight" and row["server_status"] == "waiting_for_gpu"
    assert "in_flight (the server says 'waiting_for_gpu')" in run_cloud("status", prompt_id).stdout
    fake_cloud.comfy.faults.hold_execution = False
    waited = run_cloud("wait", prompt_id, "--json")
    assert waited.exit_code == 0, waited.stderr
    assert waited.json()["data"]["status"] == "success"


def test_an_unknown_status_without_progress_stalls_with_a_clear_error(run_cli, fake_cloud, w1, tmp_path):
    env = {"COMFY_API_KEY": fake_cloud.api_key}
    assert run_cli("server", "add", "c", fake_cloud.url, "--kind", "cloud").exit_code == 0
    assert run_cli("config", "set", "servers.c.stall_timeout", "1").exit_code == 0
    fake_cloud.job_statuses = {"pending": "waiting_for_gpu", "in_progress": "waiting_for_gpu"}
    fake_cloud.comfy.faults.hold_execution = True  # no progress at all until cancelled
    result = run_cli("--server", "c", "run", w1(), "-o", str(tmp_path), "--json", env=env)
    assert result.exit_code == ExitCode.TIMEOUT
    error = result.json()["error"]
    assert "'waiting_for_gpu'" in error["message"] and "no progress" in error["message"]
    assert error["details"]["server_status"] == "waiting_for_gpu" and error["details"]["stall_timeout"] == 1
    assert "stall_timeout" in error["hint"]
    cancelled = run_cli("--server", "c", "cancel", error["details"]["prompt_id"], env=env)
    assert cancelled.exit_code == 0, cancelled.stderr


@pytest.mark.parametrize("value", ["soon", "nan", "0"])
def test_a_bad_stall_timeout_is_a_config_error(run_cli, fake_cloud, w1, tmp_path, value):
    assert run_cli("server", "add", "c", fake_cloud.url, "--kind", "cloud").exit_code == 0
    env = {"COMFY_API_KEY": fake_cloud.api_key, "COMFYUI_SKILL_SERVER_C_STALL_TIMEOUT": value}
    result = run_cli("--server", "c", "run", w1(), "-o", str(tmp_path), env=env)
    assert result.exit_code == ExitCode.CONFIG and "stall_timeout" in result.stderr
