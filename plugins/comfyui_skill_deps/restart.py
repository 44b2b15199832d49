"""``deps restart [--wait]``: restart ComfyUI through the Manager (new node packs load on start).

The Manager restarts the process at once, so the request usually gets no answer. With ``--wait``
the command waits until the server has gone away (its WebSocket closes; without one, ``/system_stats``
stops answering) and ``/system_stats`` answers again, then compares ``/object_info`` with before to
report the node classes that appeared.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from comfyui_skill import (AuthError, CliError, ConnectionClosed, Context, Output, RejectedError, Result,
                           ServerError, TimeoutExpired, UnreachableError, new_client_id, plural)

from .manager import ManagerClient
from .runner import SECURITY_HINT, connect

POLL_INTERVAL = 0.2
GONE_WAIT = 5.0
"""Seconds to wait for the old process to stop answering before waiting for the new one."""


def _answers(ctx: Context) -> bool:
    try:
        ctx.client.system_stats()
    except CliError:
        return False
    return True


def _wait_until(ctx: Context, up: bool, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if _answers(ctx) == up:
            return True
        time.sleep(POLL_INTERVAL)
    return False


def _went_away(ctx: Context, events: Any, deadline: float) -> bool:
    """Whether the old process stopped: its socket closes (or, without one, it stops answering)."""
    if events is None:
        return _wait_until(ctx, False, deadline)
    try:
        while time.monotonic() < deadline:
            events.receive(timeout=max(0.0, min(1.0, deadline - time.monotonic())))
    except ConnectionClosed:
        return True
    return False


def _open_events(ctx: Context) -> Any:
    try:
        return ctx.client.open_events(new_client_id())
    except (UnreachableError, AuthError):
        return None


def restart(ctx: Context, args: argparse.Namespace) -> Result:
    manager = connect(ctx)
    before = set(ctx.client.object_info()) if args.deps_wait else set()
    events = _open_events(ctx) if args.deps_wait else None
    started = time.monotonic()
    try:
        if manager.reboot():
            raise RejectedError("the Manager refused to restart ComfyUI (HTTP 403)", hint=SECURITY_HINT)
        return _restarted(ctx, args, manager, before, events, started)
    finally:
        if events is not None:
            events.close()


def _restarted(ctx: Context, args: argparse.Namespace, manager: ManagerClient, before: set[str], events: Any,
               started: float) -> Result:
    data: dict = {"manager": manager.dialect.to_json(), "restarted": True, "waited": args.deps_wait}
    if not args.deps_wait:
        return Result(data=data, text="restart requested; ComfyUI is restarting")
    deadline = started + args.deps_timeout
    went_away = _went_away(ctx, events, min(deadline, started + GONE_WAIT))
    if not went_away:
        return _not_restarted(data, min(args.deps_timeout, GONE_WAIT))
    if not _wait_until(ctx, True, deadline):
        raise TimeoutExpired(f"ComfyUI did not answer again within {args.deps_timeout:g} s of the restart",
                             hint="check the server's console; it may have failed to start")
    new_classes = sorted(set(ctx.client.object_info()) - before)
    data.update(seconds=round(time.monotonic() - started, 2), went_away=went_away, new_classes=new_classes)

    def render(out: Output) -> None:
        out.line(f"ComfyUI is back after {data['seconds']:.1f} s")
        out.line(plural(len(new_classes), "new node class", "new node classes")
                 + (f": {', '.join(new_classes)}" if new_classes else ""))

    return Result(data=data, text=render)


def _not_restarted(data: dict, waited: float) -> Result:
    """The old process still answers: the Manager accepted the request but nothing restarted (yet)."""
    data.update(restarted=False, went_away=False)
    error = ServerError(f"ComfyUI did not restart: the server still answered {waited:g} s after the request",
                        hint="the Manager may have refused without saying so, or be slow to restart; check "
                             "comfyui-skill logs show, then server status")
    return Result(data=data, text="", exit_code=error.exit_code, error=error)
