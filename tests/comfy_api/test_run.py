"""run, submit, wait, status, cancel and upload on a real comfy-api-proxy in front of the fake ComfyUI."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


def _png(path: Path) -> Path:
    """A tiny real PNG (the fake ComfyUI decodes what it loads)."""
    import base64

    path.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="))
    return path


def test_run_saves_the_output_through_the_proxy(run_v2, w1, tmp_path: Path, proxy) -> None:
    result = run_v2("--json", "run", w1("v2/first"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["status"] == "success"
    [output] = data["outputs"]
    saved = Path(output["path"])
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert saved.parent == (tmp_path / "out")
    job = proxy.get(f"/jobs/{data['prompt_id']}")  # the id reported is the server's job id
    assert job["status"] == "succeeded"
    assert job["metadata"].startswith("comfyui-skill:")  # the submission can be found again by its key


def test_the_journal_names_the_job_by_the_servers_id(run_v2, w1, tmp_path: Path) -> None:
    ran = run_v2("--json", "run", w1("v2/journal"), "-o", str(tmp_path))
    job_id = ran.json()["data"]["prompt_id"]
    listed = run_v2("--json", "history", "list").json()["data"]
    assert [(r["prompt_id"], r["status"]) for r in listed] == [(job_id, "success")]  # the key is no second run


def test_submit_then_wait_downloads(run_v2, w1, tmp_path: Path) -> None:
    submitted = run_v2("--json", "submit", w1("v2/later"))
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.json()["data"]["prompt_id"]
    waited = run_v2("--json", "wait", job_id, "--download", "-o", str(tmp_path / "got"))
    assert waited.exit_code == 0, waited.stderr
    [output] = waited.json()["data"]["outputs"]
    assert Path(output["path"]).is_file()
    status = run_v2("--json", "status", job_id)
    assert status.json()["data"]["status"] == "success"


def test_progress_comes_from_the_job_stream(run_v2, tmp_path: Path) -> None:
    result = run_v2("--output", "ndjson", "run", str(WORKFLOWS / "W3_colortransfer_progress.json"), "-o",
                    str(tmp_path))
    assert result.exit_code == 0, result.stderr
    events = [e for e in result.ndjson() if "event" in e]
    kinds = [e["event"] for e in events]
    steps = [e for e in events if e["event"] == "progress"]
    assert steps, kinds
    assert all(e["node"] == "3" and 0 < e["value"] <= e["max"] == 24 for e in steps)
    assert kinds.index("started") < kinds.index("node") < kinds.index("progress") < kinds.index("done")


def test_a_failing_job_names_the_node(run_v2) -> None:
    result = run_v2("--json", "run", str(WORKFLOWS / "W6_runtime_error.json"))
    assert result.exit_code == 5, result.stderr
    error = result.json()["error"]
    assert "ComfyMathExpression" in error["message"] or "#1" in error["message"]
    assert "division by zero" in error["message"]


def test_an_invalid_workflow_is_explained_node_by_node(run_v2, w1) -> None:
    result = run_v2("run", w1("v2/bad", width="wide"))
    assert result.exit_code == 4
    assert "width" in result.stderr


def test_an_unknown_job_is_not_found(run_v2) -> None:
    result = run_v2("--json", "status", "116f5fa1-4ecf-4bc6-bfb3-00580361088c")
    assert result.exit_code == 7, result.stdout


def test_cancel_of_a_queued_job_reports_it_cancelled(run_v2, w1, fake_comfy) -> None:
    fake_comfy.faults.hold_execution = True
    try:
        first = run_v2("--json", "submit", w1("v2/blocker")).json()["data"]["prompt_id"]
        second = run_v2("--json", "submit", w1("v2/queued", width=32)).json()["data"]["prompt_id"]
        cancelled = run_v2("--json", "cancel", second)
        assert cancelled.exit_code == 0, cancelled.stdout
        assert cancelled.json()["data"][0]["result"] == "removed"
    finally:
        fake_comfy.faults.hold_execution = False
    # the proxy now reports the cancelled queued job 'expired' for good; we know better
    assert run_v2("--json", "wait", first).exit_code == 0
    waited = run_v2("--json", "wait", second)
    assert waited.exit_code == 11, waited.stdout


def test_ctrl_c_cancels_the_running_job(run_v2, w1, fake_comfy, proxy) -> None:
    fake_comfy.faults.hold_execution = True
    seen: dict[str, str] = {}

    def interrupt_when_running() -> None:
        # the CLI runs in this process: interrupt it once its job is on the proxy
        import _thread
        import time

        end = time.monotonic() + 60
        while time.monotonic() < end:
            jobs = proxy.get("/jobs?limit=5")["jobs"]
            if jobs and jobs[0]["status"] == "running":
                seen["job"] = jobs[0]["id"]
                _thread.interrupt_main()
                return
            time.sleep(0.02)  # polling a condition: the job running

    watcher = threading.Thread(target=interrupt_when_running)
    watcher.start()
    try:
        result = run_v2("--json", "run", w1("v2/interrupted"))
    finally:
        watcher.join()
        fake_comfy.faults.hold_execution = False
    assert result.exit_code == 130, result.stdout
    assert result.json()["error"]["details"]["prompt_id"] == seen["job"]
    fake_comfy.wait_idle()
    assert proxy.get(f"/jobs/{seen['job']}")["status"] in ("canceled", "expired")


def test_a_local_image_becomes_an_asset_uploaded_once(run_v2, tmp_path: Path, proxy) -> None:
    image = _png(tmp_path / "photo.png")
    workflow = json.loads((WORKFLOWS / "W2_load_invert_save.json").read_text())
    workflow["12"]["inputs"]["filename_prefix"] = "v2/inverted"
    path = tmp_path / "w2.json"
    path.write_text(json.dumps(workflow))
    first = run_v2("--json", "run", str(path), "--set", f"10.image={image}", "-o", str(tmp_path / "a"))
    assert first.exit_code == 0, first.stderr
    [uploaded] = first.json()["data"]["uploaded"]
    assert uploaded["asset_id"]
    again = run_v2("--json", "upload", str(image))
    assert again.exit_code == 0, again.stderr
    [answer] = again.json()["data"]
    assert answer["asset_id"] == uploaded["asset_id"]
    assert answer["deduplicated"] is True
    assert answer["hash"].startswith("blake3:")


def test_commands_v2_cannot_serve_say_so_in_one_line(run_v2) -> None:
    for argv in (("nodes", "list"), ("models", "list"), ("logs", "show"), ("free",)):
        result = run_v2(*argv)
        assert result.exit_code == 2, (argv, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("  hint")]
        assert len(lines) == 1 and "Comfy API v2" in lines[0], (argv, result.stderr)


def test_server_status_names_the_surface(run_v2) -> None:
    result = run_v2("--json", "server", "status")
    assert result.exit_code == 0, result.stderr
    [report] = result.json()["data"]
    assert report["reachable"] is True
    assert report["surface"] == "self-hosted"


def test_a_token_protected_proxy(run_cli, fake_comfy, tmp_path: Path, w1) -> None:
    from .conftest import start_proxy

    guarded = start_proxy(fake_comfy.url, tmp_path, token="s3cret-proxy-token")
    try:
        refused = run_cli("--url", guarded.url, "--kind", "comfy-api", "--json", "server", "status")
        assert refused.exit_code == 8, refused.stdout
        added = run_cli("server", "add", "proxy", guarded.url, "--kind", "comfy-api", "--token-stdin",
                        input="s3cret-proxy-token\n")
        assert added.exit_code == 0, added.stderr
        ran = run_cli("-s", "proxy", "--json", "run", w1("v2/guarded"), "-o", str(tmp_path / "g"))
        assert ran.exit_code == 0, ran.stderr
        assert "s3cret-proxy-token" not in ran.stdout + ran.stderr
    finally:
        guarded.stop()


def test_jobs_and_server_history_list_the_proxys_jobs(run_v2, w1, tmp_path: Path) -> None:
    job_id = run_v2("--json", "run", w1("v2/listed"), "-o", str(tmp_path)).json()["data"]["prompt_id"]
    jobs = run_v2("--json", "jobs", "list")
    assert jobs.exit_code == 0, jobs.stderr
    assert job_id in json.dumps(jobs.json()["data"])
    shown = run_v2("--json", "jobs", "show", job_id)
    assert shown.exit_code == 0, shown.stderr
    remote = run_v2("--json", "history", "list", "--remote")
    assert remote.exit_code == 0, remote.stderr
    assert job_id in json.dumps(remote.json()["data"])


def test_a_batch_spreads_over_a_proxy_and_a_local_server(run_cli, proxy, fake_comfy, w1, tmp_path: Path) -> None:
    assert run_cli("server", "add", "proxy", proxy.url, "--kind", "comfy-api").exit_code == 0
    assert run_cli("server", "add", "direct", fake_comfy.url).exit_code == 0
    result = run_cli("--json", "run", w1("v2/batch"), "--sweep", "1.width=32,40,48,56", "--servers", "proxy,direct",
                     "-o", str(tmp_path / "batch"))
    assert result.exit_code == 0, result.stdout
    data = result.json()["data"]
    servers = {item["server"] for item in data["items"]}
    assert servers == {"proxy", "direct"}, data
    assert all(item["status"] == "success" for item in data["items"])
