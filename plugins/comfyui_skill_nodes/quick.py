"""The shortcuts of ``nodes list`` and ``nodes search`` (see :mod:`comfyui_skill.shortcuts`).

They answer from the cached index while it is fresh (checked against the server less than
``nodes.cache_ttl`` ago), with the same filters, ranking and rendering as the handlers. Anything
else (``--refresh``, an index past its freshness, an option they do not know) gives way to the
handlers, which ask the server.
"""

from __future__ import annotations

from .index_file import checked_within, read_index
from .listing import listing, ranking

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from comfyui_skill import Result, Shortcut

LIST_VALUES = {"--category": "category", "--search": "search", "--pack": "pack"}
LIST_FLAGS = {"--deprecated": "deprecated", "--api-nodes": "api_nodes"}
SEARCH_VALUES = {"-n": "limit", "--limit": "limit"}
#: the default of --limit in plugin.py (not imported from there: that module loads pluggy; the
#: equivalence tests of tests/inspect/test_nodes_shortcut.py fail if the two ever differ)
DEFAULT_LIMIT = 25


def list_nodes(shortcut: Shortcut) -> Result | None:
    parsed = shortcut.parse(values=LIST_VALUES, flags=LIST_FLAGS)
    index = None if parsed is None else _fresh_index(shortcut.state)
    return None if index is None else listing(index["nodes"], index["texts"], **parsed[0])


def search_nodes(shortcut: Shortcut) -> Result | None:
    parsed = shortcut.parse(values=SEARCH_VALUES, positional=True)
    if parsed is None:
        return None
    options, words = parsed
    limit = options.get("limit", str(DEFAULT_LIMIT))
    if not limit.isdigit():
        return None  # not a number, or below 0: the handler says so
    index = _fresh_index(shortcut.state)
    return None if index is None else ranking(index["nodes"], index["texts"], words, int(limit))


def _fresh_index(state: Any) -> dict[str, Any] | None:
    path, ttl = state["index"], state["ttl"]
    return read_index(path) if checked_within(path, ttl) else None
