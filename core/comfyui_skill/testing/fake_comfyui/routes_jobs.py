"""The jobs API, registered (like on ComfyUI) only under ``/api/jobs``."""

from __future__ import annotations

import json

from aiohttp import web

from .context import CONTEXT, ServerContext
from .jobs import SORT_KEYS, STATUSES, all_jobs, find_job, is_job_id, sort_jobs

routes = web.RouteTableDef()


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _lists(ctx: ServerContext) -> tuple[list, list, dict]:
    snapshot = ctx.queue.snapshot()
    return snapshot["queue_running"], snapshot["queue_pending"], ctx.queue.history


@routes.get("/api/jobs")
async def list_jobs(request: web.Request) -> web.Response:
    query = request.rel_url.query
    statuses = list(STATUSES)
    if "status" in query:
        statuses = [status.strip() for status in query["status"].split(",") if status.strip()]
        invalid = [status for status in statuses if status not in STATUSES]
        if invalid:
            return _bad(f"Invalid status value(s): {', '.join(invalid)}. Valid values: {', '.join(STATUSES)}")
    sort_by = query.get("sort_by", "created_at")
    if sort_by not in SORT_KEYS:
        return _bad("sort_by must be 'created_at' or 'execution_duration'")
    sort_order = query.get("sort_order", "desc")
    if sort_order not in ("asc", "desc"):
        return _bad("sort_order must be 'asc' or 'desc'")
    limit = None
    if "limit" in query:
        try:
            limit = int(query["limit"])
        except ValueError:
            return _bad("limit must be an integer")
        if limit <= 0:
            return _bad("limit must be a positive integer")
    try:
        offset = max(0, int(query.get("offset", 0)))
    except ValueError:
        return _bad("offset must be an integer")
    jobs = sort_jobs(all_jobs(*_lists(request.app[CONTEXT]), statuses, query.get("workflow_id")), sort_by, sort_order)
    page = jobs[offset:offset + limit] if limit is not None else jobs[offset:]
    return web.json_response({"jobs": page, "pagination": {
        "offset": offset, "limit": limit, "total": len(jobs), "has_more": offset + len(page) < len(jobs)}})


@routes.get("/api/jobs/{job_id}")
async def get_job(request: web.Request) -> web.Response:
    job = find_job(request.match_info["job_id"], *_lists(request.app[CONTEXT]))
    if job is None:
        return web.json_response({"error": "Job not found"}, status=404)
    return web.json_response(job)


def cancel(ctx: ServerContext, job_id: str) -> bool:
    """Interrupt the job if it runs, dequeue it if it waits; False for anything else."""
    if job_id == ctx.queue.running_id():
        ctx.executor.interrupt()
        return True
    return ctx.queue.delete(lambda item: item.prompt_id == job_id)


@routes.post("/api/jobs/{job_id}/cancel")
async def cancel_job(request: web.Request) -> web.Response:
    return web.json_response({"cancelled": cancel(request.app[CONTEXT], request.match_info["job_id"])})


@routes.post("/api/jobs/cancel")
async def cancel_jobs(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return _bad("Request body must be valid JSON")
    job_ids = body.get("job_ids")
    if not isinstance(job_ids, list):
        return _bad("job_ids must be a list")
    invalid = [str(job_id) for job_id in job_ids if not is_job_id(job_id)]
    if invalid:
        return web.json_response({"error": "job_ids contains invalid id(s)", "invalid_ids": invalid}, status=400)
    ctx = request.app[CONTEXT]
    results = [cancel(ctx, job_id) for job_id in job_ids]
    return web.json_response({"cancelled": any(results)})
