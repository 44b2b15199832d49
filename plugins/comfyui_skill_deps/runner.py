"""Running planned items through the Manager in the right order, and the report of what happened.

Order (as the Manager's own UI does it): socket first (4.x sends results only to our client id),
``queue/status`` (never disturb a busy worker), ``queue/reset``, enqueue everything, then
``queue/start`` (a worker started on an empty queue exits at once), then follow each item.
"""

from __future__ import annotations

import time
from typing import Any

from comfyui_skill import (AuthError, CliError, Context, ExecutionFailed, ExitCode, NotFoundError, Output,
                           RejectedError, Result, ServerError, TimeoutExpired, UnreachableError, new_client_id,
                           plural)

from .dialect import Dialect, detect
from .follow import Follower
from .items import Item
from .manager import ManagerClient

SECURITY_HINT = (
    "the Manager refused for security reasons. Its policy lives in ComfyUI-Manager's config.ini "
    "([default] security_level: installs need 'normal' or lower, git URLs and pip need 'weak', or 'normal-' "
    "with ComfyUI listening on a loopback address; Manager 4 also refuses installs when ComfyUI listens "
    "beyond loopback unless network_mode = personal_cloud; Manager 3 needs allow_git_url_install = True "
    "for git URLs). Change it with ComfyUI stopped, then start ComfyUI again; comfyui-skill does not work "
    "around it")
RESTART_NOTE = "restart ComfyUI to load it: comfyui-skill deps restart --wait"


def connect(ctx: Context) -> ManagerClient:
    """The Manager of the selected server, in its dialect (NotFoundError when it has none)."""
    return ManagerClient(ctx.client, detect(ctx.client), new_client_id())


def execute(ctx: Context, manager: ManagerClient, items: list[Item], timeout: float) -> None:
    """Queue every planned item, start the queue and follow each to a result (or the deadline)."""
    todo = [item for item in items if item.status == "planned"]
    if not todo:
        return
    deadline = time.monotonic() + timeout
    events = _open_events(ctx, manager)
    try:
        if manager.status().get("is_processing"):
            raise RejectedError("the Manager is busy with other work; nothing was queued",
                                hint="try again when its queue is empty")
        manager.reset()
        for item in todo:
            manager.enqueue(item)
            if item.status == "failed":
                ctx.output.note(f"{item.label}: {item.reason}")
        if any(item.status == "queued" for item in todo):
            manager.start()
            Follower(manager, todo, events, ctx.output).run(deadline)
    finally:
        if events is not None:
            events.close()
    for item in todo:
        if not item.finished:
            item.fail(f"no result within {timeout:g} s (it may still be running on the server)", denied=False)
            item.status = "timed out"


def _open_events(ctx: Context, manager: ManagerClient) -> Any:
    try:
        return ctx.client.open_events(manager.client_id)
    except (UnreachableError, AuthError) as exc:
        ctx.output.note(f"no WebSocket ({exc.message}); following the Manager's queue instead")
        return None


def report(dialect: Dialect, items: list[Item], extra: dict[str, Any] | None = None, *,
           all_skipped_fails: bool = False) -> Result:
    """The final table, the per-item JSON, and a non-zero exit when anything failed (or, with
    ``all_skipped_fails``, when every item was skipped: nothing was done)."""
    restart = any(item.status in ("installed", "enabled", "updated", "uninstalled", "disabled")
                  and not item.is_model for item in items)
    data = {"manager": dialect.to_json(), "items": [item.to_json() for item in items], "restart_needed": restart,
            **(extra or {})}
    error = _error(items)
    if error is None and all_skipped_fails and items and all(item.status == "skipped" for item in items):
        error = NotFoundError(f"nothing was installed: {plural(len(items), 'item')} skipped",
                              hint="the REASON column (\"reason\" in --json) says what each one needs")

    def render(out: Output) -> None:
        if items:
            out.table([(item.kind, item.name, item.status, item.reason or "") for item in items],
                      ("KIND", "NAME", "STATUS", "REASON"), shrink=(3, 1))
        else:
            out.line("nothing to do")
        if restart:
            out.line(RESTART_NOTE)

    return Result(data=data, text=render, exit_code=error.exit_code if error else ExitCode.OK, error=error)


def _error(items: list[Item]) -> CliError | None:
    """The error of items that failed or timed out (None when none did)."""
    failed = [item for item in items if item.status in ("failed", "timed out")]
    if not failed:
        return None
    cls = (TimeoutExpired if any(item.status == "timed out" for item in failed)
           else ServerError if any(item.server_error for item in failed) else ExecutionFailed)
    return cls(f"{len(failed)} of {plural(len(items), 'item')} failed",
               hint=SECURITY_HINT if any(item.denied for item in items) else None,
               details={"failed": [item.to_json() for item in failed]})
