"""Ctrl-C at every phase of ``run`` (a real child process, a real SIGINT): exit 130, a clear message,
nothing half-written, and only our own prompt touched. Phases are detected from the fake's request log
or the NDJSON events, never from sleeps, and they last until the SIGINT (long fault delays, execution held
by the fake), so that a slow machine cannot let a phase end before the signal lands."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from pathlib import Path

from comfyui_skill import ExitCode

from tests.run.helpers import sent, write_png

from .conftest import CLI, running_prompt, wait_for

LONG = 60.0  # a delay the test never waits out: the SIGINT comes first


def _start(env, fake, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "--url", fake.url, "run", *args, "--output", "ndjson", "--timeout", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _interrupt(process: subprocess.Popen) -> tuple[dict, list[dict]]:
    """SIGINT, then the final NDJSON result and the events before it."""
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED, (stdout, stderr)
    assert "Traceback" not in stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert lines[-1]["error"]["code"] == "interrupted"
    return lines[-1], lines[:-1]


def _read_until(process: subprocess.Popen, event: str) -> None:
    """Read the child's NDJSON events until ``event`` (it blocks there: the fake holds execution)."""
    for line in process.stdout:
        if json.loads(line).get("event") == event:
            return
    raise AssertionError(f"the run ended before the {event!r} event: {process.stderr.read()}")


def _requested(fake, method: str, prefix: str) -> bool:
    return any(r.method == method and r.path.startswith(prefix) for r in fake.requests)


def _no_files(folder: Path) -> bool:
    return not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def _writer_once_read(fifo: Path) -> int | None:
    """Our end of ``fifo``, once the child has opened it for reading (until then: None)."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
            raise
        return None


def _blocked_in_a_pipe_read(process: subprocess.Popen) -> bool:
    """Whether the child sleeps in a FIFO's read (Linux's ``wchan``; elsewhere assumed once it opened it).

    Opening is not enough: a SIGINT landing between ``open`` returning and ``read`` starting is noted by
    Python's C handler but acted on only at the next bytecode check, after the read that never ends."""
    try:
        with open(f"/proc/{process.pid}/wchan") as handle:
            return "pipe_read" in handle.read()
    except FileNotFoundError:
        return True


def _interrupt_while_reading(process: subprocess.Popen, fifo: Path) -> tuple[str, str]:
    """SIGINT once the child reads ``fifo`` (it stays blocked there: we hold the writing end open
    without writing), then its stdout and stderr."""
    writer = wait_for(lambda: _writer_once_read(fifo), f"the child to open {fifo.name}", child=process)
    try:
        wait_for(lambda: _blocked_in_a_pipe_read(process), f"the child to read {fifo.name}", child=process)
        process.send_signal(signal.SIGINT)
        return process.communicate(timeout=30)
    finally:
        os.close(writer)


