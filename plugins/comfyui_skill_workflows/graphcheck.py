"""Checks of an API-format graph against the server's catalog, without submitting it.

Each problem is a dict ``{"node", "class_type", "input", "problem", "message"}``; ``problem`` is one
of the stable codes listed in docs/workflows.md, so scripts can act on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comfyui_skill import node_order, plural

from . import params
from .nodeinfo import AUTOGROW, MATCH_TYPE, InputSpec, all_input_specs, is_link, output_types, types_compatible

def problem(kind: str, message: str, node: str | None = None, graph: Mapping[str, Any] | None = None,
            input_name: str | None = None) -> dict[str, Any]:
    class_type = (graph or {}).get(node, {}).get("class_type") if node is not None else None
    return {"node": node, "class_type": class_type, "input": input_name, "problem": kind, "message": message}


def check(graph: Mapping[str, Any], object_info: Mapping[str, Any],
          folders: params.Folders | None = None) -> list[dict[str, Any]]:
    """Every problem of ``graph``, in node order (``folders``: see :func:`params.bind`)."""
    found: list[dict[str, Any]] = []
    for node_id in sorted(graph, key=node_order):
        found += _node_problems(graph, node_id, object_info, folders)
    found += _cycles(graph)
    if not any((object_info.get(node.get("class_type")) or {}).get("output_node") for node in graph.values()):
        found.append(problem("no_output_node", "no output node (SaveImage, PreviewImage, ...): the server "
                             "would refuse to run it"))
    return found


def _node_problems(graph: Mapping[str, Any], node_id: str, object_info: Mapping[str, Any],
                   folders: params.Folders | None) -> list[dict[str, Any]]:
    node = graph[node_id]
    info = object_info.get(node.get("class_type"))
    if not info:
        return [problem("unknown_class", f"the server has no node class {node.get('class_type')!r}", node_id, graph)]
    inputs = node.get("inputs") or {}
    specs = all_input_specs(info, inputs)
    found = []
    for name, value in inputs.items():
        spec = specs.get(name)
        if is_link(value):
            found += _link_problems(graph, node_id, name, value, spec, object_info)
        elif spec is not None:
            try:
                params.coerce(params.Param(node_id, name, spec, value, ""), value)
            except params.NotOffered as exc:
                text, facts = exc.describe(folders, node.get("class_type"), name)
                found.append(problem("invalid_value", f"{name}: {text}", node_id, graph, name) | facts)
            except ValueError as exc:
                found.append(problem("invalid_value", f"{name}: {exc}", node_id, graph, name))
    for name, spec in specs.items():
        if spec.required and spec.type != AUTOGROW and name not in inputs:
            found.append(problem("missing_input", f"required input {name!r} is not set", node_id, graph, name))
    return found


def _link_problems(graph: Mapping[str, Any], node_id: str, name: str, link: list[Any], spec: InputSpec | None,
                   object_info: Mapping[str, Any]) -> list[dict[str, Any]]:
    source, index = link
    if source not in graph:
        return [problem("dangling_link", f"{name}: linked to node {source!r}, which is not in the workflow",
                        node_id, graph, name)]
    info = object_info.get(graph[source].get("class_type"))
    if not info:
        return []  # reported on the source node
    outputs = output_types(info)
    if not 0 <= index < len(outputs):
        return [problem("bad_output_index", f"{name}: node {source} has {plural(len(outputs), 'output')}, "
                        f"no output {index}", node_id, graph, name)]
    expected = _expected_type(spec)
    if expected is not None and outputs[index] != MATCH_TYPE and not types_compatible(outputs[index], expected):
        return [problem("type_mismatch", f"{name}: expects {expected}, node {source} output {index} "
                        f"gives {outputs[index]}", node_id, graph, name)]
    return []


def _expected_type(spec: InputSpec | None) -> str | None:
    """The type a link into ``spec`` must carry (None: anything; combos take any COMBO output)."""
    if spec is None or spec.is_combo:
        return None
    if spec.type == MATCH_TYPE:
        return (spec.options.get("template") or {}).get("allowed_types") or None
    return str(spec.type)


def _cycles(graph: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One problem per cycle found by a depth-first walk along the links (input to source)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found = []

    def visit(node_id: str, path: list[str]) -> None:
        state[node_id] = 1
        for value in (graph[node_id].get("inputs") or {}).values():
            if not is_link(value) or value[0] not in graph:
                continue
            if state.get(value[0]) == 1:
                loop = path[path.index(value[0]):] + [value[0]]
                found.append(problem("cycle", "cycle: " + " -> ".join(reversed(loop)), value[0], graph))
            elif value[0] not in state:
                visit(value[0], [*path, value[0]])
        state[node_id] = 2

    for node_id in sorted(graph, key=node_order):
        if node_id not in state:
            visit(node_id, [node_id])
    return found
