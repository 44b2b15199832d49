"""Batch items in the run journal: recorded before their POST, updated at their end, listed by
``history list --batch``, followed by ``wait``/``status``, and kept consistent by ``--resume``."""

from __future__ import annotations

import threading
import urllib.request
import time
from pathlib import Path

from comfyui_skill import ExitCode

from comfyui_skill_run import journal

from ..waiting import wait_for
from .conftest import (journal_latest, journal_lines, manifest_of, posted_prompts, read_manifest, start_cli,
                       successes, write_config)


def test_every_item_is_journaled_with_its_batch_and_listed_by_batch(run_cli, cli_env, fakes, workflow, outdir,
                                                                    tmp_path):
    a, b = fakes(2)
    single = run_cli("--url", a.url, "run", workflow("W1"), "-o", str(tmp_path / "single"), "--json")
    assert single.exit_code == 0, single.stderr
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..4", "--servers", f"{a.url},{b.url}", "-o",
                     str(outdir), "--json")
    assert result.exit_code == 0, result.stderr
    manifest = manifest_of(outdir)
    items = {item["prompt_id"]: item for item in result.json()["data"]["items"]}
    lines = journal_lines(cli_env)
    for prompt_id, item in items.items():
        mine = [line for line in lines if line["prompt_id"] == prompt_id]
        assert [line["status"] for line in mine] == ["submitting", "queued", "success"]
        final = mine[-1]
        assert final["batch"] == str(manifest) and final["item"] == item["item"]
        assert final["server"] == item["server"] and final["url"].startswith("http://127.0.0.1:")
        assert final["outputs"] == item["outputs"] and final["outputs"][0]["path"]
        assert final["submitted_at"] == mine[0]["submitted_at"] and final["elapsed"] is not None
        assert final["args"] == {"1.width": item["params"]["1.width"]}

    listed = run_cli("history", "list", "--batch", str(manifest), "--json").json()["data"]
    assert {row["prompt_id"] for row in listed} == set(items)
    spelled = manifest.parent / ".." / manifest.parent.name / manifest.name
    assert run_cli("history", "list", "--batch", str(spelled), "--json").json()["data"] == listed
    assert sorted(row["item"] for row in listed) == ["0001", "0002", "0003", "0004"]
    everything = run_cli("history", "list", "--json").json()["data"]
    assert single.json()["data"]["prompt_id"] in {row["prompt_id"] for row in everything}
    assert len(everything) == 5
    text = run_cli("history", "list", "--batch", str(manifest)).stdout
    assert "ITEM" in text.splitlines()[0] and len(text.splitlines()) == 5
    some = next(iter(items))
    shown = run_cli("history", "show", some).stdout
    assert str(manifest) in shown and items[some]["item"] in shown
    assert run_cli("history", "list", "--batch", str(manifest), "--remote").exit_code == ExitCode.USAGE


