"""What this tool remembers about each local ComfyUI it set up or started, by name.

One JSON file per name in ``data_dir()/local`` (written atomically): the install's folder and
Python, the launch options (so ``launch`` without arguments and ``restart`` start the same thing
again) and, while it runs, the process: PID, the system's start time of that PID, the arguments it
was started with, the port and the log file. The process's log is ``data_dir()/local/NAME.log``.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from comfyui_skill import NotFoundError, UsageError, atomic_write, data_dir, did_you_mean

from . import process

DEFAULT_NAME = "local"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass
class Instance:
    """One named local ComfyUI: where it is installed, how it is launched, and its process if any."""

    name: str
    path: str  #: the ComfyUI folder (the one holding main.py)
    python: str  #: the interpreter that runs it
    port: int | None = None  #: the port it listens (or last listened) on
    cpu: bool = False
    manager: bool = False
    extra: list[str] = field(default_factory=list)  #: further ComfyUI arguments (after ``--``)
    torch: str | None = None  #: the PyTorch choice of ``local install`` (cpu, cuda, rocm, skip)
    pid: int | None = None
    process_started: str | None = None  #: the system's start time of ``pid`` (guards against PID reuse)
    arguments: list[str] = field(default_factory=list)  #: what the process runs after the interpreter
    started_at: float | None = None  #: when it was started (seconds since the epoch)

    @property
    def url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.port else None

    @property
    def log(self) -> Path:
        return log_path(self.name)

    def is_running(self) -> bool:
        """Whether the recorded process is alive and is still the one this tool started."""
        return (self.pid is not None and self.process_started is not None
                and process.same_process(self.pid, self.process_started, self.arguments))

    def uptime(self) -> float | None:
        return None if self.started_at is None else max(time.time() - self.started_at, 0.0)

    def forget_process(self) -> None:
        self.pid = None
        self.process_started = None
        self.arguments = []
        self.started_at = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url, "log": str(self.log)}


def command(name: str, subcommand: str) -> str:
    """How a user types ``local SUBCOMMAND`` for this instance (``--name`` only when not the default)."""
    return f"comfyui-skill local {subcommand}" + ("" if name == DEFAULT_NAME else f" --name {name}")


def state_dir() -> Path:
    return data_dir() / "local"


def log_path(name: str) -> Path:
    return state_dir() / f"{name}.log"


def check_name(name: str) -> str:
    """A name becomes a file name and a server name in the config: letters, digits, '-' and '_'."""
    if not _NAME.match(name):
        raise UsageError(f"{name!r} cannot name a local ComfyUI: use letters, digits, '-' and '_' "
                         "(at most 64, starting with a letter or digit)")
    return name


def load(name: str) -> Instance | None:
    """The instance remembered under ``name``, or None."""
    try:
        raw = json.loads((state_dir() / f"{check_name(name)}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read what was recorded about {name!r} ({state_dir() / name}.json): {exc}",
                         hint="move the file away; the next 'local launch PATH' records it afresh") from None
    known = {f.name for f in fields(Instance)}
    return Instance(**{key: value for key, value in raw.items() if key in known})


def require(name: str) -> Instance:
    """The instance remembered under ``name``; NotFoundError (with the close names) otherwise."""
    found = load(name)
    if found is not None:
        return found
    names = [instance.name for instance in every()]
    hint = did_you_mean(name, names) or ("start one with 'comfyui-skill local launch PATH'" if not names else
                                         f"known: {', '.join(names)}")
    raise NotFoundError(f"no local ComfyUI named {name!r}", hint=hint)


def save(instance: Instance) -> None:
    text = json.dumps({key: value for key, value in asdict(instance).items()}, indent=2) + "\n"
    atomic_write(state_dir() / f"{check_name(instance.name)}.json", text, mode=0o600)


def every() -> list[Instance]:
    """Every remembered instance, by name."""
    folder = state_dir()
    if not folder.is_dir():
        return []
    found = [load(path.stem) for path in sorted(folder.glob("*.json")) if _NAME.match(path.stem)]
    return [instance for instance in found if instance is not None]


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the lock of ``name`` while it is launched, stopped, installed or updated: a second
    command doing the same at the same time is refused instead of racing (two processes on one
    record). The system releases the lock when the holder ends, even if it is killed."""
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{check_name(name)}.lock", "a+b") as handle:
        if not _try_lock(handle.fileno()):
            raise UsageError(f"another comfyui-skill command is starting, stopping or installing {name!r} right now",
                             hint="wait for it to finish, then run this again")
        yield


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows
        return False
    return True
