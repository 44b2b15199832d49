"""Hostile or broken servers, end to end through the CLI: HTML and non-JSON answers, oversized bodies and
downloads, endless responses, oversized WebSocket frames, redirects to other hosts, hostile file names.
Nothing is written outside the output folder, memory stays bounded, no credential reaches another host,
every failure is a message and an exit code."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from pathlib import Path

import pytest

from comfyui_skill import ExitCode, ServerError, save_stream, safe_relative_path

from tests.core.scripted_server import send, send_chunks

from .conftest import PNG, files_in, wait_for

MiB = 1024 * 1024


def test_an_endless_download_stops_at_the_deadline_and_leaves_nothing(run_cli, fake_comfy, workflow_file,
                                                                     tmp_path, other_host):
    # 30 s of body or more (finite, so that without the deadline the run would succeed instead of hanging);
    # the deadline leaves a loaded machine 6 s to reach the download, which an idle one does in a fraction
    other_host.on("/file", send_chunks(200, itertools.repeat(b"x" * 65536, 600), delay=0.05))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", "--timeout", "6", server=fake_comfy)
    assert result.exit_code == ExitCode.TIMEOUT, result.stderr
    assert "still going at the deadline" in result.json()["error"]["message"]
    assert files_in(out) == []  # no partial file, no temporary file


def test_a_download_announcing_more_than_the_cap_is_refused_before_writing(run_cli, fake_comfy, workflow_file,
                                                                           tmp_path, other_host):
    other_host.on("/file", send_chunks(200, [PNG], length=5 * 1024 ** 3))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.SERVER_ERROR, result.stderr
    assert "larger than the 4.0 GiB a file may have (announced as 5.0 GiB)" in result.json()["error"]["message"]
    assert len(other_host.seen) == 1  # not retried
    assert files_in(out) == []


def test_the_cap_is_a_server_setting(run_cli, fake_comfy, workflow_file, tmp_path):
    assert run_cli("server", "add", "small", fake_comfy.url).exit_code == 0
    out = tmp_path / "out"
    assert run_cli("config", "set", "servers.small.max_download_gib", "0.0000001").exit_code == 0  # 107 bytes
    refused = run_cli("-s", "small", "run", workflow_file("W1"), "-o", str(out), "--json")
    assert refused.exit_code == ExitCode.SERVER_ERROR, refused.stderr
    error = refused.json()["error"]
    assert "larger than the 107 B a file may have" in error["message"] and "max_download_gib" in error["hint"]
    assert files_in(out) == []
    assert run_cli("config", "set", "servers.small.max_download_gib", "1").exit_code == 0
    assert run_cli("-s", "small", "run", workflow_file("W1"), "-o", str(out), "--json").exit_code == 0
    assert len(files_in(out)) == 1
    nonsense = run_cli("-s", "small", "run", workflow_file("W1"), "-o", str(out), "--json",
                       env={"COMFYUI_SKILL_SERVER_SMALL_MAX_DOWNLOAD_GIB": "-1"})
    assert nonsense.exit_code == ExitCode.CONFIG and "max_download_gib" in nonsense.json()["error"]["message"]
    assert len(fake_comfy.history_ids()) == 2  # refused before submitting anything


def test_a_file_that_keeps_coming_stops_at_the_cap(tmp_path):
    with pytest.raises(ServerError, match="larger than the 1.0 MiB a file may have .it kept coming."):
        save_stream(itertools.repeat(b"x" * 1000), tmp_path, safe_relative_path("", "endless.png"),
                    max_bytes=1024 * 1024)
    assert files_in(tmp_path) == []


def test_api_redirect_to_another_host_is_refused_without_sending_the_token(run_cli, fake_comfy, other_host,
                                                                           guarded):
    other_host.on("/queue", send(200, b'{"queue_running": [], "queue_pending": []}'))
    fake_comfy.faults.redirect(r"^/queue$", other_host.url("/queue"))
    result = run_cli("-s", "guarded", "queue", "list", "--json", env=guarded)
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert "redirected" in result.json()["error"]["message"]
    assert other_host.seen == []


@pytest.mark.parametrize("body, content_type, said", [
    ("<!doctype html><html><body>ComfyUI frontend</body></html>", "text/html",
     "does not look like a ComfyUI server: /prompt answered a web page (HTML) where ComfyUI answers JSON"),
    ("not json at all {", "text/plain", "where JSON was expected"),
    ("", "application/json", "where JSON was expected"),
])
def test_a_200_that_is_not_json_is_a_clear_server_error(run_cli, fake_comfy, workflow_file, body, content_type,
                                                        said):
    fake_comfy.faults.respond_raw(r"^/prompt$", 200, body, content_type)
    result = run_cli("run", workflow_file("W1"), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert said in result.json()["error"]["message"]
    assert "Traceback" not in result.stderr


def test_html_catch_all_on_every_route(run_cli, fake_comfy):
    fake_comfy.faults.respond_raw(r".", 200, "<html><body>SPA</body></html>", "text/html")
    for command in (["queue", "list"], ["server", "status"], ["models", "list"], ["nodes", "list"]):
        result = run_cli(*command, "--json", server=fake_comfy)
        assert result.exit_code != 0, command
        assert result.json()["ok"] is False and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_body_over_the_cap_is_refused(run_cli, fake_comfy):
    fake_comfy.faults.respond_raw(r"^/queue$", 200, b"[" + b" " * (65 * 1024 * 1024), "application/json")
    result = run_cli("queue", "list", "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert "refusing to read further" in result.json()["error"]["message"]


@pytest.mark.parametrize("size, binary", [(200 * MiB, False), (2 ** 62, True)], ids=["200MiB-text", "endless-binary"])
def test_an_oversized_websocket_frame_is_refused_unread_and_the_run_polls(run_cli, fake_comfy, workflow_file,
                                                                          tmp_path, in_background, size, binary):
    fake_comfy.faults.send_oversized_websocket_frame(size, binary)  # on every socket, reconnections too
    fake_comfy.faults.hold_execution = True  # until the client polls: it must give up the socket first

    def polled_after_the_fifth_socket() -> bool:
        paths = [r.path for r in fake_comfy.requests]
        sockets = [n for n, path in enumerate(paths) if path == "/ws"]
        return len(sockets) >= 5 and sum(p.startswith("/api/jobs/") for p in paths[sockets[4]:]) >= 2

    def release() -> None:
        wait_for(polled_after_the_fifth_socket, "a poll after the fifth socket")
        fake_comfy.faults.hold_execution = False
    in_background(release)
    out = tmp_path / "out"
    tracemalloc.start()  # the CLI runs in this process: its peak allocation is measured here
    try:
        result = run_cli("run", workflow_file("W1"), "-o", str(out), "--output", "ndjson", "--timeout", "30",
                         server=fake_comfy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.stderr
    assert files_in(out) == ["probe/empty_00001_.png"]
    assert peak < 16 * MiB
    reasons = [event["reason"] for event in result.ndjson() if event.get("event") == "retry"]
    assert "more than the 128.0 MiB accepted" in reasons[0], reasons
    # a socket that never delivers a message is given up after a few tries: no reconnection storm
    assert reasons[-1].startswith("WebSocket keeps closing") and reasons[-1].endswith("polling the server")
    assert len([r for r in fake_comfy.requests if r.path == "/ws"]) == 5


def test_an_endless_chunked_answer_stops_at_the_cap(run_cli, other_host):
    other_host.on("/queue", send_chunks(200, itertools.repeat(b" " * 65536)))
    result = run_cli("--url", other_host.url(), "queue", "list", "--json")
    assert result.exit_code == ExitCode.SERVER_ERROR
    assert "refusing to read further" in result.json()["error"]["message"]


def test_a_json_answer_shorter_than_its_content_length_is_a_clear_error(run_cli, other_host):
    other_host.on("/queue", send_chunks(200, [b'{"queue_running": ['], length=10 ** 9))
    result = run_cli("--url", other_host.url(), "queue", "list", "--json")
    assert result.exit_code == ExitCode.UNREACHABLE, result.stderr
    assert "the connection was dropped" in result.json()["error"]["message"]
    assert "Traceback" not in result.stderr


def _finished_prompt(run_cli, fake_comfy, workflow_file) -> str:
    prompt_id = run_cli("submit", workflow_file("W1"), "--json", server=fake_comfy).json()["data"]["prompt_id"]
    fake_comfy.wait_idle(20)
    return prompt_id


HOSTILE_NAMES = [("../../escape.png", ""), ("x.png", "../../.."), ("/etc/abs.png", "/abs"),
                 ("nul\x00byte.png", "sub\x00dir"), ("C:\\win\\drive.png", ""), ("exists.png", ""),
                 ("..", ".."), ("CON", "")]


def test_hostile_file_names_stay_inside_the_output_folder(run_cli, fake_comfy, workflow_file, tmp_path, other_host):
    prompt_id = _finished_prompt(run_cli, fake_comfy, workflow_file)
    images = [{"filename": name, "subfolder": sub, "type": "output"} for name, sub in HOSTILE_NAMES]
    entry = {prompt_id: {"prompt": [], "outputs": {"2": {"images": images}},
                         "status": {"status_str": "success", "completed": True, "messages": []}}}
    fake_comfy.faults.respond_raw(rf"^/history/{prompt_id}$", 200, json.dumps(entry), "application/json")
    other_host.on("/file", send(200, PNG, content_type="image/png"))
    fake_comfy.faults.redirect(r"^/view$", other_host.url("/file"))
    work = tmp_path / "work"
    out = work / "out"
    out.mkdir(parents=True)
    (out / "exists.png").write_bytes(b"mine")
    result = run_cli("wait", prompt_id, "--download", "-o", str(out), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    saved = [Path(item["path"]) for item in result.json()["data"]["outputs"]]
    assert len(saved) == len(HOSTILE_NAMES)
    assert all(out.resolve() in path.resolve().parents for path in saved)
    inside = {str(path.resolve().relative_to(work.resolve())) for path in saved}
    assert files_in(work) == sorted(inside | {"out/exists.png"})  # nothing anywhere else under work/
    assert (out / "exists.png").read_bytes() == b"mine"  # never overwritten
    assert all("\x00" not in str(path) for path in saved)
    assert not (tmp_path / "escape.png").exists() and not Path("/etc/abs.png").exists()
