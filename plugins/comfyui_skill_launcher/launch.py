"""Starting a local ComfyUI in the background and waiting until it answers.

The logic takes typed values (:class:`LaunchRequest`), not argparse's namespace, so other front
ends (an MCP tool) can call :func:`launch` too.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comfyui_skill import CliError, Context, ServerError, TimeoutExpired, UsageError, make_server

from . import installs, logfile, process, servers
from .diagnosis import explain
from .instances import DEFAULT_NAME, Instance, check_name, command, every, exclusive, load, save
from .progress import StatusLine

DEFAULT_PORT = 8188
DEFAULT_TIMEOUT = 120.0
LOG_TAIL = 15  #: log lines shown when a start fails
#: ComfyUI options the launcher sets itself, refused after ``--``.
OWN_OPTIONS = ("--port",)
#: Environment variables a launched ComfyUI (and the custom nodes it runs) does not need to see.
PRIVATE_ENV_PREFIXES = ("COMFYUI_SKILL_",)
PRIVATE_ENV = frozenset({"COMFY_API_KEY"})


@dataclass
class LaunchRequest:
    """What to launch; ``None`` means "as remembered under ``name``" (else the default)."""

    name: str = DEFAULT_NAME
    path: str | None = None
    python: str | None = None
    port: int | None = None
    cpu: bool | None = None
    manager: bool | None = None
    extra: list[str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    make_default: bool = True


@dataclass
class Launched:
    """A ComfyUI that answers: its record, how long it took, what changed in the config."""

    instance: Instance
    seconds: float
    changes: list[str] = field(default_factory=list)
    version: str | None = None

    def to_json(self) -> dict:
        return {**self.instance.to_json(), "seconds": round(self.seconds, 2), "config_changes": self.changes,
                "version": self.version, "running": True}


def launch(ctx: Context, request: LaunchRequest) -> Launched:
    """Start the ComfyUI ``request`` describes, wait until ``/system_stats`` answers, then make it
    the configured server ``request.name``. A start that fails raises a CliError naming the cause."""
    name = check_name(request.name)
    with exclusive(name):
        known = load(name)
        if known is not None and known.is_running():
            raise UsageError(f"ComfyUI {name!r} is already running (PID {known.pid}, {known.url})",
                             hint=f"restart it with '{command(name, 'restart')}', or start another one with "
                                  "another --name")
        instance = _prepared(ctx, name, request, known)
        servers.check_free(ctx.config, name, str(instance.url))
        return start(ctx, instance, timeout=request.timeout, make_default=request.make_default)


def _prepared(ctx: Context, name: str, request: LaunchRequest, known: Instance | None) -> Instance:
    """The instance to start: the request, completed with what is remembered and what is found."""
    path = request.path or (known.path if known else None)
    if not path:
        raise UsageError(f"which ComfyUI should {name!r} run? give its folder: 'comfyui-skill local launch PATH' "
                         "(it is remembered after the first time)")
    folder = installs.comfyui_folder(path)
    same_folder = known is not None and Path(known.path) == folder
    python = installs.python_for(folder, request.python, known.python if same_folder and known else None)
    extra = list(request.extra if request.extra is not None else (known.extra if known else []))
    _check_extra(extra)
    port = _port(request.port, known)
    return Instance(name=name, path=str(folder), python=str(python), port=port,
                    cpu=_chosen(request.cpu, known.cpu if known else False),
                    manager=_chosen(request.manager, known.manager if known else False),
                    extra=extra, torch=known.torch if same_folder and known else None)


def _chosen(value: bool | None, remembered: bool) -> bool:
    return remembered if value is None else value


def _check_extra(extra: Sequence[str]) -> None:
    for argument in extra:
        option = argument.split("=", 1)[0]
        if option in OWN_OPTIONS:
            raise UsageError(f"give the port with --port before '--', not as {argument!r} after it")


def _port(requested: int | None, known: Instance | None) -> int:
    if requested is not None:
        if not process.port_is_free(requested):
            raise UsageError(f"port {requested} is already in use by another program",
                             hint="choose another --port, or leave --port out to take the first free one")
        return requested
    if known is not None and known.port and process.port_is_free(known.port):
        return known.port  # the same URL as last time: the configured server stays right
    taken = {i.port for i in every() if i.port and i.name != (known.name if known else None) and i.is_running()}
    port = process.first_free_port(DEFAULT_PORT, taken=taken)
    if port is None:
        raise UsageError(f"no free port from {DEFAULT_PORT} to {DEFAULT_PORT + 99}", hint="choose one with --port")
    return port


def command_line(instance: Instance) -> list[str]:
    """How ComfyUI is started: its Python, ``main.py`` and the options."""
    argv = [instance.python, "main.py", "--listen", "127.0.0.1", "--port", str(instance.port)]
    if instance.cpu:
        argv.append("--cpu")
    if instance.manager:
        argv.append("--enable-manager")
    return argv + list(instance.extra)


def child_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment ComfyUI starts with: ours, without this tool's settings and credentials, and
    with unbuffered output so its log is current."""
    kept = {k: v for k, v in environ.items() if not k.startswith(PRIVATE_ENV_PREFIXES) and k not in PRIVATE_ENV}
    return {**kept, "PYTHONUNBUFFERED": "1"}


