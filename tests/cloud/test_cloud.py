"""The ``cloud`` server kind against the fake Comfy Cloud: where the API key goes, and where it never goes."""

from __future__ import annotations

import json
import stat
import urllib.request
from pathlib import Path

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_cloud import iter_headers


def _everything_sent(requests) -> str:
    return json.dumps([(r.path, r.query, r.headers, r.body.decode("utf-8", "replace")) for r in requests])


def test_run_downloads_through_the_signed_url_without_credentials(run_cloud, fake_cloud, w1, tmp_path):
    out = tmp_path / "out"
    result = run_cloud("-vv", "run", w1(), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert (out / "probe" / "empty_00001_.png").read_bytes()[:4] == b"\x89PNG"
    [stored] = fake_cloud.storage_requests
    assert stored.query["X-Goog-Signature"] == "fake-signature"
    assert fake_cloud.api_key not in _everything_sent(fake_cloud.storage_requests)
    assert not [name for name, _ in iter_headers(fake_cloud.storage_requests) if name.lower() in ("x-api-key",
                                                                                                   "authorization")]
    assert fake_cloud.api_key not in result.stdout + result.stderr


def test_key_goes_in_the_rest_header_and_the_websocket_token_only(run_cloud, fake_cloud, w1, tmp_path):
    assert run_cloud("run", w1(), "-o", str(tmp_path)).exit_code == 0
    sockets = [r for r in fake_cloud.requests if r.path == "/ws"]
    rest = [r for r in fake_cloud.requests if r.path != "/ws"]
    assert sockets and all(r.query["token"] == fake_cloud.api_key and "X-API-Key" not in r.headers for r in sockets)
    assert {r.path for r in rest} >= {"/api/prompt", "/api/view"}
    assert all(r.headers.get("X-API-Key") == fake_cloud.api_key for r in rest)
    prompt = json.loads(next(r.body for r in rest if r.path == "/api/prompt"))
    assert "api_key_comfy_org" not in json.dumps(prompt)  # no partner nodes in W1


def test_messages_of_other_prompts_on_the_account_are_ignored(run_cloud, fake_cloud, w1, tmp_path):
    fake_cloud.comfy.exec_delay = 0.05
    graph = json.loads(Path(w1("other/theirs")).read_text())
    request = urllib.request.Request(f"{fake_cloud.url}/api/prompt", data=json.dumps({"prompt": graph}).encode(),
                                     headers={"X-API-Key": fake_cloud.api_key, "Content-Type": "application/json"})
    theirs = json.load(urllib.request.urlopen(request, timeout=30))["prompt_id"]
    result = run_cloud("run", w1("mine/img"), "-o", str(tmp_path), "--output", "ndjson")
    assert result.exit_code == 0, result.stderr
    events = result.ndjson()
    mine = events[-1]["data"]["prompt_id"]
    assert {e["prompt_id"] for e in events[:-1]} == {mine} != {theirs}
    assert [item["filename"] for item in events[-1]["data"]["outputs"]] == ["img_00001_.png"]
    assert not (tmp_path / "other").exists()


def test_missing_key_is_refused_plainly_and_not_retried(run_cloud, fake_cloud):
    result = run_cloud("jobs", "list", "--json", key="")
    assert result.exit_code == ExitCode.AUTH
    error = result.json()["error"]
    assert "HTTP 401" in error["message"] and "no API key" in error["message"]
    assert "cloud login" in error["hint"]
    assert len([r for r in fake_cloud.requests if r.path == "/api/jobs"]) == 1


def test_wrong_key_never_appears_in_the_output(run_cloud, fake_cloud):
    wrong = "ck-wrong-key-9876543210fedcba"
    result = run_cloud("-vv", "jobs", "list", key=wrong)
    assert result.exit_code == ExitCode.AUTH
    assert wrong not in result.stdout + result.stderr
    assert "***dcba" in result.stderr and "COMFY_API_KEY" in result.stderr


def test_out_of_credits_is_payment_required_and_not_retried(run_cloud, fake_cloud, w1, tmp_path):
    fake_cloud.out_of_credits = True
    result = run_cloud("run", w1(), "-o", str(tmp_path), "--json")
    assert result.exit_code == ExitCode.PAYMENT
    error = result.json()["error"]
    assert error["code"] == "payment_required" and "out of credits" in error["hint"]
    assert len([r for r in fake_cloud.requests if r.path == "/api/prompt"]) == 1


def test_rate_limit_is_retried_after_the_servers_delay(run_cloud, fake_cloud):
    fake_cloud.rate_limit(2, retry_after="0")
    result = run_cloud("jobs", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert len([r for r in fake_cloud.requests if r.path == "/api/jobs"]) == 3


def test_persistent_rate_limit_ends_as_rate_limited_with_the_clouds_message(run_cloud, fake_cloud):
    fake_cloud.rate_limit(50, retry_after="0")
    result = run_cloud("jobs", "list", "--json")
    assert result.exit_code == ExitCode.SERVER_ERROR
    error = result.json()["error"]
    assert error["code"] == "rate_limited" and "max_concurrent" in error["hint"]
    assert error["message"].endswith("is limiting requests (HTTP 429): Rate limit exceeded. Please try again later.; "
                                     "it asks to retry after 0 s")
    assert error["details"]["server_message"] == "Rate limit exceeded. Please try again later."
    assert len([r for r in fake_cloud.requests if r.path == "/api/jobs"]) == 4  # the first try and 3 retries
    text = run_cloud("jobs", "list")
    assert "(HTTP 429): Rate limit exceeded. Please try again later." in text.stderr
    assert "hint: Comfy Cloud kept answering 429: too many requests" in text.stderr


def test_a_429_of_an_inactive_subscription_says_so(run_cloud, fake_cloud, w1, tmp_path):
    fake_cloud.rate_limit(50, retry_after=None, message="Payment required - User has not paid")
    result = run_cloud("run", w1(), "-o", str(tmp_path), "--json")
    assert result.exit_code == ExitCode.SERVER_ERROR
    error = result.json()["error"]
    assert error["message"].endswith("(HTTP 429): Payment required - User has not paid")
    assert "subscription is inactive" in error["hint"] and "retrying will not help" in error["hint"]
    assert not [r for r in fake_cloud.requests if r.path == "/api/prompt"]  # nothing was submitted


def test_a_retry_after_beyond_the_cap_is_reported_at_once(run_cloud, fake_cloud):
    fake_cloud.rate_limit(5, retry_after="3600")
    result = run_cloud("jobs", "list", "--json")
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert result.json()["error"]["message"].endswith("; it asks to retry after 3600 s")
    assert len([r for r in fake_cloud.requests if r.path == "/api/jobs"]) == 1  # not retried (nor waited for)


def test_a_rate_limited_submission_is_retried_once_the_limit_lifts(run_cloud, fake_cloud, w1, tmp_path):
    fake_cloud.rate_limit(2, retry_after="0", path="/api/prompt")
    result = run_cloud("run", w1(), "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    posts = [r for r in fake_cloud.requests if r.path == "/api/prompt"]
    assert len(posts) == 3 and len({json.loads(r.body)["prompt_id"] for r in posts}) == 1  # the same prompt
    assert len(fake_cloud.comfy.history_ids()) == 1  # and it ran once


def test_job_of_another_account(run_cloud, fake_cloud):
    job_id = "0f0e0d0c-0b0a-4000-8000-000000000001"
    fake_cloud.foreign_jobs.add(job_id)
    result = run_cloud("jobs", "show", job_id)
    assert result.exit_code == ExitCode.AUTH
    assert f"job {job_id} belongs to another account" in result.stderr


def test_jobs_use_cloud_sort_names_and_read_seconds(run_cloud, fake_cloud, w1, tmp_path):
    assert run_cloud("run", w1(), "-o", str(tmp_path)).exit_code == 0
    result = run_cloud("jobs", "list", "--sort", "duration", "--json")
    assert result.exit_code == 0, result.stderr
    [job] = result.json()["data"]["jobs"]
    assert job["create_time"] < 1e11  # the fake sends seconds, like the cloud's spec says
    assert abs(job["created"] - job["execution_start_time"] / 1000) < 5
    assert [r.query.get("sort_by") for r in fake_cloud.requests if r.path == "/api/jobs"] == ["execution_time"]


def test_key_from_the_environment_never_reaches_a_local_server(run_cli, fake_comfy, w1, tmp_path):
    key = "ck-secret-for-cloud-only-000111"
    env = {"COMFY_API_KEY": key, "COMFYUI_SKILL_API_KEY": key}
    result = run_cli("run", w1(), "-o", str(tmp_path), env=env, server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert key not in _everything_sent(fake_comfy.requests)
    assert not [name for name, _ in iter_headers(fake_comfy.requests) if name.lower() == "x-api-key"]


def test_login_stores_the_key_privately_and_it_is_used(run_cli, fake_cloud, cli_env):
    assert run_cli("server", "add", "c", fake_cloud.url, "--kind", "cloud").exit_code == 0
    result = run_cli("cloud", "login", "c", input=fake_cloud.api_key + "\n")
    assert result.exit_code == 0, result.stderr
    assert fake_cloud.api_key not in result.stdout + result.stderr
    config = Path(cli_env["COMFYUI_SKILL_CONFIG"])
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and fake_cloud.api_key in config.read_text()
    shown = run_cli("server", "show", "c", "--json").json()["data"]
    assert shown["api_key"] != fake_cloud.api_key and shown["api_key"].endswith(fake_cloud.api_key[-4:])
    assert run_cli("--server", "c", "jobs", "list").exit_code == 0
    assert fake_cloud.requests[-1].headers["X-API-Key"] == fake_cloud.api_key
    assert run_cli("cloud", "logout", "c").exit_code == 0
    assert fake_cloud.api_key not in config.read_text()


def test_login_adds_a_cloud_server_but_refuses_a_local_one(run_cli):
    added = run_cli("cloud", "login", input="ck-abc\n")
    assert added.exit_code == 0, added.stderr
    server = run_cli("server", "show", "cloud", "--json").json()["data"]
    assert server["kind"] == "cloud" and server["url"] == "https://cloud.comfy.org"
    refused = run_cli("cloud", "login", "local", input="ck-abc\n")
    assert refused.exit_code == ExitCode.USAGE and "not cloud" in refused.stderr
    assert run_cli("cloud", "login", "new").exit_code == ExitCode.USAGE  # nothing on stdin
