"""The node catalog index: a compact form of ``/object_info``, cached per server (rule in ``__init__``)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from comfyui_skill import Context

from .index_file import checked_within, index_path, mark_checked, read_index, write_index
from .matching import search_texts

if TYPE_CHECKING:  # the client (and the HTTP stack) loads only when the cache must be checked
    from comfyui_skill import ComfyClient

MAX_AGE = 24 * 3600  #: seconds before an index is rebuilt even though its key still matches
TTL_SETTING = "nodes.cache_ttl"
DEFAULT_TTL = 60.0  #: seconds an index checked against the server is trusted without asking again
#: the per-class fields the index keeps (enough for listing, filtering and ranking)
FIELDS = ("display_name", "category", "description", "python_module", "search_aliases")
FLAGS = ("deprecated", "experimental", "api_node", "output_node", "dev_only")

Entry = dict[str, Any]


def pack_of(python_module: str) -> str:
    """The node pack a class comes from: ``core``, ``api-nodes`` or the custom node pack's folder."""
    parts = python_module.split(".")
    if parts[0] == "custom_nodes" and len(parts) > 1:
        return parts[1]
    return "api-nodes" if parts[0] == "comfy_api_nodes" else "core"


def index_entry(name: str, info: dict[str, Any]) -> Entry:
    entry: Entry = {"name": name, **{f: info.get(f) for f in FIELDS}}
    entry.update({f: bool(info.get(f)) for f in FLAGS})
    entry["pack"] = pack_of(str(info.get("python_module") or ""))
    return entry


def load_index(ctx: Context, *, refresh: bool = False) -> dict[str, Any]:
    """The server's catalog index: ``nodes`` sorted by class name and their ``texts`` to search
    (:func:`~.matching.search_texts`). From the cache when it was checked against the server less
    than the TTL ago (no request at all, not even a connection), or when its key still matches (the
    file's mtime records that check)."""
    path = index_path(ctx.server.url)
    cached = None if refresh else read_index(path)
    if cached is not None and checked_within(path, cache_ttl(ctx)):
        return cached
    key = catalog_key(ctx.client)
    if cached is not None and cached.get("key") == key and time.time() - cached.get("built", 0) < MAX_AGE:
        mark_checked(path)
        return cached
    nodes = [index_entry(name, info) for name, info in sorted(ctx.client.object_info().items())
             if isinstance(info, dict)]  # a broken server may send anything
    document = {"key": key, "built": time.time(), "server": ctx.server.url, "nodes": nodes,
                "texts": [search_texts(node) for node in nodes]}
    write_index(path, document)
    return document


def shortcut_state(ctx: Context) -> dict[str, Any]:
    """What the ``nodes list``/``nodes search`` shortcut needs: the index file and its freshness."""
    return {"index": index_path(ctx.server.url), "ttl": cache_ttl(ctx)}


def cache_ttl(ctx: Context) -> float:
    """The ``nodes.cache_ttl`` setting in seconds (0 checks the key on every call)."""
    return float(ctx.setting(TTL_SETTING, DEFAULT_TTL))


def catalog_key(client: ComfyClient) -> str:
    """Changes when the server's node set may have: its ComfyUI version or its web extensions."""
    version = (client.system_stats().get("system") or {}).get("comfyui_version")
    extensions = client.get_json("/extensions", missing_ok=True) or []
    import hashlib  # here, not at the top: loading OpenSSL is a visible part of a search from the cache

    digest = hashlib.sha256(json.dumps([version, sorted(extensions)]).encode()).hexdigest()
    return f"{version}-{digest[:16]}"