def start(ctx: Context, instance: Instance, *, timeout: float, make_default: bool) -> Launched:
    """Start a prepared instance (its port checked), record it, and wait until it answers."""
    log = instance.log
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists():
        os.replace(log, log.with_name(log.name + ".1"))  # the previous run's log stays, once
    argv = command_line(instance)
    with open(log, "wb") as handle:
        child = process.spawn(argv, cwd=Path(instance.path), log=handle, env=child_environment(os.environ.copy()))
    info = process.process_info(child.pid)
    instance.pid, instance.started_at = child.pid, time.time()
    instance.process_started = info.started if info else None
    instance.arguments = argv[1:]
    began = time.monotonic()
    try:
        save(instance)  # recorded before the wait: 'local stop' can end it even if this command is cut
        version = _wait_until_ready(ctx, instance, child, timeout)
    except KeyboardInterrupt:
        process.terminate(child.pid, str(instance.process_started), instance.arguments, grace=5.0)
        instance.forget_process()
        save(instance)
        raise
    changes = servers.configure(ctx.config, instance.name, str(instance.url), make_default=make_default,
                                environ=ctx.environ)
    return Launched(instance, time.monotonic() - began, changes, version)


def _wait_until_ready(ctx: Context, instance: Instance, child: subprocess.Popen[bytes], timeout: float) -> str | None:
    """Poll ``/system_stats`` until it answers (returning ComfyUI's version), the process ends or
    ``timeout`` seconds pass."""
    client = ctx.client_for(make_server(f"local:{instance.name}", {"url": instance.url, "kind": "local"}))
    line = StatusLine(ctx.output)
    began = time.monotonic()
    deadline = began + timeout
    try:
        while True:
            exit_code = child.poll()
            if exit_code is not None:
                _failed(ctx, instance, exit_code)
            try:
                stats = client.system_stats()
            except CliError:
                stats = None
            if stats is not None and child.poll() is None:
                system = stats.get("system") if isinstance(stats, dict) else None
                return system.get("comfyui_version") if isinstance(system, dict) else None
            if time.monotonic() >= deadline:
                _timed_out(ctx, instance, timeout)
            last = logfile.last_lines(instance.log, 1)
            line.show(f"starting ComfyUI {instance.name!r} on port {instance.port} "
                      f"({time.monotonic() - began:.0f} s){': ' + last[0].strip() if last else ''}")
            time.sleep(process.POLL_INTERVAL * 2)
    finally:
        line.clear()


def _show_log_tail(ctx: Context, instance: Instance) -> list[str]:
    tail = logfile.last_lines(instance.log, LOG_TAIL)
    if ctx.output.is_text and tail:
        print(f"comfyui-skill: the last lines of {instance.log}:", file=ctx.output.stderr)
        for text in tail:
            print(f"  | {text}", file=ctx.output.stderr)
    return tail


def _failed(ctx: Context, instance: Instance, exit_code: int) -> None:
    tail = _show_log_tail(ctx, instance)
    cause, hint = explain(tail, port=int(instance.port or 0), path=instance.path, python=instance.python)
    instance.forget_process()
    save(instance)
    raise ServerError(f"ComfyUI {instance.name!r} stopped during start-up (exit code {exit_code}): {cause}",
                      hint=hint, details={"log": str(instance.log), "log_tail": tail, "exit_code": exit_code})


def _timed_out(ctx: Context, instance: Instance, waited: float) -> None:
    tail = _show_log_tail(ctx, instance)
    raise TimeoutExpired(f"ComfyUI {instance.name!r} did not answer within {waited:g} s; it is still starting "
                         f"(PID {instance.pid}, port {instance.port})",
                         hint=f"follow it with '{command(instance.name, 'logs')} -f', or end it with "
                              f"'{command(instance.name, 'stop')}'",
                         details={"log": str(instance.log), "log_tail": tail, "pid": instance.pid})