def test_during_start_up_before_any_request(subprocess_env, fake_comfy, workflow_file, tmp_path):
    """The config file is a FIFO: the child blocks reading it while it loads its plugins, before it has
    sent anything."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    process = subprocess.Popen([*CLI, "--url", fake_comfy.url, "run", workflow_file("W1"), "--json",
                                "-o", str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**subprocess_env, "COMFYUI_SKILL_CONFIG": str(fifo)})
    stdout, stderr = _interrupt_while_reading(process, fifo)
    assert process.returncode == ExitCode.INTERRUPTED, (stdout, stderr)
    assert "Traceback" not in stderr
    assert json.loads(stdout)["error"]["code"] == "interrupted"
    assert fake_comfy.requests == []  # nothing was sent, let alone submitted
    assert _no_files(tmp_path / "out")


def test_while_the_first_modules_load(subprocess_env, tmp_path):
    """Before ``app.run`` (which turns Ctrl-C into exit 130) is even imported: the start-up cache the
    ``--help`` fast path reads is a FIFO, so the child blocks in that very first step."""
    cache = tmp_path / "cache"
    cache.mkdir()
    fifo = cache / "startup-cache.marshal"
    os.mkfifo(fifo)
    env = {k: v for k, v in subprocess_env.items() if k != "COMFYUI_SKILL_NO_CACHE"}
    process = subprocess.Popen([*CLI, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**env, "COMFYUI_SKILL_CACHE_DIR": str(cache)})
    stdout, stderr = _interrupt_while_reading(process, fifo)
    assert process.returncode == ExitCode.INTERRUPTED, (stdout, stderr)
    assert "Traceback" not in stderr and "interrupted" in stderr


def test_before_submit_while_uploading_an_input(subprocess_env, fake_comfy, workflow_file, tmp_path):
    image = write_png(tmp_path / "in.png", (1, 2, 3))
    fake_comfy.faults.delay_http(r"^/upload/image$", LONG, times=1)
    process = _start(subprocess_env, fake_comfy, workflow_file("W2"), "--set", f"10.image={image}",
                     "-o", str(tmp_path / "out"))
    wait_for(lambda: _requested(fake_comfy, "POST", "/upload/image"), "the upload", child=process)
    _interrupt(process)
    assert not sent(fake_comfy, "POST", "/prompt")  # nothing was submitted
    assert _no_files(tmp_path / "out")


def test_while_the_submission_is_in_flight(subprocess_env, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.delay_http(r"^/prompt$", LONG, times=1)
    process = _start(subprocess_env, fake_comfy, workflow_file("W1"), "-o", str(tmp_path / "out"))
    wait_for(lambda: _requested(fake_comfy, "POST", "/prompt"), "the POST /prompt", child=process)
    result, _events = _interrupt(process)
    prompt_id = sent(fake_comfy, "POST", "/prompt")[0].json["prompt_id"]
    # the POST may still be taken by the server: the user is told which prompt to look for
    assert result["error"]["details"]["prompt_id"] == prompt_id
    assert f"status {prompt_id}" in result["error"]["hint"]


def test_while_queued_behind_another_prompt(subprocess_env, run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.hold_execution = True  # the blocker runs until released: ours stays queued
    blocker = run_cli("submit", workflow_file("W1", {"1": {"width": 9}}), "--json", server=fake_comfy)
    blocker_id = blocker.json()["data"]["prompt_id"]
    wait_for(lambda: running_prompt(fake_comfy) == blocker_id, "the blocker to run")
    process = _start(subprocess_env, fake_comfy, workflow_file("W1"), "-o", str(tmp_path / "out"))
    _read_until(process, "queued")
    result, _events = _interrupt(process)
    ours = result["error"]["details"]["prompt_id"]
    assert result["error"]["details"]["cancel"] == "removed"
    assert ours not in [item[1] for item in fake_comfy.queue_snapshot()["queue_pending"]]
    assert not sent(fake_comfy, "POST", "/interrupt")  # the blocker was left alone
    fake_comfy.faults.hold_execution = False
    fake_comfy.wait_idle(20)
    assert blocker_id in fake_comfy.history_ids() and ours not in fake_comfy.history_ids()


def test_while_running(subprocess_env, fake_comfy, workflow_file, tmp_path, journal_lines):
    fake_comfy.faults.hold_execution = True  # the prompt runs until the CLI interrupts it
    process = _start(subprocess_env, fake_comfy, workflow_file("W1"), "-o", str(tmp_path / "out"))
    _read_until(process, "started")  # the CLI knows it runs (the server alone knowing is not enough)
    result, _events = _interrupt(process)
    assert result["error"]["details"]["cancel"] == "interrupted"
    assert journal_lines()[-1]["status"] == "cancelled"
    assert _no_files(tmp_path / "out")


def test_while_downloading(subprocess_env, fake_comfy, workflow_file, tmp_path):
    fake_comfy.faults.delay_http(r"^/view$", LONG, times=1)
    out = tmp_path / "out"
    process = _start(subprocess_env, fake_comfy, workflow_file("W1"), "-o", str(out))
    wait_for(lambda: _requested(fake_comfy, "GET", "/view"), "the download", child=process)
    _interrupt(process)
    assert _no_files(out)  # neither a partial file nor a temporary one is left
