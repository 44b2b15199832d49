"""Following queued Manager work to a per-item result.

4.x (task API): ``cm-task-started``/``cm-task-completed`` arrive on the socket opened with our
``client_id``; without a socket (or once it drops) each item's record is read from
``/v2/manager/queue/history?ui_id=``. 3.x and the 4.x legacy UI broadcast ``cm-queue-status``
(``in_progress`` per item, then ``done``, or 4.x ``batch-done``, with every result); without a socket, ``queue/status`` says
when the worker is done and the result is checked on the server (installed packs, model folders).
A queue reported done without a result for some item is settled at once the same way (4.x: its
history entry first), never left to the deadline.
"""

from __future__ import annotations

import time
from typing import Any

from comfyui_skill import ComfyClient, ConnectionClosed, Output

from .items import Item
from .manager import ManagerClient

POLL_INTERVAL = 0.25
BARE_FAILURE = "failed"
"""Manager 4's worker result for a security refusal (and only for that); the reason goes to the server log."""
REFUSED_BY_POLICY = ("refused by the Manager's security policy (it answers only 'failed'; the reason is in the "
                     "server log: comfyui-skill logs show)")
NO_SOCKET = ("the Manager finished without doing it (no WebSocket, so its reason is only in the server log: "
             "comfyui-skill logs show)")
UNREPORTED = ("the Manager reported its queue done without a result for it, and the server does not have it "
              "(the reason may be in the server log: comfyui-skill logs show)")


