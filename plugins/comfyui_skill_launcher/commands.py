"""The handlers of ``comfyui-skill local launch|stop|restart|status|logs``: argparse's namespace
becomes typed values here, the work is done by :mod:`.launch` and :mod:`.control`."""

from __future__ import annotations

import argparse
import time

from comfyui_skill import Context, Event, NotFoundError, Output, Result, UnreachableError, UsageError

from . import control, logfile
from .instances import command, require
from .launch import Launched, LaunchRequest, launch as launch_instance


def _positive(value: float, option: str) -> float:
    if value <= 0:
        raise UsageError(f"{option} must be more than 0 seconds, not {value:g}")
    return value


def launch(ctx: Context, args: argparse.Namespace) -> Result:
    if args.local_port is not None and not 0 < args.local_port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.local_port}")
    request = LaunchRequest(name=args.local_name, path=args.local_path, python=args.local_python,
                            port=args.local_port, cpu=args.local_cpu, manager=args.local_manager,
                            extra=args.local_comfy_args, timeout=_positive(args.local_timeout, "--timeout"),
                            make_default=not args.local_no_default)
    return _launched(launch_instance(ctx, request))


def _launched(launched: Launched, *, stopped: control.Stopped | None = None) -> Result:
    instance = launched.instance
    data = launched.to_json()

    def render(out: Output) -> None:
        if stopped is not None and stopped.outcome != "not_running":
            killed = ", killed" if stopped.outcome == "killed" else ""
            out.line(f"stopped ComfyUI {instance.name!r} (PID {stopped.pid}{killed})")
        version = f" {launched.version}" if launched.version else ""
        out.line(f"ComfyUI{version} {instance.name!r} is running at {instance.url} (PID {instance.pid}), "
                 f"ready after {launched.seconds:.1f} s")
        out.line(f"log: {instance.log}")
        for change in launched.changes:
            out.line(change)

    if stopped is not None:
        data["stopped"] = stopped.to_json()
    return Result(data=data, text=render)


def stop(ctx: Context, args: argparse.Namespace) -> Result:
    grace = _positive(args.local_grace, "--grace")
    results = control.stop_all(grace=grace) if args.local_all else [control.stop(args.local_name, grace=grace)]

    def render(out: Output) -> None:
        if not results:
            out.line("no local ComfyUI is running")
        for result in results:
            if result.outcome == "not_running":
                out.line(f"ComfyUI {result.instance.name!r} is not running")
            else:
                how = "stopped" if result.outcome == "stopped" else f"killed after {grace:g} s"
                out.line(f"ComfyUI {result.instance.name!r} (PID {result.pid}) {how}")

    data = [r.to_json() for r in results] if args.local_all else results[0].to_json()
    return Result(data=data, text=render)


def restart(ctx: Context, args: argparse.Namespace) -> Result:
    stopped, launched = control.restart(ctx, args.local_name, grace=_positive(args.local_grace, "--grace"),
                                        timeout=_positive(args.local_timeout, "--timeout"),
                                        make_default=not args.local_no_default)
    return _launched(launched, stopped=stopped)


def status(ctx: Context, args: argparse.Namespace) -> Result:
    states = control.status(ctx, [args.local_name] if args.local_name else None)
    data = [s.to_json() for s in states]

    def render(out: Output) -> None:
        if not data:
            out.line("no local ComfyUI yet: start one with 'comfyui-skill local launch PATH'")
            return
        rows = [(d["name"], "running" if d["running"] else "stopped", d["pid"], d["port"], _duration(d["uptime"]),
                 d["version"], d["answers"] if d["running"] else None, d["path"], d["log"]) for d in data]
        out.table(rows, ("NAME", "STATE", "PID", "PORT", "UPTIME", "VERSION", "ANSWERS", "PATH", "LOG"),
                  shrink=(7, 8))

    if args.local_name and not (states[0].running and states[0].answers):
        state = states[0]
        why = "is not running" if not state.running else f"runs (PID {state.instance.pid}) but does not answer"
        error = UnreachableError(f"ComfyUI {args.local_name!r} {why}",
                                 hint=f"start it with '{command(args.local_name, 'launch')}'" if not state.running
                                 else f"it may still be starting: see '{command(args.local_name, 'logs')}'")
        return Result(data=data, text=render, exit_code=error.exit_code, error=error)
    return Result(data=data, text=render)


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def logs(ctx: Context, args: argparse.Namespace) -> Result:
    if args.local_lines < 0:
        raise UsageError("-n must be 0 (all) or more")
    if args.local_timeout is not None and not args.local_follow:
        raise UsageError("--timeout only applies with --follow")
    instance = require(args.local_name)
    if not instance.log.exists():
        raise NotFoundError(f"ComfyUI {instance.name!r} has no log yet: it was never launched",
                            hint=f"start it with '{command(instance.name, 'launch')}'")
    lines, end = logfile.tail(instance.log, args.local_lines)
    if not args.local_follow:
        def render(out: Output) -> None:
            for text in lines:
                out.line(text)

        return Result(data={"name": instance.name, "log": str(instance.log), "lines": lines}, text=render)
    followed: list[str] = []

    def show(text: str) -> None:
        """A line as it comes: printed in text mode, a ``log`` event in ndjson mode, kept for JSON."""
        followed.append(text)
        ctx.emit(Event("log", server=instance.name, data={"time": None, "message": text}))
        if ctx.output.is_text:
            ctx.output.line(text)
            ctx.output.stdout.flush()

    for text in lines:
        show(text)
    deadline = None if args.local_timeout is None else time.monotonic() + args.local_timeout
    logfile.follow(instance.log, show, keep_going=instance.is_running, deadline=deadline, start=end)
    ended = not instance.is_running()
    summary = f"ComfyUI {instance.name!r} is not running" if ended else None
    return Result(data={"name": instance.name, "log": str(instance.log), "lines": followed,
                        "running": not ended},
                  text=(lambda out: out.note(summary)) if summary else "")


def forget(ctx: Context, args: argparse.Namespace) -> Result:
    instance = control.forget(args.local_name)
    return Result(data={"name": instance.name, "forgotten": True, "path": instance.path},
                  text=f"forgot ComfyUI {instance.name!r} ({instance.path} and its server in the config stay)")
