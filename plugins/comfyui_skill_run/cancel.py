"""Cancelling one prompt, and only that one: interrupt it if it runs, remove it if it waits."""

from __future__ import annotations

import time

from comfyui_skill import ComfyClient, UnreachableError

from .state import JobState, from_queue, probe


def cancel_prompt(client: ComfyClient, prompt_id: str) -> str:
    """``interrupted``, ``removed`` or ``not_active`` (finished, unknown or already gone)."""
    before = from_queue(client.queue(), prompt_id)
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