class Follower:
    def __init__(self, manager: ManagerClient, items: list[Item], events: Any, output: Output) -> None:
        self.manager = manager
        self.items = {item.ui_id: item for item in items if item.status == "queued"}
        self.events = events
        self.output = output
        self.position = {ui_id: n for n, ui_id in enumerate(self.items, 1)}

    def note(self, item: Item, text: str) -> None:
        self.output.note(f"[{self.position[item.ui_id]}/{len(self.items)}] {item.label}: {text}")

    @property
    def waiting(self) -> list[Item]:
        return [item for item in self.items.values() if not item.finished]

    def run(self, deadline: float) -> None:
        """Until every queued item has a result or ``deadline`` (``time.monotonic()``) passes."""
        drained = self.events is not None and self._follow_socket(deadline)
        if not self.waiting:
            return
        if drained:  # the queue said it is done without a result for some item: the server's state tells
            self._reconcile(UNREPORTED)
        else:
            self._poll(deadline)

    # -- WebSocket

    def _follow_socket(self, deadline: float) -> bool:
        """Our items' results from the socket; True when the queue reported itself done."""
        while self.waiting and time.monotonic() < deadline:
            try:
                message = self.events.receive(timeout=min(1.0, max(deadline - time.monotonic(), 0.0)))
            except ConnectionClosed:
                self.output.note("the WebSocket closed; following the rest through the Manager's queue")
                return False
            if message is None or not isinstance(message.data, dict):
                continue
            if message.type in ("cm-task-started", "cm-task-completed"):
                self._task_event(message.type, message.data)
            elif message.type == "cm-queue-status":
                if self._queue_event(message.data):
                    return True
        return False

    def _task_event(self, event: str, data: dict[str, Any]) -> None:
        item = self.items.get(str(data.get("ui_id")))
        if item is None:
            return
        if event == "cm-task-started":
            self.note(item, "started")
        else:
            self._record(item, data.get("result"), data.get("status"))

    def _queue_event(self, data: dict[str, Any]) -> bool:
        """A ``cm-queue-status``; True when the queue has drained."""
        status = data.get("status")
        if status == "in_progress":
            item = self.items.get(str(data.get("target")))
            if item is not None:
                self.note(item, "started")
        elif status in ("done", "batch-done"):  # 3.x / 4.x legacy UI: every result of the batch
            for key in ("nodepack_result", "model_result"):
                results = data.get(key)
                for ui_id, result in (results.items() if isinstance(results, dict) else []):
                    if ui_id in self.items and not self.items[ui_id].finished:
                        self._record(self.items[ui_id], result, None)
            return True
        return status == "all-done"

    def _record(self, item: Item, result: Any, status: Any) -> None:
        messages = status.get("messages") if isinstance(status, dict) else None
        state = status.get("status_str") if isinstance(status, dict) else None
        if result == "success" or (result is None and state == "success"):
            item.succeed()
            self.note(item, item.status)
            return
        if result == BARE_FAILURE and self.manager.task_api:
            item.fail(REFUSED_BY_POLICY, denied=True)
            self.note(item, f"failed: {REFUSED_BY_POLICY}")
            return
        detail = "; ".join(str(m) for m in messages or [] if m) or str(result or state or "failed")
        item.fail(detail)
        self.note(item, f"failed: {detail}")

    # -- without a socket

    def _poll(self, deadline: float) -> None:
        if self.manager.task_api:
            while self.waiting and time.monotonic() < deadline:
                for item in self.waiting:
                    self._read_history(item)
                if self.waiting:
                    time.sleep(POLL_INTERVAL)
            return
        while time.monotonic() < deadline:
            if _drained(self.manager.status()):
                break
            time.sleep(POLL_INTERVAL)
        else:
            return
        self._verify(NO_SOCKET)

    def _read_history(self, item: Item) -> None:
        """4.x: record ``item`` from its history entry once it has finished (a malformed one fails it)."""
        entry = self.manager.history(item.ui_id)
        if entry is None:
            return
        status = entry.get("status")
        if status is not None and not isinstance(status, dict):
            reason = (f"the Manager's history entry for it is malformed (status {status!r} where an object was "
                      "expected); check the server log: comfyui-skill logs show")
            item.fail(reason, denied=False, server_error=True)
            self.note(item, f"failed: {reason}")
        elif (status or {}).get("completed", True):
            self._record(item, entry.get("result"), status)

    def _reconcile(self, reason: str) -> None:
        """The queue is done: each item still without a result is judged from the history (4.x), then
        from what the server now has."""
        if self.manager.task_api:
            for item in self.waiting:
                self._read_history(item)
        if self.waiting:
            self._verify(reason)

    def _verify(self, reason: str) -> None:
        """What the server now has (installed packs, model files) tells whether each waiting item worked."""
        installed = self.manager.installed()
        for item in self.waiting:
            if item.is_model:
                done = item.model.get("filename") in model_files(self.manager.client, item)
            else:
                done = _pack_state(installed, item)
            if done:
                item.succeed()
                self.note(item, item.status)
            else:
                item.fail(reason, denied=False)
                self.note(item, f"failed: {reason}")


def _drained(status: dict[str, Any]) -> bool:
    """The worker has stopped with nothing left: 3.x counts ``total = done + in progress + queued``,
    4.x reports ``pending_count`` (and ``total_count`` = pending + running)."""
    numbers = {key: value if isinstance(value, int) else 0 for key, value in status.items()}
    pending = numbers["pending_count"] if "pending_count" in status else \
        numbers.get("total_count", 0) - numbers.get("done_count", 0) - numbers.get("in_progress_count", 0)
    return not status.get("is_processing") and pending <= 0


def model_files(client: ComfyClient, item: Item) -> list[Any]:
    return client.get_json(f"/models/{item.folder}", missing_ok=True) or []


def _pack_state(installed: dict[str, Any], item: Item) -> bool:
    """Whether the installed packs show ``item`` done."""
    pack_id = item.pack.get("id")
    entry = next((value for key, value in installed.items() if isinstance(value, dict)
                  and pack_id in (key, value.get("cnr_id"))), None)
    if item.kind == "uninstall":
        return entry is None
    if entry is None:
        return False
    if item.kind == "disable":
        return entry.get("enabled") is False
    if item.kind == "update":
        return True
    return entry.get("enabled") is not False
