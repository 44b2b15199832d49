"""Disk full while an output is written: a clear 'io' error (exit 1), no partial or temporary file.

Two real ways to run out of room, no mocking: a tiny tmpfs (needs ``mount``, i.e. root; skipped
otherwise) and RLIMIT_FSIZE on a CLI child process (any POSIX user; writes fail with EFBIG)."""

from __future__ import annotations

import contextlib
import json
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from comfyui_skill import ExitCode

from tests.core.scripted_server import ScriptedServer, send

from .conftest import CLI

BIG = 256 * 1024
ROOM = 64 * 1024


@pytest.fixture
def big_output(fake_comfy):
    """Every /view of the fake redirects to a host serving BIG bytes."""
    with ScriptedServer() as storage:
        storage.on("/big", send(200, b"\x89PNG" + b"\x07" * BIG, content_type="image/png"))
        fake_comfy.faults.redirect(r"^/view$", storage.url("/big"))
        yield


@pytest.fixture
def tiny_disk(tmp_path):
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={ROOM}", "tmpfs", str(mountpoint)], check=True,
                       capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot mount a tmpfs here (not root?); the RLIMIT_FSIZE test covers disk full")
    yield mountpoint
    with contextlib.suppress(subprocess.SubprocessError):
        subprocess.run(["umount", str(mountpoint)], check=True, capture_output=True, timeout=10)


def _assert_clean_io_error(code: int, envelope: dict, folder: Path) -> None:
    assert code == ExitCode.ERROR
    assert envelope["error"]["code"] == "io"
    assert "cannot write" in envelope["error"]["message"]
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(run_cli, fake_comfy, workflow_file, tiny_disk, big_output):
    out = tiny_disk / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", server=fake_comfy)
    _assert_clean_io_error(result.exit_code, result.json(), tiny_disk)
    assert "No space left" in result.json()["error"]["message"]


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (ROOM, ROOM))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us


def test_a_file_size_limit_is_a_clear_error_and_leaves_nothing(subprocess_env, fake_comfy, workflow_file, tmp_path,
                                                               big_output):
    out = tmp_path / "out"
    done = subprocess.run([*CLI, "--url", fake_comfy.url, "run", workflow_file("W1"), "-o", str(out), "--json"],
                          capture_output=True, text=True, env=subprocess_env, preexec_fn=_limit_file_size,
                          timeout=60)
    assert "Traceback" not in done.stderr
    _assert_clean_io_error(done.returncode, json.loads(done.stdout), out)
