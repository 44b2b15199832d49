"""submit, status, wait, cancel, history, upload and free against the fake ComfyUI."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from comfyui_skill import ExitCode

from ..agent.contract import assert_result
from .conftest import load_workflow
from .helpers import sent, write_png


def _submit(run_cli, fake, path) -> str:
    result = run_cli("submit", path, server=fake)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def test_submit_returns_at_once_and_wait_downloads(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.hold_execution = True  # not finished while its status is asked
    prompt_id = _submit(run_cli, fake_comfy, workflow_file("W1"))
    assert len(prompt_id) == 36
    status = run_cli("status", prompt_id, "--json", server=fake_comfy).json()["data"]
    assert status["status"] in ("pending", "running")
    fake_comfy.faults.hold_execution = False
    waited = run_cli("wait", prompt_id, "--download", "-o", str(tmp_path), "--timeout", "10", "--json",
                     server=fake_comfy)
    assert waited.exit_code == 0, waited.stderr
    assert Path(waited.json()["data"]["outputs"][0]["path"]).is_file()
    done = run_cli("status", prompt_id[:8], server=fake_comfy)
    assert done.exit_code == 0 and f"{prompt_id}  success" in done.stdout
    assert "probe/empty_00001_.png" in done.stdout


def test_wait_without_download_does_not_fetch(run_cli, fake_comfy, workflow_file):
    prompt_id = _submit(run_cli, fake_comfy, workflow_file("W1"))
    result = run_cli("wait", prompt_id, "--json", server=fake_comfy)
    assert result.exit_code == 0 and result.json()["data"]["outputs"][0]["filename"] == "empty_00001_.png"
    assert not [r for r in sent(fake_comfy) if r.path == "/view"]


def test_status_of_a_failed_prompt_shows_the_error(run_cli, fake_comfy, workflow_file):
    prompt_id = _submit(run_cli, fake_comfy, workflow_file("W6"))
    assert run_cli("wait", prompt_id, server=fake_comfy).exit_code == ExitCode.EXECUTION_FAILED
    status = run_cli("status", prompt_id, "--json", server=fake_comfy).json()["data"]
    assert status["status"] == "error" and "ZeroDivisionError" in status["error"]


def test_status_shows_queue_position(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    first = _submit(run_cli, fake_comfy, workflow_file("W1"))
    second = _submit(run_cli, fake_comfy, workflow_file("W1", {"1": {"width": 7}}))
    third = _submit(run_cli, fake_comfy, workflow_file("W1", {"1": {"width": 6}}))
    fake_comfy.wait_running(first)
    assert run_cli("status", first, "--json", server=fake_comfy).json()["data"]["status"] == "running"
    data = run_cli("status", third, "--json", server=fake_comfy).json()["data"]
    assert data["status"] == "pending" and data["position"] == 2
    assert "position 1" in run_cli("status", second, server=fake_comfy).stdout
    run_cli("cancel", first, second, third, server=fake_comfy)


def test_status_summarises_temporary_previews_and_json_lists_them_all(run_cli, fake_comfy, workflow_file, tmp_path):
    graph = load_workflow("W1")
    graph["3"] = {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 10, "color": 0}}
    graph["4"] = {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}}
    ran = run_cli("run", workflow_file(graph), "-o", str(tmp_path), "--json", server=fake_comfy)
    assert ran.exit_code == 0, ran.stderr
    prompt_id = ran.json()["data"]["prompt_id"]
    data = run_cli("status", prompt_id, "--json", server=fake_comfy).json()["data"]
    assert len(data["outputs"]) == 11 and data["temp_outputs"] == 10
    saved, *previews = data["outputs"]
    assert saved.startswith("probe/empty") and all("temp" in name for name in previews)
    text = run_cli("status", prompt_id, server=fake_comfy).stdout.splitlines()
    assert text[1:] == [f"  {saved}", f"  10 temporary previews: {', '.join(previews[:3])} and 7 more "
                                      "(--json lists them all)"]


def test_status_of_an_unknown_prompt_is_not_found(run_cli, fake_comfy):
    result = run_cli("status", "00000000-0000-4000-8000-000000000000", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND


def test_wait_several_reports_each(run_cli, fake_comfy, workflow_file):
    good = _submit(run_cli, fake_comfy, workflow_file("W1"))
    bad = _submit(run_cli, fake_comfy, workflow_file("W6"))
    result = run_cli("wait", good, bad, "--json", "--timeout", "10", server=fake_comfy)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    data = result.json()["data"]
    assert [d["status"] for d in data] == ["success", "execution_failed"]


def test_wait_timeout(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    prompt_id = _submit(run_cli, fake_comfy, workflow_file("W1"))
    assert run_cli("wait", prompt_id, "--timeout", "0.3", server=fake_comfy).exit_code == ExitCode.TIMEOUT
    run_cli("cancel", prompt_id, server=fake_comfy)


def test_cancel_interrupts_running_and_removes_pending(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    running = _submit(run_cli, fake_comfy, workflow_file("W1"))
    pending = _submit(run_cli, fake_comfy, workflow_file("W1", {"1": {"width": 3}}))
    other = _submit(run_cli, fake_comfy, workflow_file("W1", {"1": {"width": 2}}))
    fake_comfy.wait_running(running)
    result = run_cli("cancel", pending, running, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert [r["result"] for r in result.json()["data"]] == ["removed", "interrupted"]
    fake_comfy.faults.hold_execution = False
    waited = run_cli("wait", running, "--timeout", "60", server=fake_comfy)
    assert waited.exit_code == ExitCode.CANCELLED
    # somebody else's prompt was neither interrupted nor removed, and no global interrupt was sent
    assert run_cli("wait", other, "--timeout", "60", server=fake_comfy).exit_code == 0
    assert all(r.json for r in sent(fake_comfy) if r.method == "POST" and r.path == "/interrupt")


def test_cancel_without_jobs_api_uses_interrupt_with_prompt_id(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    fake_comfy.faults.fail_http(r"^/api/jobs", 404, times=None)
    running = _submit(run_cli, fake_comfy, workflow_file("W1"))
    pending = _submit(run_cli, fake_comfy, workflow_file("W1", {"1": {"width": 3}}))
    fake_comfy.wait_running(running)
    # named running first: interrupting it lets the server start the next one at once, so every prompt is
    # looked at, and the waiting one removed, before anything is interrupted
    result = run_cli("cancel", running, pending, "--json", server=fake_comfy)
    assert [r["result"] for r in result.json()["data"]] == ["interrupted", "removed"]
    interrupts = [r for r in sent(fake_comfy) if r.method == "POST" and r.path == "/interrupt"]
    assert [r.json for r in interrupts] == [{"prompt_id": running}]
    deletes = [r for r in sent(fake_comfy) if r.method == "POST" and r.path == "/queue"]
    assert [r.json for r in deletes] == [{"delete": [pending]}]


def test_cancel_of_finished_or_unknown_prompts_is_not_found(run_cli, fake_comfy, workflow_file):
    finished = _submit(run_cli, fake_comfy, workflow_file("W1"))
    run_cli("wait", finished, server=fake_comfy)
    unknown = "00000000-0000-4000-8000-000000000000"
    result = run_cli("cancel", finished, unknown, server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert f"{finished}  not cancelled: it had already finished (success)" in result.stdout
    assert f"{unknown}  not cancelled: unknown" in result.stdout
    assert "nothing was cancelled" in result.stderr
    document = run_cli("cancel", finished, "--json", server=fake_comfy).json()
    assert document["error"]["code"] == "not_found"
    assert document["data"] == [{"prompt_id": finished, "result": "already_finished", "status": "success"}]


def test_cancel_reports_each_prompt_and_succeeds_when_one_was_cancelled(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    running = _submit(run_cli, fake_comfy, workflow_file("W1"))
    fake_comfy.wait_running(running)
    unknown = "00000000-0000-4000-8000-000000000001"
    result = run_cli("cancel", unknown, running, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert [r["result"] for r in result.json()["data"]] == ["not_found", "interrupted"]


def test_status_of_several_prompts_exits_with_the_worst(run_cli, fake_comfy, workflow_file):
    good = _submit(run_cli, fake_comfy, workflow_file("W1"))
    bad = _submit(run_cli, fake_comfy, workflow_file("W6"))
    run_cli("wait", good, bad, server=fake_comfy)
    unknown = "00000000-0000-4000-8000-000000000002"
    result = run_cli("status", good, bad, unknown, "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    document = result.json()
    assert [row["status"] for row in document["data"]] == ["success", "error", "not_found"]
    assert document["error"]["code"] == "execution_failed" and document["error"]["details"]["prompt_ids"] == [bad]
    assert run_cli("status", good, unknown, server=fake_comfy).exit_code == ExitCode.NOT_FOUND
    text = run_cli("status", good, bad, server=fake_comfy)
    assert f"{good}  success" in text.stdout and f"{bad}  error" in text.stdout and "ZeroDivisionError" in text.stdout
    assert run_cli("status", bad, server=fake_comfy).exit_code == ExitCode.EXECUTION_FAILED


def test_status_of_a_rejected_prompt_exits_as_its_run_did(run_cli, fake_comfy, workflow_file):
    run = run_cli("run", workflow_file("W1", {"1": {"width": 999999}}), "--json", server=fake_comfy)
    assert run.exit_code == ExitCode.REJECTED
    prompt_id = run_cli("history", "list", "--json").json()["data"][0]["prompt_id"]
    result = run_cli("status", prompt_id, "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    document = result.json()
    assert document["data"]["status"] == "rejected" and document["data"]["source"] == "journal"
    assert document["error"]["code"] == "rejected"


def test_status_of_a_running_prompt_shows_its_node_and_steps(run_cli, fake_comfy, workflow_file):
    fake_comfy.progress_steps_delay = 0.3  # a step well within the 1.5 s status listens; 240 of them: 72 s of
    # node 3, so that it is still running for the three looks below on any machine (cancelled at the end)
    graph = workflow_file("W3", {"1": {"width": 8, "height": 8, "batch_size": 240}})
    running = _submit(run_cli, fake_comfy, graph)  # submit sends no client id: progress is broadcast
    pending = _submit(run_cli, fake_comfy, workflow_file("W1"))
    fake_comfy.wait_running(running)
    result = run_cli("status", running, pending, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    now, waiting = assert_result(result.json())["data"]
    assert now["status"] == "running" and waiting["status"] == "pending" and waiting["position"] == 1
    assert now["progress"]["node"] == "3" and now["progress"]["class_type"] == "ColorTransfer"
    assert now["progress"]["max"] == 240 and 0 <= now["progress"]["value"] <= 240
    text = run_cli("status", running, server=fake_comfy, env={"COLUMNS": "120"}).stdout
    assert f"{running}  running  node 3 (ColorTransfer)  [" in text and "/240" in text
    narrow = run_cli("status", running, server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout
    assert f"{running}  running  node 3 (ColorTransfer)  " in narrow and "/240" in narrow and "[" not in narrow
    assert all(len(line) <= 80 for line in narrow.splitlines())
    run_cli("cancel", running, pending, server=fake_comfy)


def test_wait_on_a_running_prompt_shows_its_node_and_steps(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.hold_execution = True
    running = _submit(run_cli, fake_comfy, workflow_file("W3"))  # submit sends no client id: progress is broadcast
    waited: list = []
    waiter = threading.Thread(target=lambda: waited.append(
        run_cli("wait", running, "-o", str(tmp_path), "--output", "ndjson", server=fake_comfy)))
    waiter.start()
    deadline = time.monotonic() + 30
    while not fake_comfy.ws_clients and time.monotonic() < deadline:  # wait is listening
        threading.Event().wait(0.01)
    fake_comfy.faults.hold_execution = False
    waiter.join(60)
    [result] = waited
    assert result.exit_code == 0, result.stderr
    events = result.ndjson()
    nodes = [e for e in events if e.get("event") == "node" and e.get("node") == "3"]
    assert nodes and nodes[0]["class_type"] == "ColorTransfer" and nodes[0]["title"].endswith("(#3)")
    steps = [e for e in events if e.get("event") == "progress" and e.get("node") == "3"]
    assert steps and steps[-1]["value"] == steps[-1]["max"] == 24


def test_status_of_a_running_prompt_without_a_socket(run_cli, fake_comfy, workflow_file):
    fake_comfy.faults.hold_execution = True
    fake_comfy.faults.refuse_websocket = True
    running = _submit(run_cli, fake_comfy, workflow_file("W1"))
    fake_comfy.wait_running(running)
    result = run_cli("status", running, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["status"] == "running" and result.json()["data"]["progress"] is None
    run_cli("cancel", running, server=fake_comfy)


def test_cancel_all_needs_confirmation(run_cli, fake_comfy):
    refused = run_cli("cancel", "--all", server=fake_comfy)
    assert refused.exit_code == ExitCode.USAGE and "--yes" in refused.stderr
    assert run_cli("cancel", "--all", "--yes", server=fake_comfy).exit_code == 0
    bodies = [r.json for r in sent(fake_comfy) if r.method == "POST" and r.path in ("/queue", "/interrupt")]
    assert {"clear": True} in bodies and {} in bodies


def test_history_list_and_show_from_the_journal(run_cli, fake_comfy, workflow_file, tmp_path):
    ok = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", server=fake_comfy).json()["data"]
    run_cli("run", workflow_file("W6"), server=fake_comfy)
    listing = run_cli("history", "list", "--json").json()["data"]
    assert [row["status"] for row in listing] == ["error", "success"]
    only_ok = run_cli("history", "list", "--status", "success", "--json").json()["data"]
    assert [row["prompt_id"] for row in only_ok] == [ok["prompt_id"]]
    assert len(run_cli("history", "list", "--limit", "1", "--json").json()["data"]) == 1
    text = run_cli("history", "list").stdout
    assert "PROMPT" in text and ok["prompt_id"][:8] in text
    shown = run_cli("history", "show", ok["prompt_id"][:8], "--json").json()["data"]
    assert shown["prompt_id"] == ok["prompt_id"] and shown["outputs"][0]["path"] == ok["outputs"][0]["path"]


def test_history_list_server_jobs_and_history_fallback(run_cli, fake_comfy, workflow_file, tmp_path):
    prompt_id = _submit(run_cli, fake_comfy, workflow_file("W1"))
    run_cli("wait", prompt_id, server=fake_comfy)
    jobs = run_cli("history", "list", "--remote", "--json", server=fake_comfy).json()["data"]
    assert jobs[0]["prompt_id"] == prompt_id and jobs[0]["status"] == "success"
    fake_comfy.faults.fail_http(r"^/api/jobs", 404, times=None)
    fallback = run_cli("history", "list", "--remote", "--json", server=fake_comfy).json()["data"]
    assert fallback[0]["prompt_id"] == prompt_id and fallback[0]["status"] == "success"
    run_cli("server", "add", "gpu", fake_comfy.url)
    named = run_cli("history", "list", "--remote", "--server", "gpu", "--json")  # --server: the global option
    assert named.exit_code == 0 and named.json()["data"][0]["prompt_id"] == prompt_id


def test_history_show_unknown_is_not_found(run_cli, fake_comfy):
    assert run_cli("history", "show", "nope", server=fake_comfy).exit_code == ExitCode.NOT_FOUND


def test_upload_files_and_mask(run_cli, fake_comfy, tmp_path):
    image = write_png(tmp_path / "pic.png", (1, 2, 3))
    result = run_cli("upload", str(image), "--subfolder", "sub", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"][0]["reference"] == "sub/pic.png"
    write_png(image, (9, 9, 9))
    renamed = run_cli("upload", str(image), "--subfolder", "sub", server=fake_comfy)
    assert "renamed" in renamed.stdout and "pic (1).png" in renamed.stdout
    overwritten = run_cli("upload", str(image), "--subfolder", "sub", "--overwrite", "--json", server=fake_comfy)
    assert overwritten.json()["data"][0]["name"] == "pic.png"
    mask = run_cli("upload", "--mask", str(image), "--original", "sub/pic.png", "--json", server=fake_comfy)
    assert mask.exit_code == 0, mask.stderr
    assert run_cli("upload", "--original", "x.png", server=fake_comfy).exit_code == ExitCode.USAGE
    missing = run_cli("upload", str(tmp_path / "missing.png"), server=fake_comfy)
    assert missing.exit_code == ExitCode.NOT_FOUND  # as documented: a named file that does not exist
    assert f"local file {tmp_path / 'missing.png'} not found" in missing.stderr
    assert run_cli("upload", str(tmp_path), server=fake_comfy).exit_code == ExitCode.USAGE  # a folder


def test_free(run_cli, fake_comfy):
    assert run_cli("free", server=fake_comfy).exit_code == 0
    assert run_cli("free", "--models", server=fake_comfy).exit_code == 0
    bodies = [r.json for r in sent(fake_comfy) if r.path == "/free"]
    assert bodies == [{"unload_models": True, "free_memory": True}, {"unload_models": True, "free_memory": False}]
