"""The node catalog index on disk: one file per server, its freshness, reading and writing.

Only ``os``, ``marshal`` and ``time`` are imported: the ``nodes list``/``nodes search``
shortcut (:mod:`.quick`) reads the index with nothing else loaded. The file is a marshal dump,
which loads about twice as fast as the same document in JSON and needs no ``json`` import.
"""

from __future__ import annotations

import marshal
import os
import time

from comfyui_skill import cache_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMAT = 2  #: changes when the document's layout does (a file of another format is rebuilt)


def index_path(url: str) -> str:
    """The index file of the server at ``url`` (zlib's checksums need no OpenSSL, unlike hashlib)."""
    import zlib  # only where the path is made (the handlers); the shortcut is given it

    raw = url.encode()
    return os.path.join(cache_path(), "nodes", f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.marshal")


def read_index(path: str) -> dict[str, Any] | None:
    """The index document (``nodes``, their ``texts`` to search, ``key``, ``built``, ``server``), or
    None when it is missing, damaged or of another format (rebuilt)."""
    try:
        with open(path, "rb") as handle:
            document = marshal.loads(handle.read())  # marshal.load(handle) reads in small pieces: slower
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    nodes, texts = document.get("nodes"), document.get("texts")
    if not isinstance(nodes, list) or not isinstance(texts, list) or len(nodes) != len(texts):
        return None
    return document


def write_index(path: str, document: dict[str, Any]) -> None:
    from comfyui_skill import atomic_write  # the config module: not needed to read an index

    atomic_write(path, marshal.dumps({**document, "format": FORMAT}))


def checked_within(path: str, ttl: float) -> bool:
    """Whether the index was checked against its server less than ``ttl`` seconds ago (its mtime)."""
    try:
        age = time.time() - os.stat(path).st_mtime
    except OSError:
        return False
    return 0 <= age < ttl  # a file from the future (clock moved back) is checked again


def mark_checked(path: str) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache: the key is checked again next time
