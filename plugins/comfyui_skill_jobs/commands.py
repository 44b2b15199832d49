"""Handlers of ``jobs list``, ``jobs show`` and ``jobs cancel``."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import AuthError, ComfyClient, Context, NotFoundError, Output, Result

from .times import duration, local_time, seconds, span


def _no_jobs_api(client: ComfyClient) -> NotFoundError:
    return NotFoundError(f"server {client.server_name!r} has no jobs API (it needs ComfyUI 0.6 or newer)",
                         hint="'comfyui-skill queue list' shows what is queued and running there")


def _has_jobs_api(client: ComfyClient) -> bool:
    return client.jobs(limit=1) is not None


def _job(client: ComfyClient, job_id: str) -> dict[str, Any]:
    """The job, with plain errors for an unknown id, a server without the API, another user's job."""
    try:
        job = client.job(job_id)
    except AuthError as error:
        if error.details.get("status") != 403:
            raise
        raise AuthError(f"job {job_id} belongs to another account on server {client.server_name!r}",
                        details={"job_id": job_id, "status": 403}) from None
    if job is None:
        if not _has_jobs_api(client):
            raise _no_jobs_api(client)
        raise NotFoundError(f"server {client.server_name!r} has no job {job_id}", details={"job_id": job_id})
    return job


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    """The server's job with its times in seconds: ``created`` and ``duration``."""
    return {**job, "created": seconds(job.get("create_time")), "duration": duration(job)}


def list_jobs(ctx: Context, args: argparse.Namespace) -> Result:
    client = ctx.client
    query = client.backend.jobs_query(status=args.jobs_status, limit=args.jobs_limit, sort=args.jobs_sort,
                                      order="asc" if args.jobs_asc else "desc")
    answer = client.jobs(**query)
    if answer is None:
        raise _no_jobs_api(client)
    jobs = [_summary(job) for job in answer.get("jobs") or [] if isinstance(job, dict)]
    total = (answer.get("pagination") or {}).get("total")

    def render(out: Output) -> None:
        if not jobs:
            out.line("no jobs" + (f" with status {args.jobs_status}" if args.jobs_status else ""))
            return
        out.table([(job.get("id"), job.get("status"), local_time(job["created"], short=True),
                    span(job["duration"]), job.get("outputs_count", "")) for job in jobs],
                  ("ID", "STATUS", "CREATED", "DURATION", "FILES"), shrink=(2,))
        if isinstance(total, int) and total > len(jobs):
            out.line(f"({len(jobs)} of {total}; see more with --limit)")

    return Result(data={"jobs": jobs, "total": total}, text=render)


def show_job(ctx: Context, args: argparse.Namespace) -> Result:
    job = _summary(_job(ctx.client, args.job_id))

    def render(out: Output) -> None:
        out.line(f"{'id':<10} {job.get('id', args.job_id)}")
        out.line(f"{'status':<10} {job.get('status')}")
        out.line(f"{'created':<10} {local_time(job['created'])}")
        out.line(f"{'duration':<10} {span(job['duration'])}")
        error = job.get("execution_error")
        if isinstance(error, dict):
            out.line(f"{'error':<10} {error.get('exception_type', '')}: {error.get('exception_message', '')}"
                     f" (node {error.get('node_id')})")
        files = [item for produced in (job.get("outputs") or {}).values() if isinstance(produced, dict)
                 for items in produced.values() if isinstance(items, list)
                 for item in items if isinstance(item, dict) and "filename" in item]
        for item in files:
            out.line(f"{'output':<10} {item.get('subfolder') + '/' if item.get('subfolder') else ''}"
                     f"{item['filename']} ({item.get('type', 'output')})")

    return Result(data=job, text=render)


def cancel_job(ctx: Context, args: argparse.Namespace) -> Result:
    client = ctx.client
    cancelled = client.cancel_job(args.job_id)
    if cancelled is None:
        if not _has_jobs_api(client):
            raise _no_jobs_api(client)
        raise NotFoundError(f"server {client.server_name!r} has no job {args.job_id}",
                            details={"job_id": args.job_id})
    if cancelled:
        return Result(data={"job_id": args.job_id, "cancelled": True}, text=f"cancelled job {args.job_id}")
    status = _job(client, args.job_id).get("status")
    return Result(data={"job_id": args.job_id, "cancelled": False, "status": status},
                  text=f"job {args.job_id} is {status}; nothing to cancel")
