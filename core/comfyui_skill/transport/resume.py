"""A download body that survives a cut connection: the rest is asked for with ``Range: bytes=N-``.

A body is resumed only when its first answer allows it (``Accept-Ranges: bytes``, no
``Content-Encoding``: ranges count encoded bytes), and only an answer that continues exactly where
the cut was is spliced on: 206, a ``Content-Range`` starting at the bytes received, for a file of
the same total size. ``If-Range`` carries the first answer's validator (a strong ``ETag``, else
``Last-Modified``), so a file that changed meanwhile is answered in full and the splice refused.
Whatever is refused ends as :class:`BodyCut`; the caller keeps nothing partial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ..wording import plural

CHUNK_SIZE = 256 * 1024
#: How many times one download is resumed before it counts as cut.
RESUME_ATTEMPTS = 3
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class BodyCut(Exception):
    """The body broke off and was not (or could no longer be) resumed."""

    def __init__(self, received: int, tries: int, cause: BaseException) -> None:
        super().__init__(f"{cause.__class__.__name__} after {plural(received, 'byte')}")
        self.received = received
        self.tries = tries  # ranged requests made to resume it
        self.cause = cause


def resumable_body(transport: Any, first: Any, url: str, *, credentials: Mapping[str, str],
                   deadline: float | None, attempts: int = RESUME_ATTEMPTS) -> Iterator[bytes]:
    """The chunks of ``first`` (an open urllib3 response to GET ``url``), then, after each cut, of a
    ranged GET for the rest through ``transport`` (an :class:`~.http.HttpTransport`: its redirect and
    credential rules apply to every request again). Raises :class:`BodyCut`."""
    received = 0
    try:
        for chunk in _chunks(first):
            received += len(chunk)
            yield chunk
        return
    except (ProtocolError, ReadTimeoutError) as exc:
        cut: BaseException = exc
    headers = _resume_headers(first.headers)
    total = _size(first.headers)
    tries = 0
    while headers is not None and tries < attempts:
        tries += 1
        ranged = {**headers, "Range": f"bytes={received}-"}
        with transport.stream("GET", url, headers=ranged, credentials=credentials, deadline=deadline) as rest:
            if rest.status != 206 or not _continues(rest.headers, received, total):
                break
            try:
                for chunk in _chunks(rest):
                    received += len(chunk)
                    yield chunk
                return
            except (ProtocolError, ReadTimeoutError) as exc:
                cut = exc
    raise BodyCut(received, tries, cut)


def _chunks(response: Any) -> Iterator[bytes]:
    """The body as it arrives (``read1``: what came before a cut is handed over, not buffered away)."""
    while True:
        chunk = response.read1(CHUNK_SIZE, decode_content=True)
        if not chunk:
            return
        yield chunk


def _resume_headers(headers: Mapping[str, str]) -> dict[str, str] | None:
    """The headers that guard a resumed request (possibly none), or None when it cannot be resumed."""
    if headers.get("Accept-Ranges", "").strip().lower() != "bytes" or headers.get("Content-Encoding"):
        return None
    etag = headers.get("ETag", "")
    validator = etag if etag and not etag.startswith("W/") else headers.get("Last-Modified")
    return {"If-Range": validator} if validator else {}


def _size(headers: Mapping[str, str]) -> int | None:
    length = headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def _continues(headers: Mapping[str, str], received: int, total: int | None) -> bool:
    """Whether a 206's ``Content-Range`` starts at ``received`` of a file of ``total`` bytes."""
    found = _CONTENT_RANGE.match(headers.get("Content-Range", "").strip())
    if found is None or int(found.group(1)) != received:
        return False
    return total is None or found.group(3) == str(total)
