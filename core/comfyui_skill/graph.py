"""Addressing nodes and inputs of an API-format workflow: ``NODE.INPUT`` where NODE is a node id,
a unique ``_meta.title`` or a unique class type, and INPUT may itself contain dots
(``values.a`` of an autogrow input, ``format.codec`` of a dynamic combo)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import UsageError


def node_order(node_id: str) -> tuple[int, ...]:
    """Sort key for node ids: numeric parts in numeric order (``"10:3"`` after ``"9"``)."""
    return tuple(int(part) if part.isdigit() else 1 << 40 for part in str(node_id).split(":"))


def find_node(graph: Mapping[str, Any], ref: str) -> str | None:
    """The id of the node ``ref`` names (id, then unique title, then unique class type), or None.

    A title or class type shared by several nodes is a UsageError naming them.
    """
    if ref in graph:
        return ref
    for label, key in (("title", lambda n: (n.get("_meta") or {}).get("title")),
                       ("class type", lambda n: n.get("class_type"))):
        matches = [node_id for node_id, node in graph.items() if isinstance(node, Mapping) and key(node) == ref]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"{ref!r} names {len(matches)} nodes by {label} ({', '.join(matches)}); use a node id")
    return None


def split_address(graph: Mapping[str, Any], address: str) -> tuple[str, str] | None:
    """``(node_id, input)`` for ``NODE.INPUT``, trying each dot from the left so that both node
    titles and input names may contain dots; None when no prefix names a node."""
    start = 0
    while (dot := address.find(".", start)) != -1:
        node_id = find_node(graph, address[:dot])
        if node_id is not None and address[dot + 1:]:
            return node_id, address[dot + 1:]
        start = dot + 1
    return None


def resolve_address(graph: Mapping[str, Any], address: str) -> tuple[str, str]:
    """Like :func:`split_address`, but an address naming no node is a UsageError listing the ids."""
    found = split_address(graph, address)
    if found is None:
        ref = address.rpartition(".")[0] or address
        raise UsageError(f"the workflow has no node {ref!r} (by id, title or class type)",
                         hint=f"node ids: {', '.join(sorted(graph, key=node_order))}")
    return found
