"""User data (saved workflows...), ``/v2/userdata``, ``/users`` and ``/settings`` (single-user mode)."""

from __future__ import annotations

import glob
import json
import os
import shutil
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .context import CONTEXT
from .files import is_within

routes = web.RouteTableDef()
SETTINGS_FILE = "comfy.settings.json"


def user_path(request: web.Request, file: str | None, create_dir: bool = True) -> str | None:
    """ComfyUI's ``get_request_user_filepath``: None when ``file`` escapes the user directory."""
    user_root = str(request.app[CONTEXT].dirs.user)
    path = user_root
    if file is not None:
        path = os.path.abspath(os.path.join(user_root, unquote(file) if "%" in file else file))
        if not is_within(user_root, path):
            return None
    parent = os.path.dirname(path)
    if create_dir and not os.path.exists(parent):
        os.makedirs(parent, exist_ok=True)
    return path


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def _file_info(path: str, root: str) -> dict[str, Any]:
    return {"path": _relative(path, root), "size": os.path.getsize(path),
            "modified": int(os.path.getmtime(path) * 1000), "created": int(os.path.getctime(path) * 1000)}


def _request_file(request: web.Request, param: str = "file", must_exist: bool = False) -> str | web.Response:
    path = user_path(request, request.match_info[param])
    if path is None:
        return web.Response(status=403)
    if must_exist and not os.path.exists(path):
        return web.Response(status=404)
    return path


def _saved(request: web.Request, path: str) -> web.Response:
    root = user_path(request, None)
    full_info = request.rel_url.query.get("full_info", "false").lower() == "true"
    return web.json_response(_file_info(path, root) if full_info else os.path.relpath(path, root))


def _overwrite_refused(request: web.Request, path: str) -> web.Response | None:
    if request.rel_url.query.get("overwrite", "true") == "false" and os.path.exists(path):
        return web.Response(status=409, text="File already exists")
    return None


@routes.get("/userdata")
async def list_userdata(request: web.Request) -> web.Response:
    query = request.rel_url.query
    directory = query.get("dir", "")
    if not directory:
        return web.Response(status=400, text="Directory not provided")
    path = user_path(request, directory)
    if not path:
        return web.Response(status=403, text="Invalid directory")
    if not os.path.exists(path):
        return web.Response(status=404, text="Directory not found")
    recurse = query.get("recurse", "").lower() == "true"
    full_info = query.get("full_info", "").lower() == "true"
    split = query.get("split", "").lower() == "true"
    pattern = os.path.join(glob.escape(path), "**", "*") if recurse else os.path.join(glob.escape(path), "*")
    results: list[Any] = []
    for found in sorted(glob.glob(pattern, recursive=recurse)):
        if os.path.isfile(found):
            relative = _relative(found, path)
            results.append(_file_info(found, path) if full_info else [relative, *relative.split("/")] if split
                           else relative)
    return web.json_response(results)


@routes.get("/v2/userdata")
async def list_userdata_v2(request: web.Request) -> web.Response:
    requested = unquote(request.rel_url.query.get("path", ""))
    root = user_path(request, None, create_dir=False)
    target = user_path(request, requested, create_dir=False)
    if not target:
        return web.Response(status=400, text="Invalid path requested")
    if not os.path.exists(target):
        if requested in ("", "/"):
            return web.json_response([])
        return web.Response(status=404, text="Requested path not found")
    if not os.path.isdir(target):
        return web.Response(status=400, text="Requested path is not a directory")
    results: list[dict[str, Any]] = []
    for folder, subfolders, files in os.walk(target):
        subfolders.sort()
        for name in subfolders:
            results.append({"name": name, "path": _relative(os.path.join(folder, name), root), "type": "directory"})
        for name in sorted(files):
            full = os.path.join(folder, name)
            results.append({"name": name, "path": _relative(full, root), "type": "file",
                            "size": os.path.getsize(full), "modified": os.path.getmtime(full)})
    return web.json_response(results)


@routes.get("/userdata/{file}")
async def get_userdata(request: web.Request) -> web.StreamResponse:
    path = _request_file(request, must_exist=True)
    if isinstance(path, web.Response):
        return path
    return web.FileResponse(path, headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})


@routes.post("/userdata/{file}")
async def post_userdata(request: web.Request) -> web.Response:
    path = _request_file(request)
    if isinstance(path, web.Response):
        return path
    refused = _overwrite_refused(request, path)
    if refused is not None:
        return refused
    with open(path, "wb") as stream:
        stream.write(await request.read())
    return _saved(request, path)


@routes.delete("/userdata/{file}")
async def delete_userdata(request: web.Request) -> web.Response:
    path = _request_file(request, must_exist=True)
    if isinstance(path, web.Response):
        return path
    os.remove(path)
    return web.Response(status=204)


@routes.post("/userdata/{file}/move/{dest}")
async def move_userdata(request: web.Request) -> web.Response:
    source = _request_file(request, must_exist=True)
    if isinstance(source, web.Response):
        return source
    dest = _request_file(request, "dest")
    if isinstance(dest, web.Response):
        return dest
    refused = _overwrite_refused(request, dest)
    if refused is not None:
        return refused
    shutil.move(source, dest)
    return _saved(request, dest)


@routes.get("/users")
async def users(request: web.Request) -> web.Response:
    return web.json_response({"storage": "server",
                              "migrated": os.path.exists(user_path(request, None, create_dir=False))})


def _load_settings(request: web.Request) -> tuple[str, dict[str, Any]]:
    path = user_path(request, SETTINGS_FILE)
    if not os.path.exists(path):
        return path, {}
    with open(path, encoding="utf-8") as stream:
        return path, json.load(stream)


def _save_settings(path: str, settings: dict[str, Any]) -> web.Response:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(settings, stream, indent=4)
    return web.Response()


@routes.get("/settings")
async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(_load_settings(request)[1])


@routes.get("/settings/{setting_id}")
async def get_setting(request: web.Request) -> web.Response:
    return web.json_response(_load_settings(request)[1].get(request.match_info["setting_id"]))


@routes.post("/settings")
async def post_settings(request: web.Request) -> web.Response:
    path, settings = _load_settings(request)
    return _save_settings(path, {**settings, **await request.json()})


@routes.post("/settings/{setting_id}")
async def post_setting(request: web.Request) -> web.Response:
    path, settings = _load_settings(request)
    settings[request.match_info["setting_id"]] = await request.json()
    return _save_settings(path, settings)
