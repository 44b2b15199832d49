"""``/view``, ``/upload/image`` and ``/upload/mask`` with ComfyUI's path rules and status codes."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from .context import CONTEXT
from .files import DIR_TYPES, Dirs, is_within, split_annotation
from .form import FilePart, read_form
from .png import looks_like_image

routes = web.RouteTableDef()
SCRIPTABLE_TYPES = {"text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css",
                    "image/svg+xml"}
"""Types served as downloads so they cannot run scripts in the browser."""
PREVIEW_FORMATS = ("webp", "jpeg")


def _image_bytes(path: str) -> bytes:
    """What PIL would open; anything else makes the handler fail (HTTP 500)."""
    data = Path(path).read_bytes()
    if not looks_like_image(data):
        raise OSError(f"cannot identify image file '{path}'")
    return data


@routes.get("/view")
async def view(request: web.Request) -> web.StreamResponse:
    dirs = request.app[CONTEXT].dirs
    query = request.rel_url.query
    if "filename" not in query:
        return web.Response(status=404)
    filename, kind = split_annotation(query["filename"])
    if not filename or filename[0] == "/" or ".." in filename:
        return web.Response(status=400)
    kind = kind or query.get("type", "output")
    if kind not in DIR_TYPES:
        return web.Response(status=400)
    folder = str(dirs.by_type(kind))
    if "subfolder" in query:
        folder, root = os.path.join(folder, query["subfolder"]), folder
        if not is_within(root, folder):
            return web.Response(status=403)
    name = os.path.basename(filename)
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return web.Response(status=404)
    disposition = {"Content-Disposition": f'filename="{name}"'}
    if "preview" in query:
        fmt = query["preview"].split(";")[0]
        fmt = fmt if fmt in PREVIEW_FORMATS else "webp"
        return web.Response(body=_image_bytes(path), content_type=f"image/{fmt}", headers=disposition)
    if query.get("channel", "rgba") != "rgba":
        return web.Response(body=_image_bytes(path), content_type="image/png", headers=disposition)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type in SCRIPTABLE_TYPES:
        content_type = "application/octet-stream"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return web.FileResponse(path, headers={**disposition, "Content-Type": content_type,
                                           "X-Content-Type-Options": "nosniff"})


Saver = Callable[[FilePart, dict, str], None]


def _write(image: FilePart, form: dict, path: str) -> None:
    Path(path).write_bytes(image.data)


def _upload(dirs: Dirs, form: dict, save: Saver = _write) -> web.Response:
    """ComfyUI's ``image_upload``: dedupe identical bytes, rename clashes to ``name (1).ext``."""
    kind = form.get("type")
    kind = "input" if kind is None else kind
    folder = str(dirs.by_type(kind))
    image = form.get("image")
    if not image:
        return web.Response(status=400)
    filename = image.filename
    if not filename:
        return web.Response(status=400)
    subfolder = form.get("subfolder", "")
    full_folder = os.path.join(folder, os.path.normpath(subfolder))
    path = os.path.abspath(os.path.join(full_folder, filename))
    if not is_within(folder, path):
        return web.Response(status=400)
    os.makedirs(full_folder, exist_ok=True)
    duplicate = False
    if form.get("overwrite") not in ("true", "1"):
        stem, extension = os.path.splitext(filename)
        counter = 1
        while os.path.exists(path):
            if Path(path).read_bytes() == image.data:
                duplicate = True
                break
            filename = f"{stem} ({counter}){extension}"
            path = os.path.join(full_folder, filename)
            counter += 1
    if not duplicate:
        save(image, form, path)
    return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})


@routes.post("/upload/image")
async def upload_image(request: web.Request) -> web.Response:
    return _upload(request.app[CONTEXT].dirs, await read_form(request))


@routes.post("/upload/mask")
async def upload_mask(request: web.Request) -> web.Response:
    dirs = request.app[CONTEXT].dirs

    def save_mask(image: FilePart, form: dict, path: str) -> None:
        """Writes the mask only when ``original_ref`` names an existing file (the real server
        composites it onto the original; the fake stores the uploaded bytes as they are)."""
        reference = json.loads(form.get("original_ref"))
        name, kind = split_annotation(reference["filename"])
        kind = kind or reference.get("type", "output")
        if not name or name[0] == "/" or ".." in name or kind not in DIR_TYPES:
            return
        folder = dirs.by_type(kind) / reference.get("subfolder", "")
        if is_within(dirs.by_type(kind), folder) and (folder / name).is_file():
            _write(image, form, path)

    return _upload(dirs, await read_form(request), save_mask)
