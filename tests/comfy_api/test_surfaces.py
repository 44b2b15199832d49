"""What Comfy Cloud and Serverless deployments add: Bearer keys, signed downloads, 402, 429, 501, quirks."""

from __future__ import annotations

import json
from pathlib import Path

from .fake_surface import FakeSurface, headers_sent

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


def test_run_on_a_deployment_downloads_without_the_key(run_deployment, surface, w1, tmp_path: Path) -> None:
    result = run_deployment("--json", "run", w1("dep/first"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    [output] = result.json()["data"]["outputs"]
    assert Path(output["path"]).read_bytes()[:4] == b"\x89PNG"
    assert surface.storage_requests, "the content came from the signed storage host"
    assert not any(k.lower() == "authorization" for k, _ in headers_sent(surface.storage_requests))
    assert surface.api_key not in result.stdout + result.stderr


def test_out_of_credits_is_exit_13(run_deployment, surface, w1) -> None:
    surface.out_of_credits = True
    result = run_deployment("run", w1("dep/poor"))
    assert result.exit_code == 13
    assert "credits" in result.stderr


def test_a_stopped_deployment_says_so(run_deployment, surface, w1) -> None:
    surface.stopped = True
    result = run_deployment("run", w1("dep/stopped"))
    assert result.exit_code == 9
    assert "deployment is stopped" in result.stderr


def test_a_busy_deployment_is_waited_for_as_it_asks(run_deployment, surface, w1, tmp_path: Path) -> None:
    surface.throttle(2, "deployment_not_ready", retry_after="0")
    result = run_deployment("--json", "run", w1("dep/busy"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    posts = [r for r in surface.requests if r.method == "POST" and r.path == "/api/v2/jobs"]
    assert len(posts) == 3
    assert len({r.headers["Idempotency-Key"] for r in posts}) == 1  # one submission, retried


def test_a_deployment_that_stays_busy_is_a_clear_error(run_deployment, surface, w1) -> None:
    surface.throttle(10, "queue_full", retry_after="0")
    result = run_deployment("--json", "run", w1("dep/full"))
    assert result.exit_code == 9
    assert result.json()["error"]["code"] == "rate_limited"


def test_without_event_streams_the_job_is_polled(run_deployment, surface, w1, tmp_path: Path) -> None:
    surface.sse_unavailable = True
    result = run_deployment("--json", "run", w1("dep/polled"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert any(r.path.endswith("/events") for r in surface.requests)


def test_a_wrong_final_frame_does_not_hide_the_failure(run_deployment, surface) -> None:
    surface.wrong_final_frame = True
    result = run_deployment("--json", "run", str(WORKFLOWS / "W6_runtime_error.json"))
    assert result.exit_code == 5, result.stdout
    assert "division by zero" in result.json()["error"]["message"]


def test_a_transient_expired_is_looked_at_again(run_deployment, surface, w1, tmp_path: Path) -> None:
    surface.sse_unavailable = True
    surface.expired_reads = 1
    result = run_deployment("--json", "run", w1("dep/expired"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stdout
    assert surface.expired_reads == 0


def test_a_lost_answer_is_never_submitted_twice(run_deployment, surface, proxy, w1) -> None:
    surface.lose_answers = 1
    result = run_deployment("--json", "run", w1("dep/lost"))
    assert result.exit_code == 9, result.stdout
    error = result.json()["error"]
    assert error["details"]["outcome"] == "unknown"
    assert error["details"]["idempotency_key"]
    assert len(proxy.get("/jobs?limit=50")["jobs"]) == 1  # the one job the lost answer was about


def test_a_self_hosted_proxy_finds_the_job_of_a_lost_answer(run_cli, proxy, w1, tmp_path: Path) -> None:
    with FakeSurface(proxy.url, lists_jobs=True) as front:
        front.lose_answers = 1
        assert run_cli("server", "add", "mine", front.url, "--kind", "comfy-api", "--token-stdin",
                       input=front.api_key + "\n").exit_code == 0
        result = run_cli("-s", "mine", "--json", "run", w1("dep/found"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stdout
    jobs = proxy.get("/jobs?limit=50")["jobs"]
    assert [job["id"] for job in jobs] == front.lost_jobs == [result.json()["data"]["prompt_id"]]


def test_the_comfy_org_key_of_the_environment_is_never_sent_to_a_proxy(run_cli, proxy, w1) -> None:
    with FakeSurface(proxy.url, api_key="the-users-comfy-org-key") as front:
        result = run_cli("--url", front.url, "--kind", "comfy-api", "--json", "run", w1("dep/leak"),
                         env={"COMFY_API_KEY": "the-users-comfy-org-key"})
        assert result.exit_code == 8, result.stdout
        assert not any(k.lower() == "authorization" for k, _ in headers_sent(front.requests))


def test_the_queue_of_a_deployment_is_not_listed(run_deployment) -> None:
    result = run_deployment("queue", "list")
    assert result.exit_code == 2
    assert "cannot list its queue" in result.stderr


def test_server_status_checks_the_key_on_a_deployment(run_deployment, surface, run_cli) -> None:
    ok = run_deployment("--json", "server", "status")
    assert ok.exit_code == 0, ok.stdout
    assert ok.json()["data"][0]["surface"] == "deployment"
    assert run_cli("config", "set", "servers.dep.api_key", "--stdin", input="wrong\n").exit_code == 0
    refused = run_deployment("--json", "server", "status")
    assert refused.exit_code == 8
    assert json.dumps(refused.json()).find("wrong") == -1


def test_deployment_add_fills_in_the_url(run_cli) -> None:
    added = run_cli("--json", "deployment", "add", "gpu", "abc123-x", "--key-stdin", input="k-123456789\n")
    assert added.exit_code == 0, added.stderr
    assert added.json()["data"]["url"] == "https://abc123-x.run.comfy.app"
    [server] = [s for s in run_cli("--json", "server", "list").json()["data"] if s["name"] == "gpu"]
    assert (server["kind"], server["url"], server["api_key"]) == ("comfy-api", "https://abc123-x.run.comfy.app", "***")
    assert "k-123456789" not in added.stdout + added.stderr
    bad = run_cli("deployment", "add", "gpu2", "not/an id")
    assert bad.exit_code == 2


def test_a_pause_the_server_asks_for_is_shown(run_deployment, surface, w1, tmp_path: Path) -> None:
    surface.throttle(1, "deployment_not_ready", retry_after="1")
    result = run_deployment("run", w1("dep/patient"), "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "answered 429: waiting 1 s as it asks" in result.stderr


def test_named_parameters_on_cloud_use_its_node_catalog(run_cli, proxy, fake_comfy, w1, tmp_path: Path) -> None:
    with FakeSurface(proxy.url, catalog=fake_comfy.url) as cloud:
        assert run_cli("server", "add", "c", cloud.url, "--kind", "comfy-api").exit_code == 0
        assert run_cli("config", "set", "servers.c.surface", "cloud").exit_code == 0
        assert run_cli("config", "set", "servers.c.api_key", "--stdin", input=cloud.api_key + "\n").exit_code == 0
        result = run_cli("-s", "c", "--json", "run", w1("cloud/named"), "--width", "40", "-o", str(tmp_path))
        assert result.exit_code == 0, result.stderr
        [submitted] = [json.loads(r.body) for r in cloud.requests if r.method == "POST" and r.path == "/api/v2/jobs"]
        assert submitted["workflow"]["1"]["inputs"]["width"] == 40
        catalog_reads = [r for r in cloud.requests if r.path == "/api/object_info"]
        assert catalog_reads and all(r.headers.get("X-API-Key") == cloud.api_key for r in catalog_reads)


def test_the_headers_setting_reaches_a_deployment_from_the_environment_too(run_deployment, surface) -> None:
    traced = run_deployment("--json", "server", "status", env={"COMFYUI_SKILL_SERVER_DEP_HEADERS": '{"X-Trace": "t-1"}'})
    assert traced.exit_code == 0, traced.stdout
    assert ("X-Trace", "t-1") in headers_sent(surface.requests)
    broken = run_deployment("--json", "server", "status", env={"COMFYUI_SKILL_SERVER_DEP_HEADERS": "t-2"})
    assert broken.exit_code == 10 and "servers.dep.headers takes a JSON dict" in broken.stdout
