"""The operating system's side of a launched ComfyUI: starting it detached, recognising it again
later, and ending it.

A PID alone is no proof: once the process has ended the system may give its number to any other
program. A launched process is therefore recorded with its start time and command line, and is
only ever signalled when all three still match (:func:`same_process`).

What differs between systems:

* **Linux**: start time and command line are read from ``/proc/PID``; the process gets its own
  session (``start_new_session``), so stopping it signals its whole process group (its children
  too): SIGTERM first, SIGKILL after the grace period.
* **macOS and the BSDs**: the same signals; start time and command line come from ``ps -o
  lstart=,command=`` (one second resolution, the command line as one string).
* **Windows**: the process starts in a new process group without a console window; it is asked to
  stop with CTRL_BREAK_EVENT, then ended with TerminateProcess; start time and command line come
  from ``Get-CimInstance Win32_Process`` (PowerShell). ``os.kill(pid, 0)`` would *terminate* a
  process there, so liveness is never tested with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import IO

POLL_INTERVAL = 0.1  #: seconds between two looks at a process that is ending or starting


class ProcessInfo:
    """What identifies a running process besides its PID: when it started and what it runs."""

    def __init__(self, started: str, command: Sequence[str] | str) -> None:
        self.started = started
        self.command = command

    def runs(self, arguments: Sequence[str]) -> bool:
        """Whether its command line ends with ``arguments`` (what follows the interpreter, which may
        be a link or a wrapper that re-executes the real one under another name)."""
        if isinstance(self.command, str):
            return self.command.rstrip().endswith(" ".join(arguments))
        return list(self.command[-len(arguments):]) == list(arguments) if arguments else True


def spawn(command: Sequence[str], *, cwd: Path, log: IO[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``command`` in the background, detached from this terminal, writing to ``log``."""
    options: dict = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
    else:
        options["start_new_session"] = True  # Ctrl-C in this terminal no longer reaches it
    return subprocess.Popen(list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            env=env, close_fds=True, **options)


def process_info(pid: int) -> ProcessInfo | None:
    """The start time and command line of a living process, or None (gone, a zombie, not ours to see)."""
    _reap(pid)
    if sys.platform.startswith("linux"):
        return _linux_info(pid)
    if sys.platform == "win32":
        return _windows_info(pid)
    return _ps_info(pid)


def same_process(pid: int, started: str, arguments: Sequence[str]) -> bool:
    """Whether ``pid`` is still the process that was recorded (same start time, same arguments)."""
    info = process_info(pid)
    return info is not None and info.started == started and info.runs(arguments)


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own finished child (the CLI run in-process by a
    test, or ``restart``), so it does not linger as a zombie that still looks alive."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _linux_info(pid: int) -> ProcessInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": the comm may hold spaces
    if fields[0] in ("Z", "X"):
        return None
    command = [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]]
    return ProcessInfo(started=fields[19], command=command)  # field 22: start time in clock ticks


def _ps_info(pid: int) -> ProcessInfo | None:
    try:
        line = subprocess.run(["ps", "-o", "stat=,lstart=,command=", "-p", str(pid)], capture_output=True,
                              text=True, check=False).stdout.strip()
    except OSError:
        return None
    parts = line.split(None, 6)  # stat, then lstart's five words ("Thu Dec  3 08:03:59 2026"), then the command
    if len(parts) < 7 or parts[0].startswith("Z"):
        return None
    return ProcessInfo(started=" ".join(parts[1:6]), command=parts[6])


def _windows_info(pid: int) -> ProcessInfo | None:
    import json

    script = (f"Get-CimInstance Win32_Process -Filter 'ProcessId={int(pid)}' | "
              "Select-Object CommandLine,@{n='Started';e={$_.CreationDate.ToString('o')}} | ConvertTo-Json")
    try:
        out = subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script],
                             capture_output=True, text=True, check=False).stdout.strip()
        found = json.loads(out) if out else None
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not found.get("Started"):
        return None
    return ProcessInfo(started=str(found["Started"]), command=str(found.get("CommandLine") or ""))


def terminate(pid: int, started: str, arguments: Sequence[str], *, grace: float) -> str:
    """End the recorded process: ask it to stop, wait up to ``grace`` seconds, then force it.

    Returns ``"stopped"`` (it ended when asked), ``"killed"`` (it had to be forced) or ``"gone"``
    (it was no longer running: nothing was signalled). Whatever is not the recorded process (a
    reused PID) is never signalled.
    """
    def alive() -> bool:
        return same_process(pid, started, arguments)

    if not alive():
        return "gone"
    _signal(pid, force=False)
    if wait_for(lambda: not alive(), grace):
        return "stopped"
    if alive():
        _signal(pid, force=True)
    wait_for(lambda: not alive(), max(grace, 5.0))
    return "killed"


def _signal(pid: int, *, force: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sys.platform == "win32":
            os.kill(pid, signal.SIGTERM if force else signal.CTRL_BREAK_EVENT)  # SIGTERM: TerminateProcess
        elif _leads_group(pid):
            os.killpg(pid, signal.SIGKILL if force else signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGKILL if force else signal.SIGTERM)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Check ``condition`` until it holds or ``timeout`` seconds have passed; whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (binding as ComfyUI's aiohttp would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def first_free_port(start: int, *, taken: Collection[int] = (), host: str = "127.0.0.1",
                    tries: int = 100) -> int | None:
    """The first port from ``start`` that is free and not in ``taken``, or None after ``tries`` ports."""
    for port in range(start, min(start + tries, 65536)):
        if port not in taken and port_is_free(port, host):
            return port
    return None
