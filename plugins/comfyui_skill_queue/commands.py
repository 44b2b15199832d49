"""Handlers of ``comfyui-skill queue``.

A queue item is the server's 5-element array ``[number, prompt_id, graph, extra_data, outputs]``;
pending items come in heap order, so they are sorted by ``number`` (lowest runs first).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from comfyui_skill import (CliError, ComfyClient, Context, Event, NotFoundError, Output, RejectedError, Result,
                           ServerError, plural)

Item = Sequence[Any]


def list_queue(ctx: Context, args: argparse.Namespace) -> Result:
    return queue_listing(ctx)


def queue_listing(ctx: Context) -> Result:
    """The running prompt and the pending ones, in the order they will run."""
    running, pending = _snapshot(ctx.client)
    data = {"queue_running": running, "queue_pending": pending}

    def render(out: Output) -> None:
        if not running and not pending:
            out.line(f"the queue of server {ctx.server.name!r} is empty")
            return
        now = time.time()
        rows = [("running", *_columns(item, now)) for item in running]
        rows += [(str(position), *_columns(item, now)) for position, item in enumerate(pending, 1)]
        out.table(rows, ("POS", "PROMPT ID", "CLIENT ID", "AGE", "OUTPUT NODES"), shrink=(4, 2))  # not the prompt id

    return Result(data=data, text=render)


def clear_queue(ctx: Context, args: argparse.Namespace) -> Result:
    _running, pending = _snapshot(ctx.client)
    if not pending:
        return Result(data={"cleared": []}, text="no pending prompts: nothing to clear")
    every = "all " if len(pending) > 1 else ""
    ctx.confirm(f"Remove {every}{plural(len(pending), 'pending prompt')} from server {ctx.server.name!r}?",
                assume_yes=args.yes)
    ctx.client.queue_clear()
    cleared = [item[1] for item in pending]
    return Result(data={"cleared": cleared},
                  text=f"removed {plural(len(cleared), 'pending prompt')} (the running one continues)")


def delete_prompts(ctx: Context, args: argparse.Namespace) -> Result:
    running, pending = _snapshot(ctx.client)
    wanted = list(dict.fromkeys(args.queue_ids))
    pending_ids = {item[1] for item in pending}
    running_ids = {item[1] for item in running}
    deleted = [i for i in wanted if i in pending_ids]
    if deleted:
        ctx.client.queue_delete(deleted)
    data = {"deleted": deleted, "running": [i for i in wanted if i in running_ids],
            "not_found": [i for i in wanted if i not in pending_ids | running_ids]}
    lines = [f"deleted {i}" for i in deleted]
    lines += [f"not deleted {i}: it is running (interrupt it instead)" for i in data["running"]]
    lines += [f"not deleted {i}: not in the queue" for i in data["not_found"]]
    result = Result(data=data, text="\n".join(lines))
    if data["running"] or data["not_found"]:
        missed = data["running"] + data["not_found"]
        error_type = RejectedError if data["running"] else NotFoundError
        result.error = error_type(f"{len(missed)} of {plural(len(wanted), 'prompt')} "
                                  f"{'was' if len(missed) == 1 else 'were'} not pending: {', '.join(missed)}",
                                  details=data)
        result.exit_code = result.error.exit_code
    return result


def move_to_front(ctx: Context, args: argparse.Namespace) -> Result:
    client, prompt_id = ctx.client, args.queue_id
    running, pending = _snapshot(client)
    if any(item[1] == prompt_id for item in running):
        raise RejectedError(f"prompt {prompt_id} is already running")
    item = next((item for item in pending if item[1] == prompt_id), None)
    if item is None:
        raise NotFoundError(f"prompt {prompt_id} is not pending on server {ctx.server.name!r}",
                            hint="see 'comfyui-skill queue list'")
    if item is pending[0]:
        return Result(data={"prompt_id": prompt_id, "moved": False, "state": "first"},
                      text=f"prompt {prompt_id} is already the next to run")
    client.queue_delete([prompt_id])
    state = _state_after_delete(client, prompt_id)
    if state != "removed":  # it started (or even finished) before the delete: never run it twice
        return Result(data={"prompt_id": prompt_id, "moved": False, "state": state},
                      text=f"prompt {prompt_id} was not moved: it is {state} already")
    _number, _id, graph, extra_data, outputs = item[:5]
    try:
        answer = client.submit(graph, prompt_id=prompt_id, client_id=(extra_data or {}).get("client_id"),
                               extra_data=extra_data, front=True, partial_execution_targets=outputs)
    except CliError as exc:
        raise ServerError(f"prompt {prompt_id} was removed from the queue but could not be submitted again: "
                          f"{exc.message}", hint="resubmit it from the graph in the error details (--json)",
                          details={"prompt_id": prompt_id, "prompt": graph, "extra_data": extra_data,
                                   "outputs": outputs}) from None
    ctx.emit(Event("queued", prompt_id=prompt_id, server=ctx.server.name,
                   data={"number": answer.get("number"), "position": 1}))
    return Result(data={"prompt_id": prompt_id, "moved": True, "state": "pending", "number": answer.get("number")},
                  text=f"prompt {prompt_id} is now the next to run")


def _state_after_delete(client: ComfyClient, prompt_id: str) -> str:
    running, pending = _snapshot(client)
    if any(item[1] == prompt_id for item in running):
        return "running"
    if any(item[1] == prompt_id for item in pending):
        raise ServerError(f"the server did not remove prompt {prompt_id} from its queue; it was left in place")
    return "finished" if client.history(prompt_id) else "removed"


def _snapshot(client: ComfyClient) -> tuple[list[Item], list[Item]]:
    queue = client.queue()
    pending = sorted(queue.get("queue_pending") or [], key=lambda item: item[0])
    return list(queue.get("queue_running") or []), pending


def _columns(item: Item, now: float) -> tuple[Any, ...]:
    _number, prompt_id, graph, extra_data, outputs = item[:5]
    created = (extra_data or {}).get("create_time")
    nodes = [f"{node}:{(graph or {}).get(node, {}).get('class_type', '?')}" for node in outputs or []]
    return prompt_id, (extra_data or {}).get("client_id"), _age(now - created / 1000) if created else None, \
        " ".join(nodes)


def _age(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
