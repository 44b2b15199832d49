"""Step progress of running prompts, overheard briefly on the server's WebSocket.

ComfyUI sends ``progress_state`` (every node's state and value/max) and ``progress`` to every socket
when the prompt was submitted without a client id (as ``submit`` does), and only to the submitter's
socket otherwise; Comfy Cloud sends every message of the account to every socket. So a fresh socket
learns the step progress of many prompts within a moment, and of the others nothing: the listening is
bounded, and a server whose socket cannot be opened is simply not listened to.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from comfyui_skill import AuthError, ComfyClient, ConnectionClosed, Message, UnreachableError, new_client_id

#: Seconds ``status`` listens for the progress of running prompts.
LISTEN_SECONDS = 1.5


def overhear(client: ComfyClient, prompt_ids: Collection[str], seconds: float = LISTEN_SECONDS
             ) -> dict[str, dict[str, Any]]:
    """``{prompt_id: {"node", "value", "max"}}`` for the prompts whose progress arrived in time."""
    try:
        stream = client.open_events(new_client_id())
    except (UnreachableError, AuthError):
        return {}
    found: dict[str, dict[str, Any]] = {}
    end = time.monotonic() + seconds
    try:
        while len(found) < len(prompt_ids) and (left := end - time.monotonic()) > 0:
            message = stream.receive(left)
            if message is None:
                break
            progress = _progress_of(message)
            if progress and progress[0] in prompt_ids:
                found[progress[0]] = progress[1]
    except ConnectionClosed:
        pass
    finally:
        stream.close()
    return found


def _progress_of(message: Message) -> tuple[str, dict[str, Any]] | None:
    data = message.data
    prompt_id = data.get("prompt_id")
    if not isinstance(prompt_id, str):
        return None
    if message.type == "progress":
        return prompt_id, {"node": _text(data.get("node")), "value": data.get("value"), "max": data.get("max")}
    if message.type == "progress_state" and isinstance(data.get("nodes"), dict):
        running = [state for state in data["nodes"].values()
                   if isinstance(state, dict) and state.get("state") == "running"]
        if running:
            state = running[-1]
            node = state.get("display_node_id") or state.get("node_id")
            return prompt_id, {"node": _text(node), "value": state.get("value"), "max": state.get("max")}
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def class_types(client: ComfyClient, prompt_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The graphs of running ``prompt_ids`` as the queue shows them: ``{prompt_id: {node: class_type}}``."""
    return {prompt_id: {node: spec.get("class_type") for node, spec in graph.items() if isinstance(spec, dict)}
            for prompt_id, graph in queued_graphs(client, prompt_ids, pending=False).items()}


def queued_graphs(client: ComfyClient, prompt_ids: Collection[str], *, pending: bool = True
                  ) -> dict[str, dict[str, Any]]:
    """The API graphs of ``prompt_ids`` the queue holds (running, and waiting unless ``pending`` is false)."""
    queue = client.queue()
    items = list(queue.get("queue_running") or []) + (list(queue.get("queue_pending") or []) if pending else [])
    return {item[1]: item[2] for item in items
            if isinstance(item, list) and len(item) > 2 and item[1] in prompt_ids and isinstance(item[2], dict)}
