"""``workflow upgrade`` of an editor-format workflow: the server's node replacements applied to the
editor graph itself (the root graph and every subgraph definition), so the result still opens in
the editor with its layout, groups and notes.

Per deprecated node: the type becomes ``new_node_id``; ``input_mapping`` renames linked sockets and
moves widget values (``set_value`` sets one); sockets and values it does not name are dropped, with
their links; ``widgets_values`` is laid out anew for the new class; links leaving the node move from
output ``old_idx`` to ``new_idx`` per ``output_mapping`` (unmapped outputs lose their links).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from comfyui_skill import RejectedError

from .widgets import stored_widgets, widget_values

_FIELDS = ("id", "origin_id", "origin_slot", "target_id", "target_slot", "type")


def _field(link: Any, name: str) -> Any:
    return link.get(name) if isinstance(link, dict) else link[_FIELDS.index(name)]


def _set_field(link: Any, name: str, value: Any) -> None:
    if isinstance(link, dict):
        link[name] = value
    else:
        link[_FIELDS.index(name)] = value


def _graphs(document: dict[str, Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    yield None, document
    for definition in (document.get("definitions") or {}).get("subgraphs") or []:
        if isinstance(definition, dict):
            yield str(definition.get("name") or definition.get("id")), definition


def upgrade_editor(document: Mapping[str, Any], mapping: Mapping[str, Mapping[str, Any]],
                   object_info: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of the editor-format ``document`` with every deprecated node replaced, and what changed."""
    result = copy.deepcopy(dict(document))
    changes = []
    for subgraph, graph in _graphs(result):
        for node in graph.get("nodes") or []:
            entry = mapping.get(node.get("type")) if isinstance(node, dict) else None
            if entry is None:
                continue
            new_class = entry["new_node_id"]
            if new_class not in object_info:
                raise RejectedError(f"the server has no node class {new_class!r} (the replacement of {node['type']!r})")
            change = {"node": str(node.get("id")), "subgraph": subgraph, "class_type": node["type"],
                      "replacement": new_class, "inputs": {}, "set": {}, "dropped": [], "links": []}
            _replace_inputs(graph, node, entry, object_info, change)
            change["links"] = _move_outputs(graph, node, entry.get("output_mapping"), object_info[new_class])
            node["type"] = new_class
            if isinstance(node.get("properties"), dict) and "Node name for S&R" in node["properties"]:
                node["properties"]["Node name for S&R"] = new_class
            changes.append(change)
    return result, changes


def _replace_inputs(graph: dict[str, Any], node: dict[str, Any], entry: Mapping[str, Any],
                    object_info: Mapping[str, Any], change: dict[str, Any]) -> None:
    old_info = object_info.get(node["type"])
    values = widget_values(node, old_info) if old_info else {}
    sockets = {socket.get("name"): socket for socket in node.get("inputs") or [] if isinstance(socket, dict)}
    if entry.get("input_mapping") is None:
        new_values, kept = values, list(sockets.values())
    else:
        new_values, kept = {}, []
        for rule in entry["input_mapping"]:
            if not isinstance(rule, dict) or not isinstance(rule.get("new_id"), str):
                continue
            old, new = rule.get("old_id"), rule["new_id"]
            if "old_id" in rule and (old in values or old in sockets):
                if old in values:
                    new_values[new] = values[old]
                if old in sockets:
                    kept.append(_renamed(sockets.pop(old), new))
                change["inputs"][old] = new
            elif "set_value" in rule:
                new_values[new] = change["set"][new] = rule["set_value"]
        change["dropped"] = sorted({*values, *sockets} - set(change["inputs"]))
        for socket in sockets.values():
            if socket.get("link") is not None:
                _remove_link(graph, socket["link"])
    node["inputs"] = kept
    node["widgets_values"] = stored_widgets(entry["new_node_id"], object_info[entry["new_node_id"]], new_values)


def _renamed(socket: dict[str, Any], name: str) -> dict[str, Any]:
    renamed = {key: value for key, value in socket.items() if key not in ("localized_name", "label")}
    renamed["name"] = name
    if socket.get("widget"):
        renamed["widget"] = {"name": name}
    return renamed


def _links_by_id(graph: Mapping[str, Any]) -> dict[Any, Any]:
    return {_field(link, "id"): link for link in graph.get("links") or [] if isinstance(link, (dict, list))}


def _remove_link(graph: dict[str, Any], link_id: Any) -> None:
    """Take a link out of the table and out of its origin's outputs and its target's socket."""
    link = _links_by_id(graph).get(link_id)
    graph["links"] = [item for item in graph.get("links") or [] if item is not link]
    for node in graph.get("nodes") or []:
        for output in node.get("outputs") or []:
            if link_id in (output.get("links") or []):
                output["links"] = [other for other in output["links"] if other != link_id]
        for socket in node.get("inputs") or []:
            if socket.get("link") == link_id:
                socket["link"] = None


def _move_outputs(graph: dict[str, Any], node: dict[str, Any], output_mapping: list[dict] | None,
                  new_info: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The node's outputs laid out for the new class, links renumbered per ``output_mapping``."""
    old_outputs = node.get("outputs") or []
    types, names = list(new_info.get("output") or []), list(new_info.get("output_name") or [])
    new_index = {index: index for index in range(len(old_outputs))} if output_mapping is None else \
        {rule.get("old_idx"): rule.get("new_idx") for rule in output_mapping if isinstance(rule, dict)}
    outputs = [{"name": names[i] if i < len(names) else str(types[i]), "type": types[i], "links": []}
               for i in range(len(types))]
    for old_index, target_index in new_index.items():  # a V3 template type: keep the concrete old type
        if isinstance(target_index, int) and target_index < len(outputs) and isinstance(old_index, int) \
                and old_index < len(old_outputs) and str(outputs[target_index]["type"]).startswith("COMFY_"):
            outputs[target_index]["type"] = old_outputs[old_index].get("type")
    links, targets = _links_by_id(graph), {n.get("id"): n for n in graph.get("nodes") or []}
    moved = []
    for old_index, output in enumerate(old_outputs):
        target_index = new_index.get(old_index)
        for link_id in list(output.get("links") or []):
            link = links.get(link_id)
            if link is None:
                continue
            target = targets.get(_field(link, "target_id")) or {}
            sockets = target.get("inputs") or []
            slot = _field(link, "target_slot")
            where = {"node": str(target.get("id")),
                     "input": sockets[slot].get("name") if isinstance(slot, int) and slot < len(sockets) else None}
            if target_index is None or not isinstance(target_index, int) or target_index >= len(outputs):
                _remove_link(graph, link_id)
                moved.append({**where, "from": old_index, "to": None})
                continue
            _set_field(link, "origin_slot", target_index)
            outputs[target_index]["links"].append(link_id)
            if target_index != old_index:
                moved.append({**where, "from": old_index, "to": target_index})
    node["outputs"] = outputs
    return moved
