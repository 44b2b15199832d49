"""Form bodies parsed from the already-read request bytes (the request log consumes the stream first)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass(frozen=True)
class FilePart:
    filename: str
    data: bytes
    content_type: str


async def read_form(request: web.Request) -> dict[str, str | FilePart]:
    """Like ``request.post()``: multipart and urlencoded bodies; anything else is an empty form."""
    body = await request.read()
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode(request.charset or "utf-8")))
    if request.content_type != "multipart/form-data":
        return {}
    header = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    form: dict[str, str | FilePart] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            form.setdefault(name, FilePart(filename, payload, part.get_content_type()))
        else:
            form.setdefault(name, payload.decode(part.get_content_charset() or "utf-8"))
    return form
