"""A job's Server-Sent Events, read as the same ``Message`` stream a ComfyUI WebSocket gives.

The follower of ``run``/``wait`` already understands ComfyUI's messages (``executing``,
``progress``, ``executing`` with no node at the end), so the SSE frames of a v2 job are translated
into those: a ``progress`` snapshot names the node that runs and its step, a ``preview`` (base64)
becomes the binary ``preview_image`` message of a type-4 WebSocket frame, a ``status`` frame with
a final status only says "the job ended, ask the server" (the proxy's last frame can be wrong, so
the follower always reads the job itself). A reader thread turns the stream into a queue, so
``receive(timeout)`` never blocks longer than asked, and a keepalive comment shows that the stream
is alive without producing a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from comfyui_skill import ConnectionClosed, Message

#: Job statuses after which the stream ends (the follower then reads the job).
FINAL = frozenset({"succeeded", "failed", "canceled", "expired"})
#: How often the follower asks for the job while the stream is open (a job that ended before the
#: stream connected is only reported on the next keepalive, about 20 s later).
CHECK_INTERVAL = 1.0
_END = object()


def parse(lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """``(event, data)`` for each SSE frame of ``lines``; comments (``: keepalive``) are skipped,
    and so is a frame whose data is not JSON."""
    event, data = "message", []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                try:
                    yield event, json.loads("\n".join(data))
                except ValueError:
                    pass
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)


def translate(job_id: str, event: str, data: Any, last_node: list[str | None]) -> list[Message]:
    """The ComfyUI messages one SSE frame stands for (``last_node`` carries the running node along)."""
    if not isinstance(data, dict):
        return []
    if event == "status":
        status = data.get("status")
        if status == "running":
            return [Message("execution_start", {"prompt_id": job_id})]
        if status in FINAL:
            return [Message("executing", {"node": None, "prompt_id": job_id})]
        return []
    if event == "preview":
        return _preview(job_id, data, last_node[0])
    if event != "progress":
        return []
    messages = []
    node = data.get("current_node")
    if node is not None and str(node) != last_node[0]:
        last_node[0] = str(node)
        messages.append(Message("executing", {"node": str(node), "prompt_id": job_id}))
    step, steps = data.get("step"), data.get("steps")
    if node is not None and isinstance(step, int) and isinstance(steps, int) and steps > 0:
        messages.append(Message("progress", {"node": str(node), "value": step, "max": steps, "prompt_id": job_id}))
    return messages


def _preview(job_id: str, data: dict[str, Any], running: str | None) -> list[Message]:
    """A live preview (``{node_id, content_type, data_base64}``; no node id: the ``running`` one) as
    ComfyUI's WebSocket gives it; nothing for one whose image is not base64."""
    try:
        image = base64.b64decode(str(data.get("data_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        return []
    if not image:
        return []
    node = str(data.get("node_id") or "") or running
    return [Message("preview_image", {"prompt_id": job_id, "node_id": node, "display_node_id": node,
                                      "image_type": data.get("content_type")}, image)]


class JobEvents:
    """The open event stream of one job; ``receive``/``close`` as on a WebSocket stream."""

    #: Read by the follower: ask for the job this often even while messages arrive.
    check_interval = CHECK_INTERVAL

    def __init__(self, job_id: str, lines: Iterable[str], close: Any) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._close = close
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(job_id, lines), daemon=True,
                                        name=f"sse-{job_id[:8]}")
        self._thread.start()

    def _read(self, job_id: str, lines: Iterable[str]) -> None:
        last_node: list[str | None] = [None]
        try:
            for event, data in parse(lines):
                for message in translate(job_id, event, data, last_node):
                    self._queue.put(message)
        except Exception as exc:  # noqa: BLE001 - any failure of the stream is its end
            self._queue.put(exc)
        self._queue.put(_END)

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None after ``timeout`` seconds; ConnectionClosed once the stream ended."""
        if self._closed:
            raise ConnectionClosed("the event stream is closed")
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if item is _END or isinstance(item, BaseException):
            self.close()
            raise ConnectionClosed("the job's event stream ended" if item is _END else f"event stream: {item}")
        return item

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()
