"""The batch scheduler: the next item to whichever server frees a slot first, failover, reconciliation.

One thread does all the HTTP work (submit, check, download); each server's WebSocket is read on a
thread of its own and only wakes it up. Memory stays flat: an item's graph is built just before its
POST and dropped after it; what remains per item is its small :class:`Item` record.
"""

from __future__ import annotations

import queue
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfyui_skill import (AuthError, CliError, Event, PaymentRequired, RejectedError, TimeoutExpired, UnreachableError,
                           new_prompt_id)

from ..cancel import cancel_prompt
from ..execute import describe_failure
from ..outputs import collect, download_all
from ..state import JobState, from_history, from_queue, history_entry, probe, removed_from_queue
from ..submission import submit_once
from ..workflow import upload_local_inputs
from . import journaling
from .lane import ACTIVE, Item, Lane
from .manifest import Manifest
from .prepare import ItemGraphs

#: Seconds between looks at a server while its socket brings the news / while it does not.
CHECK_WITH_SOCKET = 2.0
CHECK_WITHOUT_SOCKET = 0.25
#: After ``execution_success``, how long to wait for ``executing null`` (history written) before asking.
SETTLE = 0.5
#: A server is taken as down after DOWN_AFTER failed requests in a row that span DOWN_SPAN seconds
#: (a server restarting for a second is not drained); between them it is left alone for a pause that
#: starts at TROUBLE_PAUSE and doubles up to TROUBLE_PAUSE_CAP. A request that timed out waiting for
#: an answer takes it down at once: the transport has already asked several times (see
#: servers.BATCH_READ_TIMEOUT) and every other server waited meanwhile.
DOWN_AFTER = 3
DOWN_SPAN = 3.0
TROUBLE_PAUSE = 0.25
TROUBLE_PAUSE_CAP = 2.0
#: Answers to a submission that mean "not now" rather than "not this item": 429 (slow down; a cloud
#: account also answers it past its plan's concurrency) and a gateway's 502/503/504 (ComfyUI behind it
#: did not get the prompt). The item waits at the head of the queue while its server pauses for the
#: ``Retry-After`` it gave (at most THROTTLE_CAP seconds), else THROTTLE_PAUSE doubling up to the cap.
THROTTLE_STATUSES = (429, 502, 503, 504)
THROTTLE_PAUSE = 1.0
THROTTLE_CAP = 60.0
#: Comfy Cloud's other 429, an inactive subscription ("Payment required - User has not paid"), told apart by
#: its message: waiting will not help, the server is drained as after a 402.
UNPAID = re.compile(r"paid|payment|subscription|inactive", re.IGNORECASE)
#: Looks at a server that does not know a prompt of ours before it is declared lost.
LOST_AFTER = 3
FAILED = ("error", "rejected", "lost", "cancelled")


@dataclass
class Options:
    root: Path
    download: bool = True
    include_temp: bool = False
    save_text: bool = False
    failover: bool = True
    front: bool = False
    only: Sequence[str] = ()
    deadline: float | None = None


