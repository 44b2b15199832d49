"""Following one prompt to its end: WebSocket first, polling as the fallback, with reconciliation.

The socket is opened (by the caller) *before* the POST with the prompt's client id, so a prompt that
ends in a millisecond still has its messages waiting. When the socket cannot be opened the follower
polls the server with backoff; when it drops mid-run it reconnects with the same client id and asks
the server where the prompt stands (it may have ended while nobody listened). Silence about the
prompt (messages about other prompts do not count) also triggers such a check, so a lost message can
never make the follower wait forever; while the prompt waits in the queue, every change of the queue
(a ``status`` message) does too, so its position is reported as it moves.

A prompt the server stops knowing (neither queue nor history has it, :data:`LOST_AFTER` times in a row)
was *removed from the queue* when it was last seen pending and the server still knows a prompt that
was running ahead of it then (a server that restarted forgets both: ComfyUI keeps its queue and history
in memory, and a deleted prompt never reaches history); otherwise it is *lost* (``PromptLost``; a
journaled prompt may still turn out removed: see ``execute.follow_journaled``).

A job whose status is outside the jobs API's vocabulary (Comfy Cloud may add some, e.g. a wait for a
GPU) is taken as still in flight, but only while it shows signs of life: when neither its status
changes nor any message about it arrives for the server's ``stall_timeout`` seconds, following it
ends with a timeout error naming that status (the prompt is left alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from comfyui_skill import (ComfyClient, ConnectionClosed, Message, PromptLost, ServerConfig, TimeoutExpired,
                           UnreachableError)

from . import settings
from .outputs import OutputItem, streamed_image
from .state import JobState, history_entry, probe, removed_from_queue

#: Seconds of silence on the socket after which the server is asked directly.
FIRST_CHECK = 0.5
QUIET_CHECK = 3.0
#: How long to wait for ``executing null`` (history written) after ``execution_success``.
SETTLE = 2.0
POLL_START, POLL_FACTOR, POLL_MAX = 0.05, 1.5, 2.0
RECONNECT_ATTEMPTS = 4
#: Consecutive "nobody knows this prompt" answers before it is declared lost.
LOST_AFTER = 3
#: Default seconds an unknown job status may last with no change and no progress (setting ``stall_timeout``).
STALL_TIMEOUT: float = settings.STALL_TIMEOUT.default

Emit = Callable[..., None]


class Follower:
    """Follows ``prompt_id`` until it ends; :meth:`follow` returns its final :class:`JobState`."""

    def __init__(self, client: ComfyClient, prompt_id: str, client_id: str | None, emit: Emit, *,
                 deadline: float | None, stream: Any = None, titles: Callable[[str], str] = str,
                 class_types: Callable[[str], str | None] = lambda node: None,
                 stall_timeout: float = STALL_TIMEOUT, first_check: float = FIRST_CHECK,
                 accepted: bool = False) -> None:
        self.client = client
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.emit = emit
        self.deadline = deadline
        self.stream = stream
        self.titles = titles
        self.class_types = class_types
        self.phase = "pending"
        self.position: int | None = None
        self.ws_outputs: dict[str, Any] = {}
        self.streamed: list[OutputItem] = []
        self.current_node: str | None = None
        self.unknown_count = 0
        #: the last status the server gave: ``accepted`` (the answer to our POST), pending, running, ...;
        #: None while the server has never known the prompt
        self.seen: str | None = "accepted" if accepted else None
        self.running_ahead: tuple[str, ...] = ()  # see JobState.running_ahead
        self.stall_timeout = stall_timeout  # see stall_timeout_of
        self.server_status: str | None = None
        self.last_sign_of_life = time.monotonic()
        self.first_check = first_check  # seconds before the server is first asked (0: at once)

    # ----------------------------------------------------------------- entry point
    def follow(self) -> JobState:
        try:
            if self.stream is None:
                self.stream = self.client.job_events(self.prompt_id)  # a server whose events are per job
            if self.stream is not None:
                state = self._follow_socket()
                if state is not None:
                    state.streamed = self.streamed
                    return state
            return self._poll()
        finally:
            if self.stream is not None:
                self.stream.close()

    def remaining(self) -> float:
        if self.deadline is None:
            return float("inf")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutExpired(f"prompt {self.prompt_id} did not finish before the deadline; it is left running",
                                 hint=f"follow it with 'comfyui-skill wait {self.prompt_id}'",
                                 details={"prompt_id": self.prompt_id})
        return left

    # ----------------------------------------------------------------- WebSocket
    def _follow_socket(self) -> JobState | None:
        """Follow on the socket; None means 'carry on by polling' (it could not be kept open).

        A per-job stream (:meth:`ComfyClient.job_events`) names a ``check_interval``: the job is then
        asked for that often even while messages about it flow (it may have ended before the stream
        began, and the stream's last word is not trusted)."""
        every = getattr(self.stream, "check_interval", None)
        quiet = every or QUIET_CHECK
        next_check = time.monotonic() + (every or self.first_check)
        settle_until: float | None = None
        drops = 0  # in a row, with no message in between: a socket that never works is left for polling
        while True:
            wait = min(self.remaining(), max(next_check - time.monotonic(), 0.0))
            if settle_until is not None:
                wait = min(wait, max(settle_until - time.monotonic(), 0.0))
            try:
                message = self.stream.receive(wait)
            except ConnectionClosed as exc:
                if every is not None:  # a job's stream ends with the job: the job itself says how
                    self.stream = None
                    return self._check()
                drops += 1
                if drops > RECONNECT_ATTEMPTS:
                    self.stream = None  # closed already
                    self.emit("retry", reason=f"WebSocket keeps closing ({exc}); polling the server",
                              attempt=drops)
                    return None
                if not self._reconnect(str(exc)):
                    return None
                state = self._check()
                if state is not None:
                    return state
                continue
            now = time.monotonic()
            if settle_until is not None and now >= settle_until:
                return self._finish("success")
            if message is None or now >= next_check:  # silence about this prompt, however busy the socket
                state = self._check()
                if state is not None:
                    return state
                next_check = time.monotonic() + quiet
                if message is None:
                    continue
            drops = 0
            if message.data.get("prompt_id") == self.prompt_id and every is None:
                next_check = time.monotonic() + QUIET_CHECK
            elif message.type == "status" and self.phase == "pending":  # the queue moved: where is it now?
                next_check = min(next_check, time.monotonic() + FIRST_CHECK)  # once the messages waiting are read
            outcome = self._handle(message)
            if outcome == "success":
                settle_until = time.monotonic() + SETTLE
            elif outcome == "ended" and settle_until is not None:
                return self._finish("success")
            elif outcome == "ended":  # executing null without a verdict: ask the server
                state = self._check()
                if state is not None:
                    return state
            elif isinstance(outcome, JobState):
                return outcome

    def _handle(self, message: Message) -> str | JobState | None:
        data = message.data
        theirs = data.get("prompt_id")
        if theirs is not None and theirs != self.prompt_id:
            return None
        if theirs is not None:
            self.last_sign_of_life = time.monotonic()
        kind = message.type
        if kind == "preview_image":
            if not self._keep_streamed_image(message):
                self._preview(message, theirs)
        elif kind == "execution_start":
            self._started()
        elif kind == "execution_cached":
            self._started()
            if data.get("nodes"):
                self.emit("cached", nodes=list(data["nodes"]))
        elif kind == "executing":
            node = data.get("node")
            if node is None:
                return "ended" if theirs == self.prompt_id else None
            self._entered(str(node))
        elif kind == "progress" and theirs == self.prompt_id:
            node = str(data.get("node"))
            if node != self.current_node:  # joined while the node ran (``wait``): its steps name it
                self._entered(node)
            self.emit("progress", node=node, value=data.get("value"), max=data.get("max"))
        elif kind == "executed" and theirs == self.prompt_id:
            output = data.get("output")
            if isinstance(output, dict):
                self.ws_outputs[str(data.get("node"))] = output
        elif kind == "execution_success" and theirs == self.prompt_id:
            return "success"
        elif kind == "execution_error" and theirs == self.prompt_id:
            return JobState("error", outputs=dict(self.ws_outputs), error=dict(data))
        elif kind == "execution_interrupted" and theirs == self.prompt_id:
            return JobState("cancelled", outputs=dict(self.ws_outputs), error=dict(data))
        return None

    def _entered(self, node: str) -> None:
        self._started()
        self.current_node = node
        self.emit("node", node=node, class_type=self.class_types(node), title=self.titles(node))

    def _keep_streamed_image(self, message: Message) -> bool:
        """Keep the frames SaveImageWebsocket sends (they are its only output); previews of other
        nodes (a sampler's) are not outputs. True when the frame was kept."""
        node = str(message.data.get("node_id") or self.current_node or "")
        if self.class_types(node) == "SaveImageWebsocket" and message.payload:
            index = sum(1 for item in self.streamed if item.node == node)
            self.streamed.append(streamed_image(node, index, str(message.data.get("image_type")), message.payload))
            return True
        return False

    def _preview(self, message: Message, theirs: str | None) -> None:
        """Report a live preview of our prompt: a frame naming it (type 4), or a legacy frame without
        metadata while one of our nodes runs (ComfyUI sends those to the submitter's socket)."""
        if not message.payload or not (theirs == self.prompt_id or (theirs is None and self.current_node)):
            return
        data = message.data
        node = data.get("display_node_id") or data.get("node_id") or self.current_node
        self.emit("preview", node=str(node), image_type=data.get("image_type"), size=len(message.payload),
                  image=message.payload)

    def _finish(self, status: str) -> JobState:
        """The verdict came over the socket: take the outputs from history, else from the jobs API (Comfy
        Cloud has no history route), else from the socket."""
        entry = history_entry(self.client, self.prompt_id) or self.client.job(self.prompt_id) or {}
        outputs = entry.get("outputs") or self.ws_outputs
        return JobState(status, outputs=outputs)

    def _reconnect(self, reason: str) -> bool:
        self.stream = None
        if self.client_id is None:
            return False
        delay = POLL_START * 2
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            self.emit("retry", reason=f"WebSocket closed ({reason}); reconnecting", attempt=attempt)
            try:
                self.stream = announce_previews(self.client.open_events(self.client_id))
                return True
            except UnreachableError:
                time.sleep(min(delay, self.remaining()))
                delay *= 2
        self.emit("retry", reason="WebSocket unavailable; polling the server", attempt=RECONNECT_ATTEMPTS)
        return False

    # ----------------------------------------------------------------- polling
    def _poll(self) -> JobState:
        delay = POLL_START
        while True:
            self.remaining()
            state = self._check()
            if state is not None:
                return state
            time.sleep(min(delay, self.remaining()))
            delay = min(delay * POLL_FACTOR, POLL_MAX)

    def _check(self) -> JobState | None:
        """Ask the server; return the state if it is final, report progress otherwise."""
        try:
            state = probe(self.client, self.prompt_id)
        except UnreachableError as exc:
            self.emit("retry", reason=exc.message, attempt=self.unknown_count + 1)
            return None
        if state.terminal:
            if not state.outputs and self.ws_outputs:
                state.outputs = dict(self.ws_outputs)
            return state
        if state.status == "unknown":
            self.unknown_count += 1
            if self.unknown_count >= LOST_AFTER:
                return self._vanished()
            return None
        self.unknown_count = 0
        self.seen = state.status
        if state.status == "pending":
            self.running_ahead = state.running_ahead
        if state.status == "in_flight":
            self._watch_stall(str(state.server_status))
            return None
        self.server_status = None
        if state.status == "running":
            self._started()
        elif state.position != self.position:
            self.position = state.position
            self.emit("queued", position=state.position)
        return None

    def _vanished(self) -> JobState:
        """The prompt is gone from the server: ``removed`` from its queue, else PromptLost."""
        name = self.client.server_name
        if self.seen == "pending" and self._removed_from_queue():
            return JobState("removed")
        if self.seen is None:
            message = (f"server {name!r} does not know prompt {self.prompt_id} (it may have restarted, or the "
                       "prompt was removed from its queue, before this command looked)")
        else:
            message = f"server {name!r} no longer knows prompt {self.prompt_id} (it may have restarted)"
        raise PromptLost(message, details={"prompt_id": self.prompt_id, "seen": self.seen})

    def _removed_from_queue(self) -> bool:
        try:
            return removed_from_queue(self.client, self.running_ahead)
        except UnreachableError:
            return False

    def _watch_stall(self, server_status: str) -> None:
        """Fail once an unknown status has lasted ``stall_timeout`` seconds without any sign of life."""
        now = time.monotonic()
        if server_status != self.server_status:
            self.server_status = server_status
            self.last_sign_of_life = now
            self.emit("queued", position=None, server_status=server_status)
            return
        quiet = now - self.last_sign_of_life
        if quiet >= self.stall_timeout:
            name = self.client.server_name
            raise TimeoutExpired(
                f"prompt {self.prompt_id} has had the status {server_status!r}, which comfyui-skill does not know, "
                f"for {quiet:.0f} s with no progress; it is left as it is on server {name!r}",
                hint=f"follow it again with 'comfyui-skill wait {self.prompt_id}', or allow longer with "
                     f"'comfyui-skill config set servers.{name}.stall_timeout SECONDS'",
                details={"prompt_id": self.prompt_id, "server_status": server_status,
                         "stall_timeout": self.stall_timeout})

    def _started(self) -> None:
        self.seen = "running"
        if self.phase == "pending":
            self.phase = "running"
            self.emit("started")


def stall_timeout_of(server: ServerConfig) -> float:
    """The server's ``stall_timeout`` setting in seconds (default :data:`STALL_TIMEOUT`)."""
    return float(settings.STALL_TIMEOUT.value_of(server))


def announce_previews(stream: Any) -> Any:
    """Tell the server we read preview metadata (as ComfyUI's own frontend does, in the first text
    message): its previews then name their prompt and node (binary frame type 4). Returns ``stream``."""
    try:
        stream.send_json({"type": "feature_flags", "data": {"supports_preview_metadata": True}})
    except ConnectionClosed:
        pass  # the receive that follows finds it closed and reconnects
    return stream
