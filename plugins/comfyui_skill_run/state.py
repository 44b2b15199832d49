"""Where a prompt stands on the server, asked over HTTP: jobs API first, then /history and /queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from comfyui_skill import ComfyClient, NotFoundError

TERMINAL = ("success", "error", "cancelled")
_JOB_STATUS = {"pending": "pending", "in_progress": "running", "completed": "success",
               "failed": "error", "cancelled": "cancelled"}


@dataclass
class JobState:
    """``status`` is pending, running, success, error, cancelled, unknown, or in_flight: the jobs API
    answered a status outside its documented vocabulary (``server_status``), taken as not finished."""

    status: str
    position: int | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    #: Images that arrived only over the WebSocket (SaveImageWebsocket): OutputItems with ``data``.
    streamed: list[Any] = field(default_factory=list)
    server_status: str | None = None
    #: While pending: the prompts running ahead of it. Should it vanish, a server that still knows one
    #: of them did not restart: the prompt was removed from the queue (see :class:`~.follow.Follower`).
    running_ahead: tuple[str, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def elapsed(self) -> float | None:
        """Seconds it ran, when the server said when it started and ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round(self.finished_at - self.started_at, 3)


def removed_from_queue(client: ComfyClient, witnesses: Iterable[str]) -> bool:
    """Whether a prompt that waited in the queue and is now unknown to the server was removed from the
    queue (``queue clear``, another client's delete) rather than forgotten by a restart: the server
    still knows one of ``witnesses``, prompts it knew while ours waited (one running ahead of it, or
    one that ran before it was sent), so it did not restart since (a restart forgets them too: ComfyUI
    keeps queue and history in memory, and a deleted prompt never reaches history). May raise
    UnreachableError."""
    return any(probe(client, other).status != "unknown" for other in witnesses)


def probe(client: ComfyClient, prompt_id: str) -> JobState:
    """One look at the server. ``unknown`` means neither queue nor history knows the id."""
    job = client.job(prompt_id)
    if job is None and client.jobs_are_authoritative:
        return JobState("unknown")
    raw = (job or {}).get("status")
    status = _JOB_STATUS.get(str(raw))
    if status is None and isinstance(raw, str) and raw:
        return JobState("in_flight", server_status=raw)
    if status == "running":
        return JobState("running")
    if status == "pending" and "queue_position" in job:  # a job that tells its place (Comfy API v2)
        return JobState("pending", position=job["queue_position"])
    if status != "pending":
        entry = history_entry(client, prompt_id)
        if entry is not None:
            return from_history(entry)
        if status in TERMINAL:
            return from_job(job or {}, status)
    return from_queue(client.queue(), prompt_id)


def history_entry(client: ComfyClient, prompt_id: str) -> dict[str, Any] | None:
    """The prompt's ``/history`` entry; None while there is none, or where the server has no
    ``GET /history/{id}`` (Comfy Cloud: its jobs API is the only record)."""
    try:
        entry = (client.history(prompt_id) or {}).get(prompt_id)
    except NotFoundError:
        return None
    return entry if isinstance(entry, dict) else None


def _dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``{}``: a broken server's records are read defensively."""
    return value if isinstance(value, dict) else {}


def from_history(entry: dict[str, Any]) -> JobState:
    status_info = _dict(entry.get("status"))
    raw_messages = status_info.get("messages")
    messages = {item[0]: item[1] for item in raw_messages if isinstance(item, (list, tuple)) and len(item) == 2
                and isinstance(item[0], str) and isinstance(item[1], dict)} if isinstance(raw_messages, list) else {}
    outputs = _dict(entry.get("outputs"))
    times = {"started_at": _seconds((messages.get("execution_start") or {}).get("timestamp"))}
    if "execution_interrupted" in messages:
        return JobState("cancelled", outputs=outputs, error=messages["execution_interrupted"], **times)
    if "execution_error" in messages or status_info.get("status_str") == "error":
        return JobState("error", outputs=outputs, error=messages.get("execution_error") or {}, **times)
    end = messages.get("execution_success") or {}
    return JobState("success", outputs=outputs, finished_at=_seconds(end.get("timestamp")), **times)


def from_job(job: dict[str, Any], status: str) -> JobState:
    return JobState(status, outputs=_dict(job.get("outputs")), error=_dict(job.get("execution_error")) or None,
                    started_at=_seconds(job.get("execution_start_time")),
                    finished_at=_seconds(job.get("execution_end_time")))


def from_queue(queue: dict[str, Any], prompt_id: str) -> JobState:
    running = [_item_id(item) for item in queue.get("queue_running") or []]
    if prompt_id in running:
        return JobState("running")
    pending = sorted((item for item in queue.get("queue_pending") or [] if isinstance(item, list) and item),
                     key=lambda item: item[0] if isinstance(item[0], (int, float)) else 0)
    for index, item in enumerate(pending):
        if _item_id(item) == prompt_id:
            return JobState("pending", position=index + 1,
                            running_ahead=tuple(i for i in running if isinstance(i, str)))
    return JobState("unknown")


def is_running(client: ComfyClient, prompt_id: str) -> bool:
    return from_queue(client.queue(), prompt_id).status == "running"


def _item_id(item: Any) -> Any:
    return item[1] if isinstance(item, list) and len(item) > 1 else None


def _seconds(ms: Any) -> float | None:
    return ms / 1000 if isinstance(ms, (int, float)) else None
