"""``status``: where each prompt stands (queue position, running node and steps, verdict, outputs).

The exit code is the worst of the prompts: 5 if any failed, else 4 if any was rejected, else 12 if
any was lost, else 11 if any was cancelled or removed from the queue, else 7 if any is unknown, else 0
(the codes a ``run`` of it exits with). One prompt gives one JSON object, several a list. What it learns
of a journaled prompt (running, or how it ended) updates the prompt's journal record.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from comfyui_skill import CliError, ComfyClient, Context, ExitCode, NotFoundError, Output, Result, plural

from . import journal
from .execute import describe_failure
from .live import class_types, overhear
from .lookup import lookup
from .outputs import collect
from .progress import bar
from .state import probe

#: Exit codes by status, worst first: (status, exit code, error code, said of one prompt, of several).
VERDICTS = (("error", ExitCode.EXECUTION_FAILED, "execution_failed", "failed", "failed"),
            ("rejected", ExitCode.REJECTED, "rejected", "was rejected", "were rejected"),
            ("lost", ExitCode.LOST, "lost", "was lost by its server", "were lost by their server"),
            ("cancelled", ExitCode.CANCELLED, "cancelled", "was cancelled", "were cancelled"),
            ("removed", ExitCode.CANCELLED, "cancelled", "was removed from the queue", "were removed from the queue"),
            ("not_found", ExitCode.NOT_FOUND, "not_found", "is unknown", "are unknown"))
#: Temporary previews named in the text of ``status`` (``--json`` lists them all).
PREVIEWS_SHOWN = 3


def status(ctx: Context, args: argparse.Namespace) -> Result:
    return statuses(ctx, args.prompt_ids)


def statuses(ctx: Context, prompt_ids: Sequence[str]) -> Result:
    """Where each prompt stands; one JSON object for one prompt, a list for several."""
    rows: list[dict[str, Any]] = []
    running: dict[str, tuple[ComfyClient, list[dict[str, Any]]]] = {}
    for given in prompt_ids:
        prompt_id, record, client = lookup(ctx, given)
        try:
            row = _row(client, prompt_id, record)
        except NotFoundError:
            if len(prompt_ids) == 1:
                raise
            row = {"prompt_id": prompt_id, "status": "not_found", "server": client.server_name, "source": None,
                   "error": f"server {client.server_name!r} does not know prompt {prompt_id}"}
        rows.append(row)
        if row["status"] == "running":
            running.setdefault(client.server_name, (client, []))[1].append(row)
    for client, waiting in running.values():
        _add_progress(client, waiting)
    data: Any = rows[0] if len(rows) == 1 else rows
    return Result(data=data, text=lambda out: _render(out, rows), **_verdict(rows))


def _row(client: ComfyClient, prompt_id: str, record: dict[str, Any] | None) -> dict[str, Any]:
    state = probe(client, prompt_id)
    if state.status == "unknown":
        if record is None or record.get("status") not in journal.TERMINAL:
            raise NotFoundError(f"server {client.server_name!r} does not know prompt {prompt_id}",
                                details={"prompt_id": prompt_id})
        return {"prompt_id": prompt_id, "status": record["status"], "error": record.get("error"),
                "source": "journal", "server": client.server_name}
    error = describe_failure(state.error or {})["message"] if state.status == "error" else None
    if record is not None:
        journal.learn(prompt_id, state.status, error=error, elapsed=state.elapsed)
    return {"prompt_id": prompt_id, "status": state.status, "server": client.server_name,
            "server_status": state.server_status, "position": state.position, "progress": None,
            "error": error, **_outputs(state.outputs), "source": "server"}


def _add_progress(client: ComfyClient, rows: list[dict[str, Any]]) -> None:
    """Each running prompt's node and steps, if the server lets a fresh socket overhear them."""
    heard = overhear(client, [row["prompt_id"] for row in rows])
    graphs = class_types(client, heard) if heard else {}
    for row in rows:
        progress = heard.get(row["prompt_id"])
        if progress:
            progress["class_type"] = graphs.get(row["prompt_id"], {}).get(progress["node"])
            row["progress"] = progress


def _verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    for status, exit_code, code, one, several in VERDICTS:
        matching = [row["prompt_id"] for row in rows if row["status"] == status]
        if matching:
            message = (f"prompt {matching[0]} {one}" if len(rows) == 1
                       else f"{len(matching)} of {len(rows)} prompts {several}")
            return {"exit_code": exit_code, "error": CliError(message, code=code, details={"prompt_ids": matching})}
    return {}


def _render(out: Output, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        line = f"{row['prompt_id']}  {row['status']}"
        if row.get("server_status"):
            line += f" (the server says {row['server_status']!r})"
        if row.get("position"):
            line += f" (position {row['position']} in the queue)"
        progress = row.get("progress")
        if progress:
            line += f"  node {progress['node']}" + (f" ({progress['class_type']})" if progress["class_type"] else "")
            if isinstance(progress["value"], (int, float)) and isinstance(progress["max"], (int, float)):
                steps = f"{progress['value']:g}/{progress['max']:g}"
                drawn = f"  {bar(progress['value'], progress['max'])} {steps}"
                line += drawn if len(line) + len(drawn) <= out.width else f"  {steps}"  # the bar only if it fits
        out.line(line)
        if row.get("error"):
            out.line(f"  {row['error']}")
        names = row.get("outputs") or []
        first_preview = len(names) - row.get("temp_outputs", 0)
        saved, previews = names[:first_preview], names[first_preview:]
        for name in saved:
            out.line(f"  {name}")
        if previews:
            more = len(previews) - PREVIEWS_SHOWN
            out.line(f"  {plural(len(previews), 'temporary preview')}: {', '.join(previews[:PREVIEWS_SHOWN])}"
                     + (f" and {more} more (--json lists them all)" if more > 0 else ""))


def _outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """``outputs``: the names of the prompt's outputs, its temporary previews last; ``temp_outputs``: how many
    of them are previews (the server deletes them when it restarts)."""
    items = sorted(collect(outputs, include_temp=True), key=lambda item: item.type == "temp")
    names = ["/".join(p for p in (i.subfolder, i.filename) if p) if i.text is None else f"text: {i.text}"
             for i in items]
    return {"outputs": names, "temp_outputs": sum(item.type == "temp" for item in items)}
