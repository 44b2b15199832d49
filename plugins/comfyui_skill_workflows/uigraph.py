"""The editor (UI) format, normalised: graphs, their links, and subgraph definitions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SUBGRAPH_INPUT = -10
SUBGRAPH_OUTPUT = -20
MUTED, BYPASSED = 2, 4


@dataclass(frozen=True)
class Link:
    origin_id: int
    origin_slot: int
    target_id: int
    target_slot: int
    type: Any = None


@dataclass
class Graph:
    """The root graph or one subgraph definition (``inputs``/``outputs`` only for subgraphs)."""

    nodes: dict[int, dict[str, Any]]
    links: dict[int, Link]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def link_targets(self, link_ids: Iterable[Any]) -> Iterator[tuple[Link, dict[str, Any]]]:
        """Each link of ``link_ids`` that reaches an existing input socket, with that socket (links
        to a missing node or past its last socket are skipped, as the frontend skips them)."""
        for link_id in link_ids:
            link = self.links.get(link_id)
            target = self.nodes.get(link.target_id) if link else None
            sockets = (target.get("inputs") or []) if target else []
            if link is not None and link.target_slot < len(sockets):
                yield link, sockets[link.target_slot]


def is_editor_format(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("nodes"), list) and "links" in document


def _link(raw: Any) -> tuple[int, Link] | None:
    if isinstance(raw, dict):
        return int(raw["id"]), Link(int(raw["origin_id"]), int(raw["origin_slot"]), int(raw["target_id"]),
                                    int(raw["target_slot"]), raw.get("type"))
    if isinstance(raw, list) and len(raw) >= 5:
        return int(raw[0]), Link(int(raw[1]), int(raw[2]), int(raw[3]), int(raw[4]), raw[5] if len(raw) > 5 else None)
    return None


def _graph(raw: Mapping[str, Any]) -> Graph:
    links = dict(filter(None, (_link(item) for item in raw.get("links") or [])))
    nodes = {int(node["id"]): node for node in raw.get("nodes") or [] if isinstance(node, dict) and "id" in node}
    return Graph(nodes, links, list(raw.get("inputs") or []), list(raw.get("outputs") or []))


def load(document: Mapping[str, Any]) -> tuple[Graph, dict[str, Graph]]:
    """The root graph and the subgraph definitions by id, inner node ids de-duplicated as the frontend does."""
    definitions = list((document.get("definitions") or {}).get("subgraphs") or [])
    root = _graph(document)
    subgraphs: dict[str, Graph] = {}
    seen = set(root.nodes)
    last = max([int(document.get("last_node_id") or 0), *seen], default=0)
    for raw in definitions:
        graph = _graph(raw)
        remap: dict[int, int] = {}
        for node_id in list(graph.nodes):
            if node_id in seen:
                new_id = last + 1
                while new_id in seen:
                    new_id += 1
                remap[node_id] = new_id
            final = remap.get(node_id, node_id)
            seen.add(final)
            last = max(last, final)
        if remap:
            graph = _renumbered(graph, remap)
        subgraphs[str(raw.get("id"))] = graph
    return root, subgraphs


def _renumbered(graph: Graph, remap: Mapping[int, int]) -> Graph:
    nodes = {}
    for node_id, node in graph.nodes.items():
        new_id = remap.get(node_id, node_id)
        nodes[new_id] = {**node, "id": new_id}
    links = {link_id: Link(remap.get(link.origin_id, link.origin_id), link.origin_slot,
                           remap.get(link.target_id, link.target_id), link.target_slot, link.type)
             for link_id, link in graph.links.items()}
    return Graph(nodes, links, graph.inputs, graph.outputs)