def test_the_submission_is_journaled_before_the_post(cli_env, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.faults.delay_http(r"^/prompt$", 3600, times=1)  # the first POST is held: the CLI is killed meanwhile
    process = start_cli(cli_env, "--url", fake.url, "run", workflow("W1"), "--sweep", "1.width=1..2", "-o",
                        str(outdir))
    try:
        wait_for(lambda: posted_prompts(fake))
        (posted,) = posted_prompts(fake)
        (record,) = journal_latest(cli_env).values()  # already there when the POST arrives
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert record["prompt_id"] == posted["prompt_id"] and record["status"] == "submitting"
    assert record["batch"] == str(manifest_of(outdir)) and record["item"] == "0001"
    assert record["server"] == fake.url and record["url"] == fake.url


def test_wait_and_status_follow_a_batch_item_left_by_a_killed_batch(run_cli, cli_env, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True
    process = start_cli(cli_env, "--url", fake.url, "run", workflow("W1"), "--sweep", "1.width=1..2", "-o",
                        str(outdir))
    try:
        wait_for(lambda: any(line["status"] == "queued" for line in journal_lines(cli_env)))
    finally:
        process.kill()
        process.communicate(timeout=60)
    record = next(line for line in journal_lines(cli_env) if line["status"] == "queued")
    status = run_cli("status", record["prompt_id"][:8], "--json")
    assert status.exit_code == 0 and status.json()["data"]["status"] in ("pending", "running")
    fake.faults.hold_execution = False
    waited = run_cli("wait", record["prompt_id"], "--download", "-o", str(outdir / "waited"), "--json")
    assert waited.exit_code == 0, waited.stderr
    assert waited.json()["data"]["outputs"]
    after = journal_latest(cli_env)[record["prompt_id"]]
    assert after["status"] == "success" and after["item"] == record["item"] and after["batch"] == record["batch"]


def test_resume_updates_the_journal_records_of_the_prompts_it_reattaches_to(run_cli, cli_env, fakes, workflow,
                                                                            outdir):
    a, b = fakes(2)
    a.faults.hold_execution = True  # a's two items are still on it when the CLI is killed
    process = start_cli(cli_env, "run", workflow("W1"), "--sweep", "1.width=1..8", "--servers", f"{a.url},{b.url}",
                        "-o", str(outdir))
    try:
        wait_for(lambda: successes(outdir) >= 2)
    finally:
        process.kill()
        process.communicate(timeout=60)
    a.faults.hold_execution = False
    path = manifest_of(outdir)
    on_server = {item["prompt_id"] for item in read_manifest(path)[2].values()
                 if item["status"] in ("submitting", "queued", "running")}
    result = run_cli("run", "--resume", str(path), "--json")
    assert result.exit_code == 0, result.stderr

    posted = {p["prompt_id"] for fake in (a, b) for p in posted_prompts(fake)}
    latest = journal_latest(cli_env)
    # The kill may land between a prompt's journal record and its POST: resume finds it on no server,
    # journals it submit_failed and runs the item under a new prompt id.
    never_sent = {prompt_id for prompt_id, record in latest.items() if record["status"] == "submit_failed"}
    assert not never_sent & posted
    assert set(latest) - never_sent == posted  # one record per prompt ever posted: none twice, none missing
    assert all(latest[prompt_id]["status"] == "success" for prompt_id in posted)
    assert all(record["batch"] == str(path) for record in latest.values())
    assert on_server and all(latest[prompt_id].get("resumed_at") for prompt_id in on_server & posted)
    assert all(latest[prompt_id].get("resumed_at") for prompt_id in never_sent)
    listed = run_cli("history", "list", "--batch", str(path), "--json").json()["data"]
    assert sorted(row["item"] for row in listed if row["status"] == "success") == \
        sorted(item["item"] for item in result.json()["data"]["items"])
    assert {row["prompt_id"] for row in listed if row["status"] != "success"} == never_sent


def test_resume_completes_the_journal_of_items_the_manifest_records_as_ended(run_cli, cli_env, fakes, workflow,
                                                                               outdir):
    # a kill between the manifest's record of an outcome and the journal's leaves the journal behind
    (fake,) = fakes(1)
    result = run_cli("--url", fake.url, "run", workflow("W1"), "--sweep", "1.width=1..2", "-o", str(outdir))
    assert result.exit_code == 0, result.stderr
    journal_file = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
    lines = journal_file.read_text().splitlines(keepends=True)
    behind = journal_lines(cli_env)[-1]["prompt_id"]
    assert journal_latest(cli_env)[behind]["status"] == "success"
    while behind in lines[-1] and '"success"' in lines[-1]:
        lines.pop()
    journal_file.write_text("".join(lines))
    assert journal_latest(cli_env)[behind]["status"] in ("queued", "running")

    again = run_cli("run", "--resume", str(manifest_of(outdir)), "--json")
    assert again.exit_code == 0, again.stderr
    record = journal_latest(cli_env)[behind]
    assert record["status"] == "success" and record["outputs"] and record["finished_at"]
    assert len(posted_prompts(fake)) == 2  # nothing ran again


def test_resume_without_the_server_of_a_submitted_item_journals_its_prompt_lost(run_cli, cli_env, fakes, workflow,
                                                                                 outdir):
    a, b = fakes(2)
    a.faults.hold_execution = True
    process = start_cli(cli_env, "--url", a.url, "run", workflow("W1"), "--sweep", "1.width=1..3", "-o",
                        str(outdir))
    try:
        wait_for(lambda: sum(line["status"] == "queued" for line in journal_lines(cli_env)) >= 2)
    finally:
        process.kill()
        process.communicate(timeout=60)
    left = {prompt_id for prompt_id, record in journal_latest(cli_env).items() if record["status"] == "queued"}
    result = run_cli("run", "--resume", str(manifest_of(outdir)), "--servers", b.url, "--json")
    assert result.exit_code == 0, result.stderr
    latest = journal_latest(cli_env)
    assert {latest[prompt_id]["status"] for prompt_id in left} == {"lost"}
    assert "not in the resumed batch" in latest[next(iter(left))]["error"]
    ran = {item["prompt_id"] for item in result.json()["data"]["items"]}
    assert not ran & left and {latest[prompt_id]["status"] for prompt_id in ran} == {"success"}


def test_a_hung_server_is_drained_after_its_batch_read_timeout(run_cli, cli_env, fakes, workflow, outdir):
    a, hung = fakes(2)
    hung.faults.hold_execution = True  # both its slots stay taken
    write_config(cli_env, f'[servers.a]\nurl = "{a.url}"\n'
                          f'[servers.hung]\nurl = "{hung.url}"\nbatch_read_timeout = 0.3\n')

    def hang_when_busy() -> None:  # accepts connections, never answers HTTP (the socket stays up)
        try:
            wait_for(lambda: len(posted_prompts(hung)) == 2)
        finally:
            hung.faults.delay_http(r"^/(?!ws|view)", 3600)  # downloads keep read_timeout: spared
    watcher = threading.Thread(target=hang_when_busy, daemon=True)
    watcher.start()
    started = time.monotonic()
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..8", "--servers", "a,hung", "-o", str(outdir),
                     "--output", "ndjson")
    print(f"batch with a hung server (batch_read_timeout 0.3 s): {time.monotonic() - started:.1f} s")
    watcher.join(10)
    assert result.exit_code == 0, result.stderr
    events = result.ndjson()
    (down,) = [e for e in events if e.get("event") == "server_down"]
    assert down["server"] == "hung" and "timed out" in down["reason"]
    moved = set(down["items"])
    assert moved and result.ndjson()[-1]["data"]["counts"]["done"] == 8
    latest = journal_latest(cli_env)
    lost = {r["item"] for r in latest.values() if r["status"] == "lost" and r["server"] == "hung"}
    assert lost == moved  # the prompts left on the hung server, journaled as lost; the items ran again
    assert {r["item"] for r in latest.values() if r["status"] == "success"} >= moved


def test_downloads_keep_the_read_timeout(run_cli, cli_env, fakes, workflow, outdir):
    (fake,) = fakes(1)
    write_config(cli_env, f'[servers.slow]\nurl = "{fake.url}"\nbatch_read_timeout = 1\n')
    fake.faults.delay_http(r"^/view", 2.0)  # every try slower than batch_read_timeout, far within read_timeout
    result = run_cli("-s", "slow", "run", workflow("W1"), "--sweep", "1.width=1", "-o", str(outdir),
                     "--json")
    assert result.exit_code == 0, result.stderr
    assert all(Path(item["outputs"][0]["path"]).is_file() for item in result.json()["data"]["items"])


def test_a_bad_batch_read_timeout_is_a_config_error(run_cli, cli_env, fakes, workflow, outdir):
    (fake,) = fakes(1)
    write_config(cli_env, f'[servers.x]\nurl = "{fake.url}"\nbatch_read_timeout = 0\n')
    result = run_cli("-s", "x", "run", workflow("W1"), "--sweep", "1.width=1..2", "-o",
                        str(outdir))
    assert result.exit_code == ExitCode.CONFIG and "batch_read_timeout" in result.stderr
    assert not posted_prompts(fake)


def test_concurrent_updates_are_neither_lost_nor_interleaved(cli_env, monkeypatch):
    """Threads updating one prompt: every field survives the read-merge-append, every line parses."""
    monkeypatch.setenv("COMFYUI_SKILL_DATA_DIR", cli_env["COMFYUI_SKILL_DATA_DIR"])
    payload = "x" * 5000  # lines longer than a pipe buffer: a cut write would show

    def update(thread: int) -> None:
        for n in range(40):
            journal.record("shared", **{f"t{thread}_{n}": payload})
            journal.record(f"own-{thread}", status="queued", n=n)
    threads = [threading.Thread(target=update, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = journal_lines(cli_env)
    assert len(lines) == 6 * 40 * 2
    shared = journal.latest("shared")
    assert shared is not None and len([key for key in shared if key.startswith("t")]) == 6 * 40


def _queue_looks_after_the_second_post(fake) -> int:
    requests = fake.requests
    posts = [i for i, r in enumerate(requests) if (r.method, r.path) == ("POST", "/prompt")]
    return 0 if len(posts) < 2 else sum(1 for r in requests[posts[1]:] if (r.method, r.path) == ("GET", "/queue"))


def test_an_item_someone_removes_from_the_queue_is_cancelled_not_run_again(run_cli, cli_env, fakes, workflow,
                                                                          outdir):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True  # the first item runs, the second waits behind it

    def clear_the_queue() -> None:
        try:  # the engine looks at the queue one answer at a time: by its third look it has seen both
            wait_for(lambda: _queue_looks_after_the_second_post(fake) >= 3, timeout=60)
            urllib.request.urlopen(urllib.request.Request(f"{fake.url}/queue", data=b'{"clear": true}'), timeout=30)
        finally:
            fake.faults.hold_execution = False

    thread = threading.Thread(target=clear_the_queue, daemon=True)
    thread.start()
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "-o", str(outdir), "--output", "ndjson",
                     server=fake)
    thread.join(30)
    assert result.exit_code == ExitCode.EXECUTION_FAILED, result.stderr
    assert len(posted_prompts(fake)) == 2  # not submitted again
    cancelled = [e for e in result.ndjson() if e.get("event") == "cancelled"]
    assert [(e["item"], e["by"]) for e in cancelled] == [("0002", "queue")]
    latest = read_manifest(manifest_of(outdir))[2]
    assert [latest[i]["status"] for i in (0, 1)] == ["success", "cancelled"]
    assert "was removed from the queue" in latest[1]["error"]
    assert journal_latest(cli_env)[latest[1]["prompt_id"]]["status"] == "removed"
