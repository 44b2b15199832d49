"""Stopping, restarting and checking the local ComfyUIs this tool started (typed values in, so an
MCP tool can call them as the command line does)."""

from __future__ import annotations

from dataclasses import dataclass

from comfyui_skill import CliError, Context, UsageError, make_server

from . import installs, process, servers
from .instances import Instance, command, every, exclusive, require, save, state_dir
from .launch import DEFAULT_PORT, Launched, start

DEFAULT_GRACE = 10.0  #: seconds a process has to end after it was asked, before it is forced


@dataclass
class Stopped:
    instance: Instance
    outcome: str  #: stopped (it ended when asked), killed (forced), not_running (nothing to do)
    pid: int | None = None

    def to_json(self) -> dict:
        return {"name": self.instance.name, "outcome": self.outcome, "pid": self.pid, "port": self.instance.port}


def stop(name: str, *, grace: float = DEFAULT_GRACE) -> Stopped:
    """End the process recorded under ``name``, gracefully first. A process that is not the recorded
    one (its PID reused by another program) is never signalled."""
    require(name)  # an unknown name is reported before any lock file is made for it
    with exclusive(name):
        return _stop(name, grace)


def _stop(name: str, grace: float) -> Stopped:
    instance = require(name)
    pid = instance.pid
    if pid is None or instance.process_started is None:
        return Stopped(instance, "not_running")
    outcome = process.terminate(pid, instance.process_started, instance.arguments, grace=grace)
    instance.forget_process()
    save(instance)
    return Stopped(instance, "not_running" if outcome == "gone" else outcome, pid)


def stop_all(*, grace: float = DEFAULT_GRACE) -> list[Stopped]:
    """Stop every instance that has a recorded process."""
    return [stop(instance.name, grace=grace) for instance in every() if instance.pid is not None]


def restart(ctx: Context, name: str, *, grace: float = DEFAULT_GRACE, timeout: float,
            make_default: bool = True) -> tuple[Stopped, Launched]:
    """Stop ``name`` (if it runs) and start it again with the same folder, Python, port and options."""
    require(name)
    with exclusive(name):
        return _restart(ctx, name, grace, timeout, make_default)


def _restart(ctx: Context, name: str, grace: float, timeout: float, make_default: bool) -> tuple[Stopped, Launched]:
    stopped = _stop(name, grace)
    instance = stopped.instance
    installs.comfyui_folder(instance.path)  # still there?
    if instance.port is None or not process.port_is_free(instance.port):
        instance.port = process.first_free_port(DEFAULT_PORT)
        if instance.port is None:
            raise UsageError(f"no free port from {DEFAULT_PORT}", hint="launch it with --port")
    servers.check_free(ctx.config, name, str(instance.url))
    return stopped, start(ctx, instance, timeout=timeout, make_default=make_default)


def forget(name: str) -> Instance:
    """Drop what is remembered about ``name`` (its record and logs), refused while it runs. Its
    ComfyUI folder and its server in the config file stay."""
    require(name)  # an unknown name is reported before any lock file is made for it
    with exclusive(name):
        instance = require(name)
        if instance.is_running():
            raise UsageError(f"ComfyUI {name!r} is running (PID {instance.pid}); stop it first",
                             hint=f"'{command(name, 'stop')}'")
        for path in state_dir().glob(f"{name}.*"):
            if path.suffix != ".lock":
                path.unlink()
    return instance


@dataclass
class Status:
    instance: Instance
    running: bool
    answers: bool
    version: str | None

    def to_json(self) -> dict:
        uptime = self.instance.uptime() if self.running else None
        data = self.instance.to_json()
        data.update(running=self.running, answers=self.answers, version=self.version,
                    uptime=None if uptime is None else round(uptime, 1))
        if not self.running:
            data.update(pid=None, process_started=None, arguments=[], started_at=None)
        return data


def status(ctx: Context, names: list[str] | None = None) -> list[Status]:
    """The state of the named instances (default: every one remembered)."""
    chosen = [require(name) for name in names] if names else every()
    return [_status(ctx, instance) for instance in chosen]


def _status(ctx: Context, instance: Instance) -> Status:
    running = instance.is_running()
    version = None
    answers = False
    if running and instance.url:
        client = ctx.client_for(make_server(f"local:{instance.name}", {"url": instance.url, "kind": "local"}))
        try:
            system = client.system_stats().get("system") or {}
        except (CliError, AttributeError):
            pass
        else:
            answers = True
            version = system.get("comfyui_version") if isinstance(system, dict) else None
    return Status(instance, running, answers, version)
