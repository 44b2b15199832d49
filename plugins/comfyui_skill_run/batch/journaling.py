"""Batch items in the run journal, as single runs are: each submission recorded before its POST and
updated when it ends, so ``history list``, ``wait ID`` and ``status ID`` know a batch item's prompt.

Each record also names the batch (``batch``: the manifest's path) and the item (``item``: its key).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from comfyui_skill import public_url

from .. import journal
from ..workflow import Workflow
from .lane import ACTIVE, Item, Lane


def _identity(manifest: Path, lane: Lane, item: Item) -> dict[str, Any]:
    server = lane.ctx.server
    return {"server": lane.name, "url": public_url(server.url), "kind": server.kind,
            "batch": str(manifest), "item": item.key, "submitted_at": item.submitted_at}


def submitting(manifest: Path, lane: Lane, item: Item, workflow: Workflow) -> None:
    """Before the POST of ``item`` (its prompt id chosen)."""
    assert item.prompt_id is not None
    journal.record(item.prompt_id, **_identity(manifest, lane, item), workflow=workflow.source,
                   args=workflow.overrides, status="submitting")


def renamed(key: str, item: Item) -> None:
    """The server gave the item's job its own id; ``key`` (ours) was the submission's idempotency key."""
    assert item.prompt_id is not None
    journal.rename(key, item.prompt_id, idempotency_key=key)


def queued(item: Item, number: Any) -> None:
    assert item.prompt_id is not None
    journal.record(item.prompt_id, status="queued", number=number)


def reattached(manifest: Path, lane: Lane, item: Item, workflow: str) -> None:
    """A resumed batch follows ``item`` where it was submitted: its record is updated, not duplicated
    (and completed, if the run was killed between the manifest's record and the journal's)."""
    assert item.prompt_id is not None
    fields = {**_identity(manifest, lane, item), "resumed_at": time.time()}
    if journal.latest(item.prompt_id) is None:
        fields.update(workflow=workflow, args=item.params, status=item.status)
    journal.record(item.prompt_id, **fields)


def settled(item: Item) -> None:
    """A resumed batch's item that had ended: its prompt's record is completed from the manifest when
    the run was killed between the manifest's record of the outcome and the journal's."""
    known = journal.latest(item.prompt_id) if item.prompt_id else None
    if known is not None and known.get("status") in ACTIVE:
        fields = {"outputs": item.outputs} if item.status == "success" else {"error": item.error}
        journal.record(item.prompt_id, status=item.status, finished_at=item.finished_at, elapsed=item.elapsed,
                       **fields)


def ended(item: Item, status: str, **fields: Any) -> None:
    """How ``item``'s prompt ended: success, error, cancelled, removed, rejected, lost, or submit_failed (the
    server never had it: the item goes to a server again under a new prompt id)."""
    if item.prompt_id:
        journal.finish(item.prompt_id, status, elapsed=item.elapsed, started_at=item.started_at, **fields)


def detached(item: Item) -> None:
    """Ctrl-C with ``--detach``: left running on its server."""
    if item.prompt_id:
        journal.record(item.prompt_id, status="detached")
