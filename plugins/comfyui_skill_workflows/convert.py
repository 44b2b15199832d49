"""Editor (UI) format to API format, with the semantics of the ComfyUI frontend's ``graphToPrompt``.

See docs/workflows.md for the rules (Reroutes and PrimitiveNodes resolved, muted nodes dropped,
bypassed nodes rewired by type, subgraphs expanded as ``host:inner`` ids, widgets mapped by the
server's input order, promoted subgraph inputs, dangling links removed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comfyui_skill import RejectedError

from .nodeinfo import AUTOGROW, InputSpec, all_input_specs, display_title, is_link, types_compatible
from .uigraph import BYPASSED, MUTED, SUBGRAPH_INPUT, SUBGRAPH_OUTPUT, Graph, load
from .widgets import serialise, widget_values

#: Frontend-only nodes: never sent to the server.
VIRTUAL_NODES = frozenset({"Note", "MarkdownNote", "PrimitiveNode", "Reroute"})


@dataclass(frozen=True)
class Scope:
    """A graph as reached from the root: the chain of subgraph hosts that leads to it."""

    graph: Graph
    path: tuple[int, ...] = ()
    host: Mapping[str, Any] | None = None
    parent: Scope | None = None

    def node_id(self, node_id: int) -> str:
        return ":".join(str(part) for part in (*self.path, node_id))


@dataclass(frozen=True)
class Ref:
    node_id: str
    slot: int


@dataclass(frozen=True)
class Value:
    value: Any


def convert(document: Mapping[str, Any], object_info: Mapping[str, Any]) -> dict[str, Any]:
    """The API-format prompt of an editor-format workflow; RejectedError names unknown node classes."""
    root, subgraphs = load(document)
    return _Converter(object_info, subgraphs).run(root)


class _Converter:
    def __init__(self, object_info: Mapping[str, Any], subgraphs: Mapping[str, Graph]) -> None:
        self.object_info = object_info
        self.subgraphs = subgraphs
        self.output: dict[str, Any] = {}
        self.unknown: dict[str, list[str]] = {}
        self._values: dict[tuple[int, int], dict[str, Any]] = {}

    def run(self, root: Graph) -> dict[str, Any]:
        for graph in (root, *self.subgraphs.values()):
            self._push_primitives(graph)
        self._emit(Scope(root))
        if self.unknown:
            names = sorted(self.unknown)
            raise RejectedError(
                f"the server has no node class{'es' if len(names) > 1 else ''} {', '.join(names)}",
                hint="install the custom nodes that provide them ('deps check' lists what is missing)",
                details={"unknown_classes": {name: self.unknown[name] for name in names}})
        for node in self.output.values():  # the frontend's final pass: no link to a node not sent
            node["inputs"] = {name: value for name, value in node["inputs"].items()
                              if not (is_link(value) and value[0] not in self.output)}
        return self.output

    # ----------------------------------------------------------------- widgets
    def values(self, graph: Graph, node_id: int) -> dict[str, Any]:
        key = (id(graph), node_id)
        if key not in self._values:
            node = graph.nodes[node_id]
            info = self.object_info.get(str(node.get("type")))
            self._values[key] = widget_values(node, info) if info else {}
        return self._values[key]

    def _push_primitives(self, graph: Graph) -> None:
        """A PrimitiveNode writes its value into the same-named widget of each direct target."""
        for node in graph.nodes.values():
            if node.get("type") != "PrimitiveNode" or not node.get("widgets_values"):
                continue
            value = node["widgets_values"][0]
            for output in node.get("outputs") or []:
                for link, socket in graph.link_targets(output.get("links") or []):
                    name = (socket.get("widget") or {}).get("name") or socket.get("name")
                    values = self.values(graph, link.target_id)
                    if name in values:
                        values[name] = value

    # ----------------------------------------------------------------- emission
    def _emit(self, scope: Scope) -> None:
        for node_id, node in scope.graph.nodes.items():
            class_type = str(node.get("type"))
            mode = node.get("mode") or 0
            if class_type in self.subgraphs:
                # a muted or bypassed host drops its subgraph only at the root (as the frontend does)
                if scope.parent is None and mode in (MUTED, BYPASSED):
                    continue
                self._emit(Scope(self.subgraphs[class_type], (*scope.path, node_id), node, scope))
                continue
            if mode in (MUTED, BYPASSED) or class_type in VIRTUAL_NODES:
                continue
            info = self.object_info.get(class_type)
            if info is None:
                self.unknown.setdefault(class_type, []).append(scope.node_id(node_id))
                continue
            self._emit_node(scope, node_id, node, info)

    def _emit_node(self, scope: Scope, node_id: int, node: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        values = self.values(scope.graph, node_id)
        specs = all_input_specs(info, values)
        inputs = {name: serialise(value, specs.get(name)) for name, value in values.items()}
        for slot, socket in enumerate(node.get("inputs") or []):
            if not is_declared(socket.get("name"), specs):
                continue
            resolved = self.resolve_input(scope, node, slot)
            if isinstance(resolved, Ref):
                inputs[socket["name"]] = [resolved.node_id, resolved.slot]
            elif isinstance(resolved, Value):
                inputs[socket["name"]] = resolved.value
        self.output[scope.node_id(node_id)] = {
            "inputs": inputs, "class_type": node["type"],
            "_meta": {"title": node.get("title") or display_title(info, node["type"])}}

    # ----------------------------------------------------------------- links
    def resolve_input(self, scope: Scope, node: Mapping[str, Any], slot: int,
                      wanted: Any = None) -> Ref | Value | None:
        sockets = node.get("inputs") or []
        if slot >= len(sockets) or sockets[slot].get("link") is None:
            return None
        link = scope.graph.links.get(sockets[slot]["link"])
        if link is None:
            return None
        return self.resolve_output(scope, link.origin_id, link.origin_slot,
                                   wanted if wanted is not None else sockets[slot].get("type"))

    def resolve_output(self, scope: Scope, origin_id: int, slot: int, wanted: Any) -> Ref | Value | None:
        if origin_id == SUBGRAPH_INPUT:
            return self._from_host(scope, slot, wanted)
        node = scope.graph.nodes.get(origin_id)
        if node is None:
            return None
        mode = node.get("mode") or 0
        class_type = str(node.get("type"))
        if mode == MUTED:
            return None
        if mode == BYPASSED:
            index = bypass_slot(node, slot, wanted)
            return None if index is None else self.resolve_input(scope, node, index, wanted)
        if class_type == "Reroute":
            return self.resolve_input(scope, node, 0, wanted)
        if class_type in VIRTUAL_NODES:
            return None
        if class_type in self.subgraphs:
            inner = Scope(self.subgraphs[class_type], (*scope.path, origin_id), node, scope)
            for link in inner.graph.links.values():
                if link.target_id == SUBGRAPH_OUTPUT and link.target_slot == slot:
                    return self.resolve_output(inner, link.origin_id, link.origin_slot, wanted)
            return None
        return Ref(scope.node_id(origin_id), slot)

    def _from_host(self, scope: Scope, slot: int, wanted: Any) -> Ref | Value | None:
        """An inner input linked to a subgraph input: the host's link, else the promoted widget's value."""
        if scope.host is None or scope.parent is None or slot >= len(scope.graph.inputs):
            return None
        declared = scope.graph.inputs[slot]
        sockets = scope.host.get("inputs") or []
        index = next((i for i, s in enumerate(sockets) if s.get("name") == declared.get("name")), None)
        if index is not None and sockets[index].get("link") is not None:
            return self.resolve_input(scope.parent, scope.host, index, wanted)
        if index is None or sockets[index].get("widget"):  # a legacy host may lack the socket
            return self._promoted_value(scope, slot)
        return None

    def _promoted_value(self, scope: Scope, slot: int) -> Value | None:
        """A promoted widget's value: the host's own ``widgets_values`` by position among the promoted
        widgets when it has them (older hosts), else the inner widget's value."""
        inner = self._inner_widget_value(scope.graph, scope.graph.inputs[slot])
        stored = (scope.host or {}).get("widgets_values")
        if inner is None or not isinstance(stored, list) or not stored:
            return inner
        position = sum(1 for declared in scope.graph.inputs[:slot]
                       if self._inner_widget_value(scope.graph, declared) is not None)
        return Value(stored[position]) if position < len(stored) else inner

    def _inner_widget_value(self, graph: Graph, declared: Mapping[str, Any]) -> Value | None:
        """The value of the first inner widget a subgraph input feeds (None: it feeds no widget, so
        the frontend promotes no widget for it)."""
        for link, socket in graph.link_targets(declared.get("linkIds") or []):
            widget = (socket.get("widget") or {}).get("name")
            values = self.values(graph, link.target_id)
            if widget in values:
                return Value(values[widget])
        return None


