"""The local run journal: JSON lines, append-only, keyed by prompt id (the last record wins).

Every submission is recorded before its POST and updated when it ends, so a run killed halfway can
be resumed with ``wait ID`` and listed by ``history list``. Records hold no secrets: the server is
kept by name and by a URL stripped of credentials and query.

An update reads the prompt's latest record, merges and appends, all under a lock: a thread lock
(a batch writes from its threads) and an exclusive ``flock`` on the journal (another process, e.g.
``wait ID`` while a batch runs, may update the same prompt), so no update is lost or cut into another.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from comfyui_skill import data_dir

try:
    import fcntl
except ImportError:  # Windows: the thread lock still orders this process's writers
    fcntl = None  # type: ignore[assignment]

FILE_NAME = "journal.jsonl"
TERMINAL = ("success", "error", "cancelled", "removed", "lost", "rejected")
_LOCK = threading.Lock()


def path() -> Path:
    return data_dir() / FILE_NAME


def record(prompt_id: str, **fields: Any) -> dict[str, Any]:
    """Append an update for ``prompt_id`` (merged over what is known); returns the merged record."""
    merged = _merge(prompt_id, fields, create=True)
    assert merged is not None
    return merged


def update(prompt_id: str, **fields: Any) -> dict[str, Any] | None:
    """Like :func:`record`, for a prompt already journaled only: None (nothing written) for any other,
    so what a command learns of a prompt sent from elsewhere never enters the journal."""
    return _merge(prompt_id, fields, create=False)


def _merge(prompt_id: str, fields: dict[str, Any], *, create: bool) -> dict[str, Any] | None:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released by close()
            known = latest(prompt_id)
            if known is None and not create:
                return None
            merged = {**(known or {}), **fields, "prompt_id": prompt_id, "updated_at": time.time()}
            _write_all(fd, (json.dumps(merged, default=str, separators=(",", ":")) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    return merged


def _write_all(fd: int, data: bytes) -> None:
    """``data`` to ``fd``; a short write (a full disk, a signal) is continued, under the lock."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _lines() -> Iterator[dict[str, Any]]:
    try:
        handle = path().open(encoding="utf-8", errors="replace")  # a crash may leave any bytes
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            entry = _decode(line)
            if entry is not None:
                yield entry


def _decode(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None  # a line cut short by a crash
    return entry if isinstance(entry, dict) and isinstance(entry.get("prompt_id"), str) else None


def latest(prompt_id: str) -> dict[str, Any] | None:
    """The latest record of exactly ``prompt_id``, read from the end of the journal: the records of
    a prompt being run are its last lines, so a journal of years of runs is not read on every update."""
    needle = prompt_id.encode("utf-8")
    for line in _lines_from_the_end():
        if needle in line:
            entry = _decode(line.decode("utf-8", errors="replace"))
            if entry is not None and entry["prompt_id"] == prompt_id:
                return entry
    return None


def _lines_from_the_end(block: int = 64 * 1024) -> Iterator[bytes]:
    """The journal's lines, last first (a line longer than ``block`` is read over several blocks)."""
    try:
        handle = path().open("rb")
    except FileNotFoundError:
        return
    with handle:
        end = handle.seek(0, os.SEEK_END)
        rest = b""  # the start of a line that began in the block before
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            lines = (handle.read(end - start) + rest).split(b"\n")
            rest = lines.pop(0) if start else b""
            yield from reversed(lines)
            end = start


def entries() -> list[dict[str, Any]]:
    """Every run, latest state of each, oldest submission first."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in _lines():
        latest.pop(entry["prompt_id"], None)
        latest[entry["prompt_id"]] = entry
    return sorted((e for e in latest.values() if e.get("status") != "renamed"), key=lambda e: e.get("submitted_at") or 0)


def ran_before(record: dict[str, Any], limit: int = 3) -> list[str]:
    """The latest prompts sent from here to ``record``'s server before it that ran there (they are in its
    history): while the server still knows one, it has not restarted since ``record`` was sent."""
    sent = record.get("submitted_at") or 0
    return [entry["prompt_id"] for entry in entries() if entry.get("url") == record.get("url")
            and entry.get("status") in ("success", "error") and (entry.get("submitted_at") or 0) < sent][-limit:]


def rename(old_id: str, new_id: str, **fields: Any) -> dict[str, Any]:
    """Move a prompt's record to the id the server gave it (``fields`` added); the old id's record
    ends as ``renamed`` (pointing at the new one), which listings skip."""
    merged = record(new_id, **{k: v for k, v in (latest(old_id) or {}).items() if k not in ("prompt_id", "updated_at")},
                    **fields)
    record(old_id, status="renamed", renamed_to=new_id)
    return merged


def finish(prompt_id: str, status: str, *, elapsed: float | None = None, **fields: Any) -> dict[str, Any] | None:
    """Record how a journaled prompt ended (None, and nothing written, for a prompt never journaled).
    Seeing the same end again (``wait`` on a finished prompt) keeps the first record's timing: the
    prompt did not run again."""
    known = latest(prompt_id) or {}
    if known.get("status") == status and known.get("finished_at"):
        return update(prompt_id, **fields)
    return update(prompt_id, status=status, finished_at=time.time(), elapsed=elapsed, **fields)


def learn(prompt_id: str, status: str, **fields: Any) -> None:
    """What a command (``status``, ``cancel``) learnt from the server about a journaled prompt: its row
    follows when the status changed (running, or an end; a pending prompt stays ``queued``)."""
    known = latest(prompt_id)
    if known is None or known.get("status") == status or status not in (*TERMINAL, "running"):
        return
    if status in TERMINAL:
        finish(prompt_id, status, **fields)
    else:
        update(prompt_id, status=status, **fields)


def find(prompt_id: str) -> dict[str, Any] | None:
    """The latest record of a prompt id (or of the one id starting with that prefix)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in _lines():
        if entry["prompt_id"].startswith(prompt_id):
            found[entry["prompt_id"]] = entry
    renamed = found.get(prompt_id, {}).get("renamed_to")
    if renamed:  # a submission's key: the server's own id is the prompt's name
        return find(renamed)
    found = {key: entry for key, entry in found.items() if entry.get("status") != "renamed"}
    if prompt_id in found:
        return found[prompt_id]
    return next(iter(found.values())) if len(found) == 1 else None
