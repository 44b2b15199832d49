"""Deprecated node classes (the server's ``/node_replacements``): reporting them and upgrading graphs.

The server maps an old class to replacements ``{new_node_id, input_mapping, output_mapping}``:
``input_mapping`` entries move a value or link (``old_id`` -> ``new_id``) or set a fixed value
(``set_value``); ``output_mapping`` entries move links from output ``old_idx`` to ``new_idx``. A
missing mapping keeps the inputs (or output indexes) as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from comfyui_skill import CliError, Context, node_order

from .nodeinfo import is_link
from .uigraph import is_editor_format, load


def fetch(ctx: Context) -> dict[str, dict[str, Any]]:
    """Old class -> its first replacement (servers without the route deprecate nothing)."""
    found = {}
    for old, entries in ctx.client.node_replacements().items():
        entry = entries[0] if isinstance(entries, list) and entries else entries
        if isinstance(entry, dict) and isinstance(entry.get("new_node_id"), str):
            found[old] = entry
    return found


def node_classes(document: Any) -> dict[str, dict[str, Any]]:
    """``{node id: {"class_type"}}`` of any workflow document, without converting it (editor format:
    root and subgraph nodes by their editor ids)."""
    if not is_editor_format(document):
        return {str(k): v for k, v in document.items() if isinstance(v, dict) and "class_type" in v}
    root, subgraphs = load(document)
    return {str(node_id): {"class_type": node.get("type")}
            for graph in (root, *subgraphs.values()) for node_id, node in graph.nodes.items()}


def deprecation_report(ctx: Context, document: Any) -> list[dict[str, Any]] | None:
    """Deprecated classes of a document being imported; None when the server cannot be asked."""
    try:
        mapping = fetch(ctx)
    except CliError:  # import works offline; the report is a bonus
        return None
    return deprecated(node_classes(document), mapping)


def deprecated(graph: Mapping[str, Any], mapping: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The graph's nodes whose class has a replacement: ``{node, class_type, replacement}``."""
    return [{"node": node_id, "class_type": graph[node_id]["class_type"],
             "replacement": mapping[graph[node_id]["class_type"]]["new_node_id"]}
            for node_id in sorted(graph, key=node_order) if graph[node_id].get("class_type") in mapping]


def upgrade(graph: Mapping[str, Any], mapping: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], list[dict]]:
    """A copy of ``graph`` with every deprecated node replaced, and what changed per node."""
    result = copy.deepcopy(dict(graph))
    changes = []
    for item in deprecated(graph, mapping):
        node_id, entry = item["node"], mapping[item["class_type"]]
        node = result[node_id]
        old_inputs = node.get("inputs") or {}
        change = {**item, "inputs": {}, "set": {}, "dropped": [], "links": []}
        if entry.get("input_mapping") is None:
            new_inputs = dict(old_inputs)
        else:
            new_inputs = {}
            for rule in entry["input_mapping"]:
                if not isinstance(rule, dict) or not isinstance(rule.get("new_id"), str):
                    continue  # nothing we could apply
                if "old_id" in rule and rule["old_id"] in old_inputs:
                    new_inputs[rule["new_id"]] = old_inputs[rule["old_id"]]
                    change["inputs"][rule["old_id"]] = rule["new_id"]
                elif "set_value" in rule:
                    new_inputs[rule["new_id"]] = change["set"][rule["new_id"]] = rule["set_value"]
            change["dropped"] = sorted(set(old_inputs) - set(change["inputs"]))
        node["class_type"], node["inputs"] = entry["new_node_id"], new_inputs
        change["links"] = _move_outputs(result, node_id, entry.get("output_mapping"))
        changes.append(change)
    return result, changes


def _move_outputs(graph: dict[str, Any], source: str, output_mapping: list[dict] | None) -> list[dict[str, Any]]:
    """Renumber the links that leave ``source`` per ``output_mapping``; a link to an output the new
    class does not map is removed (and reported with ``to: None``)."""
    if output_mapping is None:
        return []
    new_index = {rule.get("old_idx"): rule.get("new_idx") for rule in output_mapping if isinstance(rule, dict)}
    moved = []
    for node_id in sorted(graph, key=node_order):
        inputs = graph[node_id].get("inputs") or {}
        for name, value in list(inputs.items()):
            if not (is_link(value) and value[0] == source):
                continue
            target = new_index.get(value[1])
            if target == value[1]:
                continue
            moved.append({"node": node_id, "input": name, "from": value[1], "to": target})
            if target is None:
                del inputs[name]
            else:
                inputs[name] = [source, target]
    return moved
