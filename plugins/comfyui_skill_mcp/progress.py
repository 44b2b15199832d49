"""Execution events (the NDJSON lines of ``run --output ndjson``) as progress messages for a person."""

from __future__ import annotations

from typing import Any

from comfyui_skill import plural


def describe(event: dict[str, Any]) -> str | None:
    """One line for a progress notification: the node, the step and the fraction; None for events
    that say nothing about progress (logs)."""
    kind = event.get("event")
    prompt = event.get("prompt_id") or ""
    if kind == "queued":
        position = event.get("position")
        return f"prompt {prompt} queued" + (f" (position {position})" if position else "")
    if kind == "started":
        return f"prompt {prompt} started"
    if kind == "node":
        return f"node {event.get('title') or event.get('node')}"
    if kind == "progress":
        value, maximum = event.get("value"), event.get("max")
        if isinstance(value, (int, float)) and isinstance(maximum, (int, float)) and maximum > 0:
            return f"node {event.get('node')}: step {value:g}/{maximum:g} ({value / maximum:.0%})"
        return f"node {event.get('node')}: working"
    if kind == "output":
        return f"saved {event['path']}" if event.get("path") else f"output of node {event.get('node')}"
    if kind == "done":
        return f"prompt {prompt} done" + (f" in {event['elapsed']:.1f} s" if event.get("elapsed") else "")
    if kind == "failed":
        return f"prompt {prompt} failed: {event.get('message')}"
    if kind == "cancelled":
        return f"prompt {prompt} cancelled"
    if kind == "retry":
        return f"retrying: {event.get('reason')}"
    if kind == "cached":
        return f"{plural(len(event.get('nodes') or []), 'node')} cached"
    return None
