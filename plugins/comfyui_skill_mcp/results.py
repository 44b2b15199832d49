"""A tool's :class:`~comfyui_skill.Result` as an MCP tool result.

``structuredContent`` is the document ``--json`` prints (``{"schema", "ok", "command", "data",
"error"}``), also given as JSON text; an error is a tool error (``isError``) whose first text says
its code, message and hint. Every saved file comes back as a resource link (``file://``); the first
:data:`MAX_THUMBNAILS` saved images also as image content: a thumbnail (at most :data:`THUMBNAIL_SIDE`
pixels a side, at most :data:`INLINE_IMAGE_BYTES`), so that a large batch does not flood the model's
context. Secrets are redacted from all of it.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import mcp_types as types

from comfyui_skill import CliError, Result, envelope, redact

#: The longest side of the thumbnails of saved images, in pixels, and the most bytes one may take.
THUMBNAIL_SIDE = 512
INLINE_IMAGE_BYTES = 512 * 1024
#: The most thumbnails one result carries; the other images come back as resource links only.
MAX_THUMBNAILS = 8
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif"}
MEDIA_TYPES = {**IMAGE_TYPES, ".mp4": "video/mp4", ".webm": "video/webm", ".wav": "audio/wav",
               ".flac": "audio/flac", ".mp3": "audio/mpeg", ".glb": "model/gltf-binary", ".txt": "text/plain",
               ".json": "application/json"}


def tool_result(name: str, result: Result, *, notes: str = "", secrets: Iterable[str] = ()) -> types.CallToolResult:
    error = result.error
    if error is None and result.exit_code:
        error = CliError(f"{name} did not succeed", code="internal")
    secrets = tuple(secrets)
    document = json.loads(redact(json.dumps(envelope(name, data=result.data, error=error), default=str), secrets))
    content: list[Any] = []
    if error is not None:
        said = document["error"]
        content.append(types.TextContent(type="text", text=f"{said['code']}: {said['message']}" +
                                         (f"\nhint: {said['hint']}" if said.get("hint") else "")))
    content.append(types.TextContent(type="text", text=json.dumps(document)))
    if notes.strip():
        content.append(types.TextContent(type="text", text="notes:\n" + redact(notes.strip(), secrets)))
    content.extend(_media(document["data"]))
    return types.CallToolResult(content=content, structured_content=document, is_error=error is not None)


def _media(data: Any) -> Iterator[Any]:
    thumbnails = 0
    for path in _saved_paths(data):
        suffix = path.suffix.lower()
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if suffix in IMAGE_TYPES and thumbnails < MAX_THUMBNAILS:
            image = thumbnail(path)
            if image is not None:
                thumbnails += 1
                yield types.ImageContent(type="image", data=base64.b64encode(image).decode("ascii"),
                                         mime_type="image/png")
        yield types.ResourceLink(type="resource_link", name=path.name, uri=path.as_uri(), size=size,
                                 mime_type=MEDIA_TYPES.get(suffix))


def thumbnail(path: Path) -> bytes | None:
    """A PNG of the image at ``path`` scaled to fit :data:`THUMBNAIL_SIDE` (None if it cannot be read,
    or is still too large)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            encoded = io.BytesIO()
            image.save(encoded, format="PNG", optimize=True)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    data = encoded.getvalue()
    return data if len(data) <= INLINE_IMAGE_BYTES else None


def _saved_paths(data: Any) -> Iterator[Path]:
    """The files a run or a wait saved: ``outputs[].path`` of one result or of a list of them."""
    for result in data if isinstance(data, list) else [data]:
        outputs = result.get("outputs") if isinstance(result, dict) else None
        if isinstance(outputs, list):
            for item in outputs:
                if isinstance(item, dict) and item.get("path") and "text" not in item:
                    yield Path(item["path"])
