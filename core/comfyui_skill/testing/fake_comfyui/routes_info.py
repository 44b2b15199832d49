"""Read-only server information: stats, features, node catalog, models, subgraphs, templates..."""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any

from aiohttp import web

from .context import CONTEXT
from .files import DATA_DIR, load_data

routes = web.RouteTableDef()
static_routes = web.RouteTableDef()
"""Served by static file routes on ComfyUI, hence without an ``/api`` alias."""
INDEX_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ComfyUI</title></head>
<body><div id="vue-app">Fake ComfyUI 0.33 (test server)</div></body></html>
"""
EMPTY_SUBGRAPH = json.dumps({"revision": 0, "last_node_id": 0, "last_link_id": 0, "nodes": [], "links": [],
                             "groups": [], "definitions": {"subgraphs": []}, "config": {}, "extra": {},
                             "version": 0.4}, indent=2)
"""Only one recorded subgraph body ships; other known ids get this minimal workflow as ``data``."""


@functools.cache
def packaged(name: str) -> Any:
    """A packaged fixture that needs no path substitution (shared: callers must not mutate it)."""
    return load_data(name)


@routes.get("/system_stats")
async def system_stats(request: web.Request) -> web.Response:
    stats = copy.deepcopy(packaged("system_stats.json"))
    stats["system"]["argv"] = ["main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(request.app[CONTEXT].port)]
    return web.json_response(stats)


@routes.get("/features")
async def features(request: web.Request) -> web.Response:
    return web.json_response(server_features(request.app))


def server_features(app: web.Application) -> dict[str, Any]:
    features = {**copy.deepcopy(packaged("features.json")), "max_upload_size": app[CONTEXT].config.max_upload_size}
    manager = app[CONTEXT].manager
    if manager is not None and manager.state.is_v4:  # --enable-manager (Manager >= 4.2.1)
        features["extension"]["manager"]["supports_csrf_post"] = True
    return features


@routes.get("/object_info")
async def object_info(request: web.Request) -> web.Response:
    return web.Response(body=request.app[CONTEXT].catalog.json_bytes(), content_type="application/json",
                        charset="utf-8")


@routes.get("/object_info/{node_class}")
async def object_info_class(request: web.Request) -> web.Response:
    name = request.match_info["node_class"]
    info = request.app[CONTEXT].catalog.get(name)
    return web.json_response({name: info} if info is not None else {})


@routes.get("/models")
async def model_folders(request: web.Request) -> web.Response:
    return web.json_response(list(request.app[CONTEXT].models))


@routes.get("/models/{folder}")
async def model_files(request: web.Request) -> web.Response:
    models = request.app[CONTEXT].models
    folder = request.match_info["folder"]
    return web.json_response(list(models[folder])) if folder in models else web.Response(status=404)


@routes.get("/embeddings")
async def embeddings(request: web.Request) -> web.Response:
    return web.json_response([os.path.splitext(name)[0] for name in request.app[CONTEXT].models.get("embeddings", [])])


def _experiment_folders(request: web.Request) -> list[dict[str, Any]]:
    return load_data("experiment_models.json", request.app[CONTEXT].dirs.base)


@routes.get("/experiment/models")
async def experiment_models(request: web.Request) -> web.Response:
    return web.json_response(_experiment_folders(request))


@routes.get("/experiment/models/{folder}")
async def experiment_model_files(request: web.Request) -> web.Response:
    folder = request.match_info["folder"]
    if folder not in {entry["name"] for entry in _experiment_folders(request)}:
        return web.Response(status=404)
    files = request.app[CONTEXT].models.get(folder, [])
    return web.json_response([{"name": name, "pathIndex": 0} for name in files])


@routes.get("/view_metadata/{folder}")
async def view_metadata(request: web.Request) -> web.Response:
    files = request.app[CONTEXT].models.get(request.match_info["folder"], [])
    if request.rel_url.query.get("filename") not in files:
        return web.Response(status=404)
    return web.json_response({})


@routes.get("/node_replacements")
async def node_replacements(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].node_replacements)


@routes.get("/global_subgraphs")
async def global_subgraphs(request: web.Request) -> web.Response:
    return web.json_response(packaged("global_subgraphs.json")["index"])


@routes.get("/global_subgraphs/{subgraph_id}")
async def global_subgraph(request: web.Request) -> web.Response:
    subgraphs = packaged("global_subgraphs.json")
    subgraph_id = request.match_info["subgraph_id"]
    if subgraph_id not in subgraphs["index"]:
        return web.json_response(None)
    return web.json_response({**subgraphs["index"][subgraph_id],
                              "data": subgraphs["data"].get(subgraph_id, EMPTY_SUBGRAPH)})


@routes.get("/workflow_templates")
async def workflow_templates(request: web.Request) -> web.Response:
    return web.json_response({})


@routes.get("/extensions")
async def extensions(request: web.Request) -> web.Response:
    return web.json_response(packaged("extensions.json"))


@routes.get("/i18n")
async def i18n(request: web.Request) -> web.Response:
    return web.json_response({})


@routes.get("/api/assets")
async def assets(request: web.Request) -> web.Response:
    return web.json_response({"error": {
        "code": "SERVICE_DISABLED",
        "message": "Assets system is disabled. Start the server with --enable-assets to use this feature.",
        "details": {}}}, status=503)


@static_routes.get("/")
async def index(request: web.Request) -> web.Response:
    return web.Response(text=INDEX_HTML, content_type="text/html")


@static_routes.get("/templates/index.json")
async def templates_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(DATA_DIR / "templates_index.json",
                            headers={"Content-Type": "application/json", "Cache-Control": "no-store"})


def not_found() -> web.Response:
    """What the frontend's static route answers for any unknown GET."""
    return web.Response(status=404, body=b"", content_type="application/octet-stream")


@static_routes.get("/{tail:.*}")
async def fallback(request: web.Request) -> web.Response:
    """Registered last: unknown GETs are 404, other methods on unknown paths get aiohttp's 405."""
    return not_found()
