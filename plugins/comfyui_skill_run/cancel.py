"""``cancel``: each prompt, and only that one, is interrupted if it runs and removed if it waits."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from comfyui_skill import ComfyClient, Context, NotFoundError, Output, Result, UnreachableError, UsageError

from . import journal
from .lookup import lookup
from .state import JobState, probe

#: What ``cancel`` did with each prompt (the ``result`` of its JSON rows), in words.
OUTCOMES = {"interrupted": "interrupted (it was running)", "removed": "removed from the queue",
            "already_finished": "not cancelled: it had already finished", "not_found": "not cancelled: unknown"}


def cancel(ctx: Context, args: argparse.Namespace) -> Result:
    if args.cancel_all:
        return _cancel_everything(ctx, args)
    if not args.prompt_ids:
        raise UsageError("name the prompts to cancel (or --all for everything on the server)")
    return cancel_prompts(ctx, args.prompt_ids)


def cancel_prompts(ctx: Context, prompt_ids: Sequence[str]) -> Result:
    """Cancel each prompt, and only it; not_found (exit 7) when none of them was active.

    Waiting prompts are removed before running ones are interrupted: once a running prompt is
    interrupted the server starts the next, which would then be interrupted rather than removed."""
    targets = [lookup(ctx, given) for given in prompt_ids]
    states = [probe(client, prompt_id) for prompt_id, _record, client in targets]
    results: list[dict[str, Any]] = [{} for _ in targets]
    for index in sorted(range(len(targets)), key=lambda i: states[i].status == "running"):
        results[index] = _cancel_one(*targets[index], states[index])

    def render(out: Output) -> None:
        for item in results:
            finished = f" ({item['status']})" if item.get("status") else ""
            out.line(f"{item['prompt_id']}  {OUTCOMES[item['result']]}{finished}")

    if not any(item["result"] in ("interrupted", "removed") for item in results):
        error = NotFoundError("nothing was cancelled: " + "; ".join(
            f"{item['prompt_id']} {'had already finished' if item['result'] == 'already_finished' else 'is unknown'}"
            for item in results), details={"results": results})
        return Result(data=results, text=render, exit_code=error.exit_code, error=error)
    return Result(data=results, text=render)


def _cancel_everything(ctx: Context, args: argparse.Namespace) -> Result:
    if args.prompt_ids:
        raise UsageError("give prompt ids or --all, not both")
    ctx.confirm(f"Interrupt the running prompt and clear the whole queue of server "
                f"{ctx.client.server_name!r}, including other people's prompts?", assume_yes=args.yes)
    ctx.client.queue_clear()
    ctx.client.interrupt(None)
    return Result(data={"all": True}, text="interrupted the running prompt and cleared the queue")


def _cancel_one(prompt_id: str, record: dict[str, Any] | None, client: ComfyClient,
                before: JobState) -> dict[str, Any]:
    how = cancel_prompt(client, prompt_id, before)
    if how != "not_active":
        if record is not None:
            journal.record(prompt_id, status="cancelled", finished_at=time.time())
        return {"prompt_id": prompt_id, "result": how}
    if before.terminal:
        if record is not None:
            journal.learn(prompt_id, before.status, elapsed=before.elapsed)
        return {"prompt_id": prompt_id, "result": "already_finished", "status": before.status}
    if record is not None and record.get("status") in journal.TERMINAL:
        return {"prompt_id": prompt_id, "result": "already_finished", "status": record["status"]}
    return {"prompt_id": prompt_id, "result": "not_found"}


def cancel_prompt(client: ComfyClient, prompt_id: str, before: JobState | None = None) -> str:
    """``interrupted``, ``removed`` or ``not_active`` (finished, unknown or already gone).

    ``before``: the prompt's state if the caller has just probed it."""
    if before is None:
        before = probe(client, prompt_id)  # the jobs API first: not every server lists its queue (Comfy API v2)
    cancelled = client.cancel_job(prompt_id)
    if cancelled is None:  # no jobs API: /interrupt only for our running prompt, /queue delete otherwise
        if before.status == "running":
            client.interrupt(prompt_id)
        elif before.status == "pending":
            client.queue_delete([prompt_id])
        cancelled = before.status in ("running", "pending")
    if not cancelled:
        return "not_active"
    return "interrupted" if before.status == "running" else "removed"


def await_cancellation(client: ComfyClient, prompt_id: str, seconds: float) -> JobState | None:
    """Wait up to ``seconds`` for the server to confirm; the final state, or None if unconfirmed."""
    end = time.monotonic() + seconds
    delay = 0.05
    while time.monotonic() < end:
        try:
            state = probe(client, prompt_id)
        except UnreachableError:
            return None
        if state.terminal or state.status == "unknown":
            return state
        time.sleep(min(delay, max(end - time.monotonic(), 0)))
        delay = min(delay * 2, 0.5)
    return None
