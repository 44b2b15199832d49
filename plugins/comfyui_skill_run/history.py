"""``history list`` and ``history show``: the local run journal, or the server's jobs with --remote."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comfyui_skill import Context, NotFoundError, Output, Result, UsageError

from . import journal
from .state import from_history
from .workflow import expand

#: jobs API status names and the journal's, both ways.
_SERVER_STATUS = {"pending": "pending", "running": "in_progress", "success": "completed", "error": "failed",
                  "cancelled": "cancelled"}


def history_list(ctx: Context, args: argparse.Namespace) -> Result:
    if args.history_from_server and args.history_batch:
        raise UsageError("--batch lists the local journal; it does not go with --remote")
    return past_runs(ctx, limit=args.history_limit, statuses=args.history_status or (),
                     from_server=args.history_from_server, batch=args.history_batch)


def past_runs(ctx: Context, *, limit: int, statuses: Iterable[str] = (), from_server: bool = False,
              batch: str | None = None) -> Result:
    """Past runs, newest first: the local journal (only the items of ``batch``'s manifest if given),
    or the server's jobs; at most ``limit``, only the given ``statuses`` (none: all)."""
    wanted = set(statuses)
    if from_server:
        rows = _server_jobs(ctx, limit, wanted)
    else:
        entries = journal.entries()
        if batch:
            entries = _of_batch(entries, batch)
        rows = [_summary(entry) for entry in reversed(entries)
                if not wanted or entry.get("status") in wanted][:limit]

    def render(out: Output) -> None:
        batched = any(r.get("item") for r in rows)
        out.table([(r["prompt_id"], r["status"], r.get("server"), _when(r.get("submitted_at")),
                    r.get("elapsed"), *((r.get("item"),) if batched else ()), r.get("workflow")) for r in rows],
                  ("PROMPT", "STATUS", "SERVER", "SUBMITTED", "SECONDS", *(("ITEM",) if batched else ()),
                   "WORKFLOW"), shrink=(6 if batched else 5, 0))

    return Result(data=rows, text=render)


def _of_batch(entries: list[dict[str, Any]], manifest: str) -> list[dict[str, Any]]:
    """The records of the items of the batch of ``manifest`` (however the path is spelled)."""
    wanted = expand(manifest).resolve()
    names = {entry["batch"] for entry in entries if isinstance(entry.get("batch"), str)}
    same = {name for name in names if name == str(wanted) or Path(name).resolve() == wanted}
    return [entry for entry in entries if entry.get("batch") in same]


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal record as a row; ``batch`` (the manifest) and ``item`` are null for a single run."""
    return {key: entry.get(key) for key in ("prompt_id", "status", "server", "workflow", "submitted_at",
                                            "elapsed", "error", "batch", "item")} | {
        "outputs": len(entry.get("outputs") or [])}


def _server_jobs(ctx: Context, limit: int, statuses: set[str]) -> list[dict[str, Any]]:
    """``/api/jobs``, or ``/history`` on servers without the jobs API (newest first)."""
    wanted = ",".join(sorted(_SERVER_STATUS.get(s, s) for s in statuses)) or None
    answer = ctx.client.jobs(limit=limit, status=wanted)
    server = ctx.client.server_name
    if answer is not None:
        reverse = {v: k for k, v in _SERVER_STATUS.items()}
        return [{"prompt_id": job.get("id"), "status": reverse.get(job.get("status"), job.get("status")),
                 "server": server, "submitted_at": (job.get("create_time") or 0) / 1000 or None,
                 "elapsed": _duration(job), "workflow": None, "outputs": job.get("outputs_count")}
                for job in answer.get("jobs") or []]
    rows = []
    for prompt_id, entry in reversed(list((ctx.client.history(max_items=limit) or {}).items())):
        state = from_history(entry)
        if statuses and state.status not in statuses:
            continue
        extra = ((entry.get("prompt") or [None] * 4)[3] or {}) if isinstance(entry.get("prompt"), list) else {}
        rows.append({"prompt_id": prompt_id, "status": state.status, "server": server,
                     "submitted_at": (extra.get("create_time") or 0) / 1000 or None, "elapsed": None,
                     "workflow": None, "outputs": len(entry.get("outputs") or {})})
    return rows


def _duration(job: dict[str, Any]) -> float | None:
    start, end = job.get("execution_start_time"), job.get("execution_end_time")
    return round((end - start) / 1000, 3) if start and end else None


def _when(seconds: float | None) -> str | None:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) if seconds else None


def history_show(ctx: Context, args: argparse.Namespace) -> Result:
    return past_run(ctx, args.prompt_id)


def past_run(ctx: Context, prompt_id: str) -> Result:
    """One run: its journal record, else what the server knows about it."""
    record = journal.find(prompt_id)
    if record is not None:
        data = dict(record)
    else:
        job = ctx.client.job(prompt_id)
        entry = (ctx.client.history(prompt_id) or {}).get(prompt_id)
        if job is None and entry is None:
            raise NotFoundError(f"no run {prompt_id!r} in the journal nor on server {ctx.client.server_name!r}")
        data = {"prompt_id": prompt_id, "server": ctx.client.server_name, "source": "server",
                **({"job": job} if job else {}), **({"history": entry} if entry else {})}

    def render(out: Output) -> None:
        for key in sorted(data):
            value = data[key]
            if key == "outputs" and isinstance(value, list):
                for item in value:
                    out.line(f"{'output':<14} {item.get('path') or item.get('text') or item.get('filename')}")
            elif key.endswith("_at") and isinstance(value, (int, float)):
                out.line(f"{key:<14} {_when(value)}")
            elif not isinstance(value, (dict, list)):
                out.line(f"{key:<14} {value}")

    return Result(data=data, text=render)