class Engine:
    def __init__(self, lanes: list[Lane], graphs: ItemGraphs, manifest: Manifest, options: Options,
                 emit: Callable[[Event], None], on_change: Callable[[Engine], None]) -> None:
        self.lanes = lanes
        self.graphs = graphs
        self.manifest = manifest
        self.options = options
        self.emit = emit
        self.on_change = on_change
        self.news: queue.Queue = queue.Queue()
        self.pending: deque[Item] = deque()
        self.items: list[Item] = []

    # ----------------------------------------------------------------- counts
    def counts(self) -> dict[str, int]:
        counts = {"done": 0, "failed": 0, "running": 0, "queued": 0}
        for item in self.items:
            if item.status == "success":
                counts["done"] += 1
            elif item.status in FAILED:
                counts["failed"] += 1
            elif item.status in ACTIVE:
                counts["running"] += 1
            else:
                counts["queued"] += 1
        return counts

    # ----------------------------------------------------------------- the loop
    def run(self, items: list[Item]) -> None:
        """Run every item that has not succeeded; items still on a server (a resumed manifest) are
        followed there, not submitted again."""
        self.items = items
        by_name = {lane.name: lane for lane in self.lanes}
        for item in items:
            lane = by_name.get(item.server or "")
            if item.status not in ACTIVE:
                journaling.settled(item)
            if item.status == "success":
                continue
            if item.status in ACTIVE and item.prompt_id and lane is not None:
                lane.inflight[item.prompt_id] = item
                journaling.reattached(self.manifest.path, lane, item, self.graphs.reference)
            else:
                if item.status in ACTIVE and item.prompt_id:
                    journaling.ended(item, "lost", error=f"server {item.server!r} is not in the resumed batch; "
                                                         "the item runs again")
                item.status, item.prompt_id, item.server, item.error = "pending", None, None, None
                self.pending.append(item)
        for lane in self.lanes:
            lane.start(self.news)
        try:
            self._loop()
        finally:
            for lane in self.lanes:
                lane.stop()

    def _loop(self) -> None:
        while self.pending or any(lane.inflight for lane in self.lanes):
            self._fill()
            if not any(lane.alive for lane in self.lanes):
                return
            self._check_deadline()
            now = time.monotonic()
            due = self._next_due(now)
            try:
                news = self.news.get(timeout=min(max(due - now, 0.0), 1.0))
            except queue.Empty:
                news = None
            while news is not None:
                self._on_news(*news)
                try:
                    news = self.news.get_nowait()
                except queue.Empty:
                    news = None
            for lane in self.lanes:
                if lane.alive and lane.inflight and lane.next_check <= time.monotonic():
                    self._check(lane)

    def _check_deadline(self) -> None:
        if self.options.deadline is not None and time.monotonic() >= self.options.deadline:
            raise TimeoutExpired("the batch did not finish before the deadline; submitted prompts are left running")

    def _fill(self) -> None:
        """Give waiting items to the servers with free slots that are not pausing (the most free first)."""
        while self.pending:
            now = time.monotonic()
            lane = max((lane for lane in self.lanes if lane.free > 0 and lane.resting_until <= now),
                       key=lambda lane: lane.free, default=None)
            if lane is None:
                return
            self._submit(lane, self.pending.popleft())

    def _next_due(self, now: float) -> float:
        """When the loop has something to do at the latest: a check, or a pausing server's next submission."""
        due = [lane.next_check for lane in self.lanes if lane.alive and lane.inflight]
        if self.pending:
            due += [lane.resting_until for lane in self.lanes if lane.free > 0]
        return min(due, default=now + 1)

    # ----------------------------------------------------------------- submitting
    def _submit(self, lane: Lane, item: Item) -> None:
        try:
            workflow = self.graphs.build(item.params)
            upload_local_inputs(lane.ctx, workflow)
        except UnreachableError as exc:
            self.pending.appendleft(item)
            self._trouble(lane, exc)
            return
        except CliError as exc:
            self._fail(item, "rejected", exc.message)
            return
        prompt_id = new_prompt_id()
        item.status, item.server, item.prompt_id, item.unknown = "submitting", lane.name, prompt_id, 0
        item.submitted_at, item.started_at, item.finished_at = time.time(), None, None
        lane.inflight[prompt_id] = item
        self.manifest.update(item.index, durable=True, status="submitting", server=lane.name, prompt_id=prompt_id,
                             submitted_at=item.submitted_at)
        journaling.submitting(self.manifest.path, lane, item, workflow)
        try:
            answer = submit_once(lane.ctx, workflow, prompt_id=prompt_id, client_id=lane.client_id,
                                 front=self.options.front, only=self.options.only, extra_data=lane.extra_data,
                                 on_retry=lambda reason, attempt: self._event("retry", item, reason=reason,
                                                                              attempt=attempt))
        except RejectedError as exc:
            del lane.inflight[prompt_id]
            self._fail(item, "rejected", exc.message)
            return
        except (UnreachableError, AuthError, PaymentRequired) as exc:  # the server's fault, not the item's
            del lane.inflight[prompt_id]
            self._requeue(item, exc.message)
            if isinstance(exc, UnreachableError):
                self._trouble(lane, exc)
            else:
                self._drain(lane, exc.message)
            return
        except CliError as exc:
            del lane.inflight[prompt_id]
            if exc.details.get("status") == 429 and UNPAID.search(exc.details.get("server_message") or ""):
                self._requeue(item, exc.message)  # Comfy Cloud's 429 for an inactive subscription: no use waiting
                self._drain(lane, exc.message)
            elif exc.details.get("status") in THROTTLE_STATUSES:
                self._throttle(lane, item, exc)
            else:
                self._fail(item, "error", exc.message, ended="submit_failed")
            return
        lane.failures = lane.throttles = 0
        item.status = "queued"
        if answer["prompt_id"] != prompt_id:  # the server names its jobs itself (Comfy API v2)
            lane.inflight[answer["prompt_id"]] = lane.inflight.pop(prompt_id)
            item.prompt_id = answer["prompt_id"]
            journaling.renamed(prompt_id, item)
        self.manifest.update(item.index, status="queued", number=answer.get("number"), prompt_id=item.prompt_id)
        journaling.queued(item, answer.get("number"))
        lane.watch(item.prompt_id, self.news)
        self._event("queued", item, number=answer.get("number"))
        self.on_change(self)

    # ----------------------------------------------------------------- news and checks
    def _on_news(self, lane: Lane, kind: str, prompt_id: str | None, data: dict[str, Any]) -> None:
        if kind == "connected":
            lane.connected = True
            lane.next_check = time.monotonic()  # news may have been missed while it was down
            return
        if kind == "disconnected":
            lane.connected = False
            lane.next_check = time.monotonic()
            return
        item = lane.inflight.get(prompt_id or "")
        if item is None or not lane.alive:
            return
        item.quiet_since = time.monotonic()  # a sign of life (see _watch_stall)
        if kind == "started":
            self._started(item)
        elif kind == "success":
            lane.next_check = min(lane.next_check, time.monotonic() + SETTLE)
        else:  # ended, error, interrupted: the history holds the verdict (or will shortly)
            self._settle(lane, item)

    def _started(self, item: Item) -> None:
        if item.status != "running":
            item.status, item.started_at = "running", time.time()
            self.manifest.update(item.index, status="running", started_at=item.started_at)
            self._event("started", item)
            self.on_change(self)

    def _check(self, lane: Lane) -> None:
        """Ask the server where each prompt of ours stands (the source of truth)."""
        try:  # a server whose jobs API knows every job (Comfy API v2) is asked job by job: it may list none
            snapshot = None if lane.client.jobs_are_authoritative else lane.client.queue()
        except UnreachableError as exc:
            self._trouble(lane, exc)
            return
        lane.failures = 0
        for prompt_id, item in list(lane.inflight.items()):
            try:
                where = from_queue(snapshot, prompt_id) if snapshot is not None else probe(lane.client, prompt_id)
            except UnreachableError as exc:
                self._trouble(lane, exc)
                return
            if where.status in ("running", "pending"):
                item.unknown, item.server_status, item.running_ahead = 0, None, where.running_ahead
                if where.status == "running":
                    self._started(item)
            elif not self._settle(lane, item):
                return
        lane.next_check = time.monotonic() + (CHECK_WITH_SOCKET if lane.connected else CHECK_WITHOUT_SOCKET)

    def _settle(self, lane: Lane, item: Item) -> bool:
        """Conclude ``item`` if the server has its verdict; False when the server could not be asked."""
        prompt_id = item.prompt_id or ""
        try:
            entry = history_entry(lane.client, prompt_id)
            state = from_history(entry) if entry is not None else probe(lane.client, prompt_id)
        except UnreachableError as exc:
            self._trouble(lane, exc)
            return False
        if state.terminal:
            self._conclude(lane, item, state)
        elif state.status == "in_flight":
            self._watch_stall(lane, item, str(state.server_status))
        elif state.status == "unknown":
            item.unknown += 1
            if item.status == "submitting":  # resumed: its POST never arrived
                del lane.inflight[prompt_id]
                self._requeue(item, "the server never received it")
            elif item.unknown >= LOST_AFTER:
                return self._vanished(lane, item)
        return True

    def _vanished(self, lane: Lane, item: Item) -> bool:
        """The server no longer knows the item's prompt: removed from its queue by someone else (the
        item is cancelled, not run again: whoever cleared the queue meant it), else lost (it moves)."""
        prompt_id = item.prompt_id or ""
        try:
            removed = removed_from_queue(lane.client, item.running_ahead)
        except UnreachableError as exc:
            self._trouble(lane, exc)
            return False
        del lane.inflight[prompt_id]
        if removed:
            self._fail(item, "cancelled", f"prompt {prompt_id} was removed from the queue of server {lane.name!r} "
                                          "before it ran ('queue clear', or another client deleted it)",
                       ended="removed", by="queue")
            lane.counts["failed"] += 1
        else:
            self._reassign(item, f"server {lane.name!r} no longer knows prompt {prompt_id}")
        return True

    def _watch_stall(self, lane: Lane, item: Item, server_status: str) -> None:
        """An item whose server reports a status we do not know (e.g. ``waiting_for_gpu``) keeps its slot
        while the status changes or news of it arrives; after the server's ``stall_timeout`` seconds
        without either, its prompt is cancelled (it is ours) and the item fails, freeing the slot."""
        now = time.monotonic()
        if server_status != item.server_status:
            item.server_status, item.quiet_since = server_status, now
            return
        quiet = now - item.quiet_since
        if quiet < lane.stall_timeout:
            return
        prompt_id = item.prompt_id or ""
        del lane.inflight[prompt_id]
        try:
            how = cancel_prompt(lane.client, prompt_id)
        except CliError:
            how = "unreachable"
        self._fail(item, "error", f"prompt {prompt_id} had the status {server_status!r}, which comfyui-skill does "
                                  f"not know, for {quiet:.0f} s with no progress (stall_timeout of server "
                                  f"{lane.name!r}); cancelled to free its slot ({how})",
                   ended="cancelled", server_status=server_status, stall_timeout=lane.stall_timeout)
        lane.counts["failed"] += 1

    # ----------------------------------------------------------------- outcomes
    def _conclude(self, lane: Lane, item: Item, state: JobState) -> None:
        lane.inflight.pop(item.prompt_id or "", None)
        item.finished_at = time.time()
        item.started_at = item.started_at or state.started_at
        if state.status == "error":
            failure = describe_failure(state.error or {})
            self._fail(item, "error", failure.pop("message"), **failure)
        elif state.status == "cancelled":
            self._fail(item, "cancelled", f"prompt {item.prompt_id} was cancelled on the server")
        elif not self._succeed(lane, item, state):
            return  # its outputs wait on a server in trouble: the item is still that server's
        lane.counts["done" if item.status == "success" else "failed"] += 1
        if lane.throttles and lane.throttle_slot:  # a freed slot is the likeliest end of a 429 without Retry-After
            lane.resting_until = min(lane.resting_until, time.monotonic())

    def _succeed(self, lane: Lane, item: Item, state: JobState) -> bool:
        """Download the outputs and record the success; False when the server went away meanwhile (the
        item goes back to it, to be downloaded again once it answers, or elsewhere if it is drained)."""
        outputs = collect(state.outputs, include_temp=self.options.include_temp)
        if self.options.download:
            root = self.options.root / item.folder
            try:
                download_all(lane.downloads, outputs, root, deadline=self.options.deadline,
                             save_text=self.options.save_text, ready=item.ready_outputs,
                             on_saved=lambda output: self._event("output", item, **output.to_json()))
            except UnreachableError as exc:
                item.finished_remotely = True
                lane.inflight[item.prompt_id or ""] = item
                self._trouble(lane, exc)
                return False
            except CliError as exc:
                self._fail(item, "error", f"its outputs could not be downloaded: {exc.message}")
                return True
        item.outputs = [output.to_json() for output in outputs]
        item.status, item.error = "success", None
        self.manifest.update(item.index, durable=True, status="success", finished_at=item.finished_at,
                             started_at=item.started_at, elapsed=item.elapsed, outputs=item.outputs)
        journaling.ended(item, "success", outputs=item.outputs)
        self._event("done", item, outputs=item.outputs, elapsed=item.elapsed)
        self.on_change(self)
        return True

    def _fail(self, item: Item, status: str, message: str, *, ended: str | None = None, **details: Any) -> None:
        """``item`` failed as ``status``; its prompt (if it has one) is journaled as ``ended`` (default
        ``status``)."""
        item.status, item.error = status, message
        item.finished_at = item.finished_at or time.time()
        self.manifest.update(item.index, durable=True, status=status, error=message, finished_at=item.finished_at)
        journaling.ended(item, ended or status, error=message)
        if status == "cancelled":
            self._event("cancelled", item, by=details.get("by", "server"), how=details.get("how"))
        else:
            self._event("failed", item, **{"message": message, **details})
        self.on_change(self)

    def _requeue(self, item: Item, reason: str, ended: str = "submit_failed") -> None:
        """Back to the head of the queue; its prompt, if any, is journaled as ``ended`` (submit_failed:
        the server never had it; lost: the server that had it went away)."""
        journaling.ended(item, ended, error=reason)
        item.status, item.prompt_id, item.server = "pending", None, None
        item.server_status, item.finished_remotely = None, False
        item.ready_outputs.clear()  # a new prompt: new outputs
        self.manifest.update(item.index, durable=True, status="pending", prompt_id=None, server=None, note=reason)
        self.pending.appendleft(item)

    def _reassign(self, item: Item, reason: str) -> None:
        """An item whose server went away: to another server once (unless --no-failover), else lost."""
        if not self.options.failover or item.moves >= 1:
            self._fail(item, "lost", reason)
            return
        item.moves += 1
        self._event("retry", item, reason=f"{reason}; moving item {item.key} to another server", attempt=item.moves)
        self.manifest.update(item.index, moved=item.moves, moved_from=item.server)
        self._requeue(item, reason, ended="lost")

    # ----------------------------------------------------------------- servers in trouble
    def _trouble(self, lane: Lane, exc: CliError) -> None:
        """A request to ``lane`` failed: pause it (longer each time); drain it once the failures in a row
        are DOWN_AFTER and span DOWN_SPAN seconds, or at once after a read timeout."""
        now = time.monotonic()
        if lane.failures == 0:
            lane.failing_since = now
        lane.failures += 1
        lane.next_check = lane.resting_until = now + min(TROUBLE_PAUSE * 2 ** (lane.failures - 1), TROUBLE_PAUSE_CAP)
        if exc.details.get("reason") == "read_timeout" or \
                (lane.failures >= DOWN_AFTER and now - lane.failing_since >= DOWN_SPAN):
            self._drain(lane, exc.message)

    def _throttle(self, lane: Lane, item: Item, exc: CliError) -> None:
        """``lane`` answered the submission of ``item`` with 429 or 502-504: the item waits (at the head of
        the queue, not failed, not moved) and ``lane`` pauses; it is not server trouble."""
        lane.throttles += 1
        asked = _seconds(exc.details.get("retry_after"))
        lane.throttle_slot = asked is None and bool(lane.inflight)
        pause = min(asked if asked is not None else THROTTLE_PAUSE * 2 ** (lane.throttles - 1), THROTTLE_CAP)
        lane.resting_until = time.monotonic() + pause
        self._event("retry", item, reason=f"{exc.message}; item {item.key} waits, server {lane.name!r} pauses "
                                          f"{pause:.1f} s", attempt=lane.throttles)
        self._requeue(item, exc.message)

    def _drain(self, lane: Lane, reason: str) -> None:
        """Stop using ``lane``; its unfinished items go elsewhere (or fail)."""
        lane.alive = False
        lane.stop()
        moved = list(lane.inflight.values())
        lane.inflight.clear()
        lane.counts["moved"] += len(moved)
        self.emit(Event("server_down", server=lane.name, data={"reason": reason, "items": [i.key for i in moved]}))
        for item in moved:
            finished = " after its prompt finished there; its outputs could not be downloaded, so it runs again" \
                if item.finished_remotely else ""
            self._reassign(item, f"server {lane.name!r} is unreachable ({reason}){finished}")
        self.on_change(self)

    # ----------------------------------------------------------------- Ctrl-C
    def cancel_own(self, *, detach: bool) -> list[dict[str, Any]]:
        """Cancel this batch's prompts (only them) on every server; with ``detach`` leave them running."""
        done = []
        for lane in self.lanes:
            for prompt_id, item in list(lane.inflight.items()):
                how = None
                if not detach:
                    try:
                        how = cancel_prompt(lane.client, prompt_id)
                    except CliError:
                        how = "unreachable"
                    lane.inflight.pop(prompt_id, None)
                    self._fail(item, "cancelled", "cancelled by Ctrl-C", by="user", how=how)
                else:
                    journaling.detached(item)
                done.append({"item": item.key, "prompt_id": prompt_id, "server": lane.name, "cancel": how})
        return done

    # ----------------------------------------------------------------- events
    def _event(self, event_type: str, item: Item, **data: Any) -> None:
        self.emit(Event(event_type, prompt_id=item.prompt_id, server=item.server, data={"item": item.key, **data}))


def _seconds(retry_after: Any) -> float | None:
    """A ``Retry-After`` given in seconds; None when absent or an HTTP date (a backoff applies then)."""
    try:
        return max(0.0, float(retry_after)) if retry_after is not None else None
    except ValueError:
        return None
