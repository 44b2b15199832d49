"""``/prompt``, ``/queue``, ``/interrupt``, ``/free`` and ``/history``.

Handlers deliberately let malformed bodies raise, as ComfyUI does: aiohttp then answers
``500 Internal Server Error / Server got itself in trouble`` (text/plain).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from aiohttp import web

from .context import CONTEXT, ServerContext
from .jobs import is_job_id
from .prompt_queue import QueueItem
from .validation import apply_node_replacements, error, validate_prompt

routes = web.RouteTableDef()
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")
INVALID_PROMPT_ID = error(
    "invalid_prompt_id", "prompt_id must be a valid UUID",
    "prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one")


def rejected(error_body: dict[str, Any], node_errors: dict[str, Any] | None = None) -> web.Response:
    return web.json_response({"error": error_body, "node_errors": node_errors or {}}, status=400)


@routes.get("/prompt")
async def get_prompt(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].queue_info())


def _next_number(ctx: ServerContext, body: dict[str, Any]) -> int | float:
    if "number" in body:
        return float(body["number"])
    number = ctx.queue.counter
    if "front" in body and body["front"]:
        number = -number
    ctx.queue.counter += 1
    return number


@routes.post("/prompt")
async def post_prompt(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    ctx.logs.info("got prompt")
    body = await request.json()
    number = _next_number(ctx, body)
    if "prompt" not in body:
        return rejected(error("no_prompt", "No prompt provided", "No prompt provided"))
    prompt = body["prompt"]
    prompt_id = body.get("prompt_id")
    if prompt_id is None:
        prompt_id = str(uuid.uuid4())
    elif not is_job_id(prompt_id):
        return rejected(INVALID_PROMPT_ID)
    apply_node_replacements(prompt, ctx.node_replacements, ctx.catalog)
    result = validate_prompt(prompt, body.get("partial_execution_targets"), ctx.catalog, ctx.dirs,
                             ctx.tracebacks["validation"])
    extra_data = body.get("extra_data", {})
    if "client_id" in body:
        extra_data["client_id"] = body["client_id"]
    if "Comfy-Usage-Source" in request.headers:
        extra_data["comfy_usage_source"] = request.headers["Comfy-Usage-Source"]
    if not result.ok:
        return rejected(result.error, result.node_errors)
    sensitive = {key: extra_data.pop(key) for key in SENSITIVE_EXTRA_DATA_KEYS if key in extra_data}
    extra_data["create_time"] = int(time.time() * 1000)
    ctx.queue.put(QueueItem(number, prompt_id, prompt, extra_data, result.outputs, sensitive))
    return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": result.node_errors})


@routes.get("/queue")
async def get_queue(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].queue.snapshot())


@routes.post("/queue")
async def post_queue(request: web.Request) -> web.Response:
    queue = request.app[CONTEXT].queue
    body = await request.json()
    if "clear" in body and body["clear"]:
        queue.wipe()
    if "delete" in body:
        for prompt_id in body["delete"]:
            queue.delete(lambda item, wanted=prompt_id: item.prompt_id == wanted)
    return web.Response()


@routes.post("/interrupt")
async def post_interrupt(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        body = await request.json()
    except json.JSONDecodeError:
        body = {}
    prompt_id = body.get("prompt_id")
    if not prompt_id:
        ctx.logs.info("Global interrupt (no prompt_id specified)")
        ctx.executor.interrupt()
    elif prompt_id == ctx.queue.running_id():
        ctx.logs.info(f"Interrupting prompt {prompt_id}")
        ctx.executor.interrupt()
    else:
        ctx.logs.info(f"Prompt {prompt_id} is not currently running, skipping interrupt")
    return web.Response()


@routes.post("/free")
async def post_free(request: web.Request) -> web.Response:
    await request.json()
    return web.Response()


@routes.get("/history")
async def get_history(request: web.Request) -> web.Response:
    query = request.rel_url.query
    max_items = int(query["max_items"]) if "max_items" in query else None
    offset = int(query["offset"]) if "offset" in query else -1
    return web.json_response(request.app[CONTEXT].queue.get_history(max_items, offset))


@routes.get("/history/{prompt_id}")
async def get_history_entry(request: web.Request) -> web.Response:
    history = request.app[CONTEXT].queue.history
    prompt_id = request.match_info["prompt_id"]
    return web.json_response({prompt_id: history[prompt_id]} if prompt_id in history else {})


@routes.post("/history")
async def post_history(request: web.Request) -> web.Response:
    history = request.app[CONTEXT].queue.history
    body = await request.json()
    if "clear" in body and body["clear"]:
        history.clear()
    if "delete" in body:
        for prompt_id in body["delete"]:
            history.pop(prompt_id, None)
    return web.Response()