def is_declared(name: Any, specs: Mapping[str, InputSpec]) -> bool:
    """Whether the frontend keeps this socket: a dotted (dynamic) input exists only while its dynamic
    combo option is selected or it grows from an autogrow input; other sockets are always kept."""
    if not isinstance(name, str) or "." not in name or name in specs:
        return True
    parent = specs.get(name.rsplit(".", 1)[0])
    return parent is not None and parent.type == AUTOGROW


def bypass_slot(node: Mapping[str, Any], out_slot: int, wanted: Any) -> int | None:
    """The frontend's ``_getBypassSlotIndex``: which input of a bypassed node stands for an output."""
    inputs = node.get("inputs") or []
    if not inputs:
        return None
    if wanted in (None, "", "*"):
        return out_slot if out_slot < len(inputs) else 0
    outputs = node.get("outputs") or []
    out_type = outputs[out_slot].get("type") if out_slot < len(outputs) else None
    if out_slot < len(inputs):
        same = inputs[out_slot].get("type")
        if types_compatible(same, out_type) and types_compatible(same, wanted):
            return out_slot
    for index, socket in enumerate(inputs):
        if socket.get("type") == wanted:
            return index
    for index, socket in enumerate(inputs):
        if types_compatible(socket.get("type"), out_type) and types_compatible(socket.get("type"), wanted):
            return index
    return None

