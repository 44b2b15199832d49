"""The WORKFLOW argument: load it (file, stdin or a stored name) and apply --args / --set overrides."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comfyui_skill import Context, NotFoundError, UsageError, resolve_address

if TYPE_CHECKING:
    from .request import WorkflowInputs

#: Explicit local paths (the only strings ``run`` treats as files to upload).
PATH_PREFIXES = ("/", "./", "../", "~")


@dataclass
class Workflow:
    """An API-format graph and where it came from."""

    graph: dict[str, Any]
    source: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def title(self, node_id: str) -> str:
        """How to name a node to people: its title, else its class, with the id."""
        node = self.graph.get(node_id) or {}
        label = (node.get("_meta") or {}).get("title") or node.get("class_type") or "node"
        return f"{label} (#{node_id})"

    def class_type(self, node_id: str) -> str | None:
        return (self.graph.get(node_id) or {}).get("class_type")


def load_prepared(ctx: Context, inputs: WorkflowInputs) -> Workflow:
    """The workflow with its parameters bound: by a plugin's workflow preparer when one is installed
    (editor-format conversion, named parameters such as ``--seed 42``), else as NODE.INPUT overrides."""
    overrides = dict(inputs.parameters)
    extra = list(inputs.options)
    preparer = ctx.plugins.first_result("comfyui_skill_workflow_preparer", ctx=ctx)
    if preparer is None:
        if extra:
            raise UsageError(f"unrecognized arguments: {' '.join(extra)}")
        workflow = load(ctx, inputs.reference, document=inputs.document)
        apply_overrides(workflow, overrides)
        return workflow
    workflow = load(ctx, inputs.reference, prepare=lambda graph: preparer(graph, inputs.reference, overrides, extra),
                    document=inputs.document)
    workflow.overrides = {**overrides, **({"options": extra} if extra else {})}
    return workflow


def load(ctx: Context, reference: str, prepare: Callable[[Any], dict[str, Any]] | None = None, *,
         document: Any = None) -> Workflow:
    """Read WORKFLOW: ``-`` is stdin, an existing path is a file, anything else asks the plugins
    (``document``: a workflow given inline, which ``reference`` only names)."""
    if document is not None:
        graph = copy.deepcopy(document)
    elif reference == "-":
        graph = _parse(ctx.stdin.read(), "standard input")
    elif (path := existing_file(reference)) is not None:
        ctx.confine(path, "read")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read workflow {path}: {exc}") from None
        graph = _parse(text, str(path))
    else:
        graph = ctx.plugins.first_result("comfyui_skill_resolve_workflow", ctx=ctx, reference=reference)
        if graph is None:
            error = NotFoundError(f"workflow {reference!r} is neither a file nor a known workflow",
                                  details={"workflow": reference})
            error.hint = ctx.hint_for(error) or "give the path of an API-format JSON file, or '-' to read standard input"
            raise error
    if prepare is not None:
        return Workflow(prepare(graph), reference)
    return Workflow(_check_api_format(graph, reference), reference)


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"workflow from {where} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _check_api_format(graph: Any, reference: str) -> dict[str, Any]:
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), list) and "links" in graph:
        raise UsageError(f"workflow {reference!r} is in the editor (UI) format; converting it is not available yet",
                         hint="in ComfyUI, use 'Export (API)' and run the exported file")
    if isinstance(graph, dict) and isinstance(graph.get("prompt"), dict):
        graph = graph["prompt"]  # a saved /prompt request body
    if not isinstance(graph, dict) or not graph or not all(
            isinstance(node, dict) and "class_type" in node for node in graph.values()):
        raise UsageError(f"workflow {reference!r} is not an API-format workflow "
                         "(an object mapping node ids to {class_type, inputs})")
    return copy.deepcopy(graph)


# ----------------------------------------------------------------- overrides
def parse_value(raw: str) -> Any:
    """A ``--set`` value: JSON when it parses (numbers, booleans, lists), else the plain string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def collect_overrides(args_json: str | None, assignments: Iterable[str]) -> dict[str, Any]:
    """``--args`` then ``--set`` as one flat ``{"NODE.INPUT": value}`` map (``--set`` wins over ``--args``;
    one ``--set`` target given twice with two values is an error)."""
    overrides: dict[str, Any] = {}
    if args_json:
        try:
            given = json.loads(args_json)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--args is not valid JSON: {exc.msg}") from None
        if not isinstance(given, dict):
            raise UsageError("--args takes a JSON object, e.g. '{\"1.width\": 64}' or '{\"1\": {\"width\": 64}}'")
        for key, value in given.items():
            if isinstance(value, dict) and "." not in key:
                overrides.update({f"{key}.{name}": inner for name, inner in value.items()})
            else:
                overrides[key] = value
    set_values: dict[str, Any] = {}
    for assignment in assignments:
        target, sep, raw = assignment.partition("=")
        if not sep or not target.strip():
            raise UsageError(f"--set {assignment!r} is not of the form NODE.INPUT=VALUE (or NAME=VALUE)")
        value = parse_value(raw)
        if set_values.setdefault(target.strip(), value) != value:
            raise UsageError(f"--set {target.strip()} is given twice, as {set_values[target.strip()]!r} and "
                             f"{value!r}: give it once")
    return {**overrides, **set_values}


def apply_overrides(workflow: Workflow, overrides: Mapping[str, Any]) -> None:
    """Set each ``NODE.INPUT`` (NODE: an id, a unique title or a unique class type)."""
    for target, value in overrides.items():
        if "." not in target:
            raise UsageError(f"override {target!r} is not of the form NODE.INPUT",
                             hint="named parameters need the workflow plugin ('comfyui-skill workflow show')")
        node_id, input_name = resolve_address(workflow.graph, target)
        workflow.graph[node_id].setdefault("inputs", {})[input_name] = value
    workflow.overrides = dict(overrides)


# ----------------------------------------------------------------- local files as inputs
def expand(text: str) -> Path:
    """``text`` with ``~`` expanded; a ``~user`` that does not exist stays as written."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def existing_file(text: str) -> Path | None:
    """The local file ``text`` names, or None (also for names no file system could hold)."""
    path = expand(text)
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


def local_file_inputs(workflow: Workflow) -> list[tuple[str, str, Path]]:
    """``(node_id, input, path)`` for every input whose value is an explicit path to a local file."""
    found = []
    for node_id, node in workflow.graph.items():
        for name, value in (node.get("inputs") or {}).items():
            if isinstance(value, str) and value.startswith(PATH_PREFIXES):
                path = existing_file(value)
                if path is not None:
                    found.append((node_id, name, path))
    return found


def upload_local_inputs(ctx: Context, workflow: Workflow) -> list[dict[str, Any]]:
    """Upload local files given as inputs and point the inputs at the uploaded names."""
    uploaded = []
    for node_id, name, path in local_file_inputs(workflow):
        ctx.confine(path, "upload")
        answer = ctx.client.upload(path)
        server_name = "/".join(p for p in (answer.get("subfolder"), answer.get("name")) if p)
        # a server may want a reference other than the file's name (Comfy API v2: an asset object)
        workflow.graph[node_id]["inputs"][name] = answer.get("input_value", server_name)
        uploaded.append({"node": node_id, "input": name, "path": str(path), "name": server_name,
                         **({"asset_id": answer["asset_id"]} if answer.get("asset_id") else {})})
    return uploaded
