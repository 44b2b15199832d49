"""The ``/internal`` sub-application (mounted without an ``/api`` alias)."""

from __future__ import annotations

from aiohttp import web

from .context import CONTEXT
from .files import DIR_TYPES, load_data, top_level_files

routes = web.RouteTableDef()


@routes.get("/logs")
async def logs(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].logs.text())


@routes.get("/logs/raw")
async def logs_raw(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].logs.raw())


@routes.patch("/logs/subscribe")
async def subscribe_logs(request: web.Request) -> web.Response:
    body = await request.json()
    subscribers = request.app[CONTEXT].logs.subscribers
    if body["enabled"]:
        subscribers.add(body["clientId"])
    else:
        subscribers.discard(body["clientId"])
    return web.Response()


@routes.get("/folder_paths")
async def folder_paths(request: web.Request) -> web.Response:
    return web.json_response(load_data("folder_paths.json", request.app[CONTEXT].dirs.base))


@routes.get("/files/{directory_type}")
async def files(request: web.Request) -> web.Response:
    kind = request.match_info["directory_type"]
    if kind not in DIR_TYPES:
        return web.json_response({"error": "Invalid directory type"}, status=400)
    entries = top_level_files(request.app[CONTEXT].dirs.by_type(kind))
    return web.json_response([f"{entry.name} [{kind}]" for entry in entries])
