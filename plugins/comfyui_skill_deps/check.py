"""``deps check NAME|FILE``: node classes and model files the workflow needs that the server lacks."""

from __future__ import annotations

import argparse
import copy
import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comfyui_skill import (Context, ExitCode, NotFoundError, Output, RejectedError, Result, UsageError, model_folders,
                           plural)

from .models import metadata, model_inputs


def missing(ctx: Context, reference: str, folders: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the workflow ``reference`` needs that the server lacks (the data of ``deps check``);
    ``folders``: the server's model folders and their files (``comfyui_skill.model_folders``)."""
    document = _load(ctx, reference)
    catalog = ctx.client.object_info()
    graph, missing_classes = _graph(ctx, document, reference, catalog)
    missing_nodes = [{"class_type": name, "nodes": nodes} for name, nodes in sorted(missing_classes.items())]
    found = list(model_inputs(graph, catalog, folders, metadata(document)))
    missing_models = [m for m in found if not m["present"]]
    return {"workflow": reference, "ok": not (missing_nodes or missing_models), "missing_nodes": missing_nodes,
            "missing_models": missing_models, "models": found}


def check(ctx: Context, args: argparse.Namespace) -> Result:
    return dependencies_of(ctx, args.deps_ref)


def dependencies_of(ctx: Context, reference: str) -> Result:
    """``deps check``: the missing node classes and model files (exit 7 when anything is missing)."""
    data = missing(ctx, reference, model_folders(ctx.client))
    missing_nodes, missing_models, found = data["missing_nodes"], data["missing_models"], data["models"]
    error = None
    if not data["ok"]:
        error = NotFoundError(_missing_message(missing_nodes, missing_models),
                              details={k: data[k] for k in ("missing_nodes", "missing_models")},
                              hint=_install_hint(reference, missing_nodes, missing_models))

    def render(out: Output) -> None:
        if missing_nodes:
            out.table([(n["class_type"], ", ".join(n["nodes"])) for n in missing_nodes],
                      ("MISSING NODE CLASS", "NODES"), shrink=(1,))
        if found:
            out.table([("missing" if not m["present"] else "ok", m["name"], m["folder"] or "?",
                        f"{m['node']}.{m['input']}", m["url"] or "") for m in found],
                      ("STATUS", "MODEL", "FOLDER", "NODE.INPUT", "URL"), shrink=(4, 1))
        if data["ok"]:
            models = f" and the {plural(len(found), 'model file')} it names" if found else ""
            out.line(f"{reference}: the server has every node class{models}")

    return Result(data=data, text=render, exit_code=ExitCode.NOT_FOUND if error else ExitCode.OK, error=error)


def nonzero_counts(*counts: tuple[int, str, str | None]) -> str:
    """``2 node classes and 1 model file`` from ``(count, noun, plural form)``, leaving out the zeros."""
    return " and ".join(plural(count, noun, plural_form) for count, noun, plural_form in counts if count)


def _missing_message(missing_nodes: list[dict[str, Any]], missing_models: list[dict[str, Any]]) -> str:
    counted = nonzero_counts((len(missing_nodes), "node class", "node classes"),
                             (len(missing_models), "model file", None))
    return f"{counted} missing on the server"


def _install_hint(reference: str, missing_nodes: list[dict[str, Any]], missing_models: list[dict[str, Any]]) -> str:
    """What to run next: ``deps install``, and what it needs that the workflow cannot tell it."""
    needs = []
    if missing_nodes:
        needs.append("--repo URL for a node pack the Manager does not know")
    if any(not m["url"] for m in missing_models):
        needs.append("--model-url NAME=URL for a model file without a URL")
    hint = f"install them through ComfyUI-Manager: comfyui-skill deps install {shlex.quote(reference)}"
    hint += f" (add {' and '.join(needs)})" if needs else ""
    if any(not m["folder"] for m in missing_models):
        hint += "; a model file whose FOLDER is '?' installs with deps models install --url URL --folder FOLDER"
    return hint


def _load(ctx: Context, reference: str) -> Any:
    """A file (``-``: stdin), else what a workflow plugin resolves the reference to (a stored name)."""
    if reference == "-" or Path(reference).expanduser().is_file():
        if reference != "-":
            ctx.confine(Path(reference), "read")
        try:
            text = ctx.stdin.read() if reference == "-" else Path(reference).expanduser().read_text(encoding="utf-8")
            return json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read workflow {reference}: {exc}") from None
    document = ctx.plugins.first_result("comfyui_skill_resolve_workflow", ctx=ctx, reference=reference)
    if document is None:
        raise NotFoundError(f"{reference!r} is neither a file nor a stored workflow",
                            hint="'workflow list' shows the stored workflows")
    return document


def _graph(ctx: Context, document: Any, reference: str,
           catalog: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The API-format graph (by the workflow plugin's preparer) and the node classes the server lacks.
    Nodes of unknown classes are muted and the editor document converted again, so that the models
    of the rest are still checked."""
    preparer = ctx.plugins.first_result("comfyui_skill_workflow_preparer", ctx=ctx)
    if preparer is None:
        raise UsageError("reading workflows needs the workflow plugin (comfyui_skill_workflows)")
    try:
        graph = preparer(document, reference, {}, [])
    except RejectedError as exc:
        unknown = exc.details.get("unknown_classes")
        if not isinstance(unknown, dict):
            raise
        missing = {name: [str(n) for n in nodes] for name, nodes in unknown.items()}
        try:
            return preparer(_muted(document, set(unknown)), reference, {}, []), missing
        except UsageError:  # nothing left once they are muted
            return {}, missing
    missing: dict[str, list[str]] = {}
    for node_id, node in graph.items():
        if node.get("class_type") not in catalog:
            missing.setdefault(str(node.get("class_type")), []).append(node_id)
    return graph, missing


def _muted(document: dict[str, Any], classes: set[str]) -> dict[str, Any]:
    muted = copy.deepcopy(document)
    for graph in (muted, *((muted.get("definitions") or {}).get("subgraphs") or [])):
        for node in graph.get("nodes") or []:
            if isinstance(node, dict) and node.get("type") in classes:
                node["mode"] = 2
    return muted
