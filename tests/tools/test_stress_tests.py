"""tools/stress-tests: runs reported one by one, bounded in time, and no CPU burner left behind."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "stress-tests"


def _script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("stress_tests", str(SCRIPT))
    spec = importlib.util.spec_from_loader("stress_tests", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _wait_gone(pids: list[int]) -> None:
    end = time.monotonic() + 30  # a safety net: they end as soon as they notice
    while not all(_gone(pid) for pid in pids):
        assert time.monotonic() < end, f"still running: {[pid for pid in pids if not _gone(pid)]}"
        time.sleep(0.05)


def test_burners_end_with_the_script_even_when_it_is_killed() -> None:
    program = (f"import runpy, time\n"
               f"script = runpy.run_path({str(SCRIPT)!r})\n"
               f"print(*[burner.pid for burner in script['start_burners'](2)], flush=True)\n"
               f"time.sleep(3600)\n")
    parent = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2 and not any(_gone(pid) for pid in pids)
    finally:
        parent.send_signal(signal.SIGKILL)  # no clean-up of its own runs
        parent.wait()
    _wait_gone(pids)


def test_burners_are_stopped() -> None:
    script = _script()
    burners = script.start_burners(2)
    assert all(burner.poll() is None for burner in burners)
    script.stop_burners(burners)
    assert all(burner.returncode is not None for burner in burners)


def test_a_run_past_its_time_is_killed_with_everything_it_started(tmp_path: Path) -> None:
    script = _script()
    pidfile = tmp_path / "pid"
    code, seconds = script.run_bounded(["bash", "-c", f"sleep 3600 & echo $! > {pidfile}; wait"], tmp_path, 1,
                                       tmp_path / "log")
    assert code is None and seconds < 3600
    _wait_gone([int(pidfile.read_text())])


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A checkout whose venv is this one, with a test that passes once and then fails."""
    clone = tmp_path / "clone"
    (clone / ".venv" / "bin").mkdir(parents=True)
    python = clone / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    (clone / "test_twice.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_only_the_first_time():\n"
        "    runs = Path(__file__).with_name('runs')\n"
        "    runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x')\n"
        "    assert runs.read_text() == 'x'\n")
    return clone


def test_each_run_is_reported_with_its_failures(clone: Path, tmp_path: Path, capsys) -> None:
    results = _script().run_suite(clone, tmp_path, 2, ["test_twice.py"], 300)
    assert results == [True, False]
    out = capsys.readouterr().out
    assert "run 1/2: passed in " in out and "run 2/2: FAILED (exit 1) in " in out
    assert "FAILED test_twice.py::test_only_the_first_time" in out
    assert (tmp_path / "run-2.log").is_file()
