"""One server of a batch: its in-flight prompts, its limit, and one WebSocket read on its own thread.

The socket (one client id per server, opened before the first POST) only brings news early; the
engine asks the server itself (``/queue``, then ``/history``) on a timer, so a lost message or a
dropped socket can delay an item but never lose it.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from comfyui_skill import AuthError, ComfyClient, ConnectionClosed, UnreachableError, new_client_id, public_url

from ..follow import stall_timeout_of
from .servers import ServerContext

#: Server messages the engine cares about, as (kind of news) for the engine.
NEWS = {"execution_start": "started", "execution_success": "success", "execution_error": "error",
        "execution_interrupted": "interrupted"}
RECEIVE_SLICE = 0.25
RECONNECT_DELAY = 0.5
#: Sockets in a row that close before bringing any message, after which the server is only polled
#: (one that sends an oversized frame on every socket would otherwise be reconnected to endlessly).
MAX_DROPS = 5

#: the statuses of an item (and of its prompt in the run journal) that has not ended
ACTIVE = ("submitting", "queued", "running")


@dataclass
class Item:
    """One parameter set of the batch and where it stands."""

    index: int
    key: str
    params: dict[str, Any]
    folder: str
    status: str = "pending"
    server: str | None = None
    prompt_id: str | None = None
    moves: int = 0
    unknown: int = 0
    submitted_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: A status outside the known vocabulary the server reports (see Engine._watch_stall), and since when
    #: the item has shown no sign of life.
    server_status: str | None = None
    quiet_since: float = 0.0
    #: While its prompt waits in the queue: the prompts running ahead of it (should it vanish while the
    #: server still knows one of them, it was removed from the queue: see ``state.removed_from_queue``).
    running_ahead: tuple[str, ...] = ()
    #: Its prompt finished but the server went away before the outputs were downloaded.
    finished_remotely: bool = False
    #: The outputs of its prompt already saved, for a download started over (see ``download_all``).
    ready_outputs: dict[tuple, tuple[str | None, bool, bool]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"item": self.key, "status": self.status, "server": self.server, "prompt_id": self.prompt_id,
                "params": self.params, "folder": self.folder, "moved": self.moves, "error": self.error,
                "outputs": self.outputs, "elapsed": self.elapsed}

    @property
    def elapsed(self) -> float | None:
        start = self.started_at or self.submitted_at
        return round(self.finished_at - start, 3) if start and self.finished_at else None


class Lane:
    """A server of the batch. Only the engine's thread touches it, except its :class:`SocketReader`."""

    def __init__(self, ctx: ServerContext, limit: int, client_id: str | None = None) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.name = ctx.server.name
        self.limit = limit
        self.client_id = client_id or new_client_id()
        self.inflight: dict[str, Item] = {}
        self.alive = True
        self.connected = False
        self.failures = 0  # failed requests in a row, the first at failing_since
        self.failing_since = 0.0
        self.next_check = 0.0
        self.resting_until = 0.0  # no submission before (a pause after trouble or a 429)
        self.throttles = 0  # submissions answered 429/502-504 in a row
        self.throttle_slot = False  # the last 429 gave no Retry-After while prompts of ours ran there
        self.stall_timeout = stall_timeout_of(ctx.server)
        self.extra_data: dict[str, str] = {}
        self.counts = {"done": 0, "failed": 0, "moved": 0}
        self.reader: SocketReader | None = None

    @property
    def downloads(self) -> ComfyClient:
        """The client for output files (the server's ``read_timeout``, not the batch's shorter one)."""
        return self.ctx.downloads

    @property
    def free(self) -> int:
        return self.limit - len(self.inflight) if self.alive else 0

    def describe(self) -> dict[str, Any]:
        server = self.ctx.server
        return {"name": self.name, "url": public_url(server.url), "kind": server.kind, "one_off": server.one_off,
                "client_id": self.client_id}

    def start(self, news: queue.Queue) -> None:
        """Open the socket now (before any POST of ours), then keep reading it in the background."""
        self.reader = SocketReader(self, news)
        self.reader.stream = self.reader.connect()
        self.connected = self.reader.stream is not None
        self.reader.start()

    def watch(self, prompt_id: str, news: queue.Queue) -> None:
        """Follow one submitted prompt's own event stream, where the server has one per job (Comfy API
        v2's SSE): its end is news at once, instead of at the next look at the server."""
        stream = self.client.job_events(prompt_id)
        if stream is not None:
            threading.Thread(target=_pass_on, args=(self, stream, prompt_id, news), daemon=True,
                             name=f"batch-job-{prompt_id[:8]}").start()

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.halt.set()

    def close(self) -> None:
        self.stop()
        self.ctx.close()


class SocketReader(threading.Thread):
    """Reads one server's WebSocket and passes the news of prompts on as (lane, kind, prompt_id, data)."""

    def __init__(self, lane: Lane, news: queue.Queue) -> None:
        super().__init__(name=f"batch-ws-{lane.name}", daemon=True)
        self.lane = lane
        self.news = news
        self.halt = threading.Event()
        self.stream: Any = None

    def connect(self) -> Any:
        try:
            return self.lane.client.open_events(self.lane.client_id)
        except (UnreachableError, AuthError):
            return None

    def run(self) -> None:
        drops = 0  # sockets in a row closed without a message
        try:
            while not self.halt.is_set():
                if self.stream is None:
                    self.stream = self.connect()
                    if self.stream is None:
                        self.halt.wait(RECONNECT_DELAY)
                        continue
                    self.news.put((self.lane, "connected", None, {}))
                try:
                    message = self.stream.receive(RECEIVE_SLICE)
                except ConnectionClosed:
                    self.stream = None
                    self.news.put((self.lane, "disconnected", None, {}))
                    drops += 1
                    if drops >= MAX_DROPS:
                        return  # the engine polls this server from now on
                    continue
                if message is None:
                    continue
                drops = 0
                data = message.data
                if message.type == "executing" and data.get("node") is None and data.get("prompt_id"):
                    self.news.put((self.lane, "ended", data["prompt_id"], data))
                elif message.type in NEWS:
                    self.news.put((self.lane, NEWS[message.type], data.get("prompt_id"), data))
        finally:
            if self.stream is not None:
                self.stream.close()


def _pass_on(lane: Lane, stream: Any, prompt_id: str, news: queue.Queue) -> None:
    """A job's stream as news: ``started``, then ``ended`` when it ends (the engine then asks the server)."""
    try:
        while lane.alive:
            message = stream.receive(RECEIVE_SLICE)
            if message is not None and message.type == "execution_start":
                news.put((lane, "started", prompt_id, {}))
            elif message is not None and message.type == "executing" and message.data.get("node") is None:
                break
    except ConnectionClosed:
        pass
    finally:
        stream.close()
    news.put((lane, "ended", prompt_id, {}))
