"""Faults on the way: gateway errors on the submission and on reads, sockets that keep dropping, a restart
that keeps the queue, a journal cut short by a crash, downloads cut short or never ending, a read that never
answers. The run still ends right, exactly once, within its deadline, and leaves no partial file."""

from __future__ import annotations

from pathlib import Path

from comfyui_skill import ExitCode

from tests.core.scripted_server import Handler, Reply, send, send_chunks
from tests.run.helpers import sent

from .conftest import PNG, TOKEN, files_in, running_prompt, wait_for


def test_a_burst_of_gateway_errors_on_the_submission_is_ridden_out(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.fail_http(r"^/prompt$", 502, times=1, method="POST")
    fake_comfy.faults.fail_http(r"^/prompt$", 503, times=1, method="POST")
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--output", "ndjson",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    posts = sent(fake_comfy, "POST", "/prompt")
    assert len(posts) == 3 and len({p.json["prompt_id"] for p in posts}) == 1  # the same id each time
    assert len(fake_comfy.history_ids()) == 1  # and it ran once
    assert [line["attempt"] for line in result.ndjson() if line.get("event") == "retry"] == [1, 2]


def test_gateway_errors_that_never_stop_end_in_a_server_error(run_cli, fake_comfy, workflow_file, journal_lines):
    fake_comfy.faults.fail_http(r"^/prompt$", 503, times=None, method="POST")
    result = run_cli("run", workflow_file("W1"), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert len(sent(fake_comfy, "POST", "/prompt")) == 3
    assert journal_lines()[-1]["status"] == "submit_failed"


def test_a_socket_that_drops_after_every_message(run_cli, fake_comfy, workflow_file, tmp_path, in_background):
    fake_comfy.faults.drop_websocket_after(1)
    fake_comfy.faults.hold_execution = True  # the prompt runs until the client has reconnected twice

    def release() -> None:
        wait_for(lambda: len([r for r in fake_comfy.requests if r.path == "/ws"]) > 2, "two reconnections")
        fake_comfy.faults.hold_execution = False
    in_background(release)
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json", "--timeout", "30",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "probe" / "empty_00001_.png").is_file()
    assert len([r for r in fake_comfy.requests if r.path == "/ws"]) > 2


def test_a_restart_that_keeps_the_queue_is_followed_through(run_cli, fake_comfy, workflow_file, tmp_path,
                                                            in_background):
    fake_comfy.faults.hold_execution = True  # the restart comes while it runs

    def restart() -> None:
        wait_for(lambda: running_prompt(fake_comfy), "the prompt to run")
        fake_comfy.restart(lose_queue=False)
        fake_comfy.faults.hold_execution = False
    in_background(restart)
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json", "--timeout", "30",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert len(sent(fake_comfy, "POST", "/prompt")) == 1


def test_a_journal_cut_short_by_a_crash_still_reads(run_cli, fake_comfy, workflow_file, tmp_path, cli_env):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json", server=fake_comfy)
    prompt_id = result.json()["data"]["prompt_id"]
    journal = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
    with journal.open("ab") as handle:
        handle.write(b'{"prompt_id": "cut-sho')  # the process died mid-line
        handle.write(b"\n\x00\xff garbage\n[1, 2]\n")
    listed = run_cli("history", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [entry["prompt_id"] for entry in listed.json()["data"]] == [prompt_id]
    again = run_cli("run", workflow_file("W1", {"1": {"width": 7}}), "-o", str(tmp_path / "out"), "--json",
                    server=fake_comfy)
    assert again.exit_code == 0, again.stderr
    assert run_cli("status", prompt_id[:8], "--json", server=fake_comfy).json()["data"]["status"] == "success"


def test_a_download_cut_short_is_retried_and_never_kept_partial(run_cli, fake_comfy, workflow_file, tmp_path,
                                                                 other_host, guarded):
    other_host.on("/file", send_chunks(200, [PNG[:1000]], length=len(PNG)), send(200, PNG, content_type="image/png"))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("-s", "guarded", "run", workflow_file("W1"), "-o", str(out), "--json", env=guarded)
    assert result.exit_code == 0, result.stderr
    assert files_in(out) == ["probe/empty_00001_.png"]
    assert (out / "probe" / "empty_00001_.png").read_bytes() == PNG
    assert len(other_host.seen) == 2
    # the storage host never sees the server's credentials
    assert all("Authorization" not in seen.headers and TOKEN not in seen.path for seen in other_host.seen)


def test_a_download_that_keeps_breaking_fails_cleanly(run_cli, fake_comfy, workflow_file, tmp_path, other_host):
    other_host.on("/file", send_chunks(200, [PNG[:1000]], length=len(PNG)))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", server=fake_comfy)
    assert result.exit_code in (ExitCode.SERVER_ERROR, ExitCode.UNREACHABLE), result.stderr
    assert "cut short" in result.json()["error"]["message"] or "broke off" in result.json()["error"]["message"]
    assert files_in(out) == []  # no partial file, no temporary file


RANGES = {"Accept-Ranges": "bytes", "ETag": '"v1"'}


def _cut_at(size: int) -> Reply:
    """The first ``size`` bytes of PNG, then the connection closes, though the whole was announced."""
    return send_chunks(200, [PNG[:size]], length=len(PNG), headers=RANGES)


def _part(start: int, body: bytes) -> Reply:
    end = start + len(body) - 1
    return send(206, body, {**RANGES, "Content-Range": f"bytes {start}-{end}/{len(PNG)}"}, content_type="image/png")


def test_a_cut_download_resumes_where_it_broke_off(run_cli, fake_comfy, workflow_file, tmp_path, other_host,
                                                   guarded):
    other_host.on("/file", _cut_at(1000), _part(1000, PNG[1000:]))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("-s", "guarded", "run", workflow_file("W1"), "-o", str(out), "--json", env=guarded)
    assert result.exit_code == 0, result.stderr
    assert (out / "probe" / "empty_00001_.png").read_bytes() == PNG
    first, rest = other_host.seen
    assert "Range" not in first.headers
    assert (rest.headers["Range"], rest.headers["If-Range"]) == ("bytes=1000-", '"v1"')
    # the rest is asked of the server again (a signed link may have expired), credentials to it only
    assert len(sent(fake_comfy, "GET", "/view")) == 2
    assert all("Authorization" not in seen.headers and TOKEN not in seen.path for seen in other_host.seen)


def test_a_range_that_does_not_continue_the_file_is_not_spliced_on(run_cli, fake_comfy, workflow_file, tmp_path,
                                                                    other_host):
    # the second answer has the missing number of bytes, but from the start of the file
    other_host.on("/file", _cut_at(1000), _part(0, PNG[:-1000]), send(200, PNG, RANGES, content_type="image/png"))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert (out / "probe" / "empty_00001_.png").read_bytes() == PNG  # downloaded again in full instead
    assert [seen.headers.get("Range") for seen in other_host.seen] == [None, "bytes=1000-", None]


def _always_cut_after(size: int) -> Reply:
    """Whatever range is asked for, ``size`` bytes of it and then the connection closes."""
    def reply(handler: Handler) -> None:
        asked = handler.headers.get("Range")
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked else 0
        headers = {**RANGES, "Content-Range": f"bytes {start}-{len(PNG) - 1}/{len(PNG)}"} if asked else RANGES
        send_chunks(206 if asked else 200, [PNG[start:start + size]], length=len(PNG) - start,
                    headers=headers)(handler)
    return reply


def test_a_download_whose_resumes_keep_breaking_says_so(run_cli, fake_comfy, workflow_file, tmp_path, other_host):
    other_host.on("/file", _always_cut_after(500))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.UNREACHABLE, result.stderr
    error = result.json()["error"]
    assert "broke off" in error["message"] and "resumed 3 times" in error["message"], error
    assert [seen.headers.get("Range") for seen in other_host.seen[:4]] == [None, "bytes=500-", "bytes=1000-",
                                                                           "bytes=1500-"]
    assert files_in(out) == []


def test_a_read_that_never_answers_ends_at_the_deadline(run_cli, fake_comfy, workflow_file, cli_env):
    config = Path(cli_env["COMFYUI_SKILL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[servers.slow]\nurl = "{fake_comfy.url}"\nread_timeout = 0.3\n')
    fake_comfy.faults.delay_http(r"^/view$", 3600)
    result = run_cli("-s", "slow", "run", workflow_file("W1"), "--json", "--timeout", "3")
    assert result.exit_code in (ExitCode.TIMEOUT, ExitCode.UNREACHABLE), result.stderr
    assert result.json()["error"]["code"] in ("timeout", "unreachable")


def test_bursts_of_502_and_503_are_ridden_out(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.exec_delay = 0.2
    for route in (r"^/api/jobs/", r"^/history/", r"^/queue$", r"^/view$"):
        fake_comfy.faults.fail_http(route, 502, times=2, method="GET")
        fake_comfy.faults.fail_http(route, 503, times=1, method="GET")
    fake_comfy.faults.stall_websocket = True  # so that the client has to poll through the bursts
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", "--timeout", "30", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert files_in(out) == ["probe/empty_00001_.png"]
