"""Handlers of ``workflow validate`` and ``workflow upgrade``: checks without submitting, and
replacing deprecated node classes."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import Context, NotFoundError, Output, RejectedError, Result, UsageError, deps_hint, plural

from . import graphcheck, params, replacements, store
from .commands import document_format, load_document
from .prepare import folders, object_info, to_api
from .uigraph import is_editor_format


def validate(ctx: Context, args: argparse.Namespace) -> Result:
    reference = args.workflow_ref
    document = load_document(ctx, reference)
    catalog, mapping = object_info(ctx), replacements.fetch(ctx)
    problems: list[dict[str, Any]] = []
    try:
        graph = to_api(ctx, document, reference)
    except RejectedError as exc:  # conversion refused: the node classes the server lacks
        unknown = exc.details.get("unknown_classes")
        if not isinstance(unknown, dict):
            raise
        problems += [graphcheck.problem("unknown_class", f"the server has no node class {name!r}", str(node))
                     | {"class_type": name} for name, nodes in unknown.items() for node in nodes]
        graph = None
    if graph is not None:
        problems += _parameter_problems(graph, catalog, getattr(args, "extra_args", None) or [], folders(ctx))
        problems += graphcheck.check(graph, catalog, folders(ctx))
    deprecated = replacements.deprecated(graph or replacements.node_classes(document), mapping)
    data = {"workflow": reference, "valid": not problems, "problems": problems, "deprecated": deprecated}
    if problems:
        lines = [_describe(p) for p in problems]
        hints = [h for h in (deps_hint(reference, problems), _deprecation_hint(deprecated)) if h]
        raise RejectedError(f"workflow {reference!r} has {plural(len(problems), 'problem')}:\n  - "
                            + "\n  - ".join(lines), hint="; ".join(hints) or None, details=data)

    def render(out: Output) -> None:
        out.line(f"{reference}: valid ({plural(len(graph or {}), 'node')})")
        if deprecated:
            out.note(_deprecation_hint(deprecated))

    return Result(data=data, text=render)


def _parameter_problems(graph: dict[str, Any], catalog: dict[str, Any], extra: list[str],
                        model_folders: params.Folders) -> list[dict[str, Any]]:
    """Named parameters given on the command line (``--seed 42``), checked as ``run`` checks them."""
    values = params.parse_options(extra)
    if not values:
        return []
    try:
        params.bind(graph, params.schema(graph, catalog), values, catalog, model_folders)
    except (RejectedError, NotFoundError) as exc:
        return [graphcheck.problem("invalid_parameter", params.problem_line(p), input_name=p["parameter"])
                | {key: p[key] for key in ("choices", "missing_model", "folder") if key in p}
                for p in exc.details.get("problems", [])]
    return []


def _describe(found: dict[str, Any]) -> str:
    where = f"node {found['node']} ({found['class_type']}): " if found["node"] is not None else ""
    return where + found["message"]


def _deprecation_hint(deprecated: list[dict[str, Any]]) -> str | None:
    if not deprecated:
        return None
    return "deprecated: " + ", ".join(f"{d['class_type']} -> {d['replacement']}" for d in deprecated) + \
        " ('workflow upgrade NAME' replaces them)"


def upgrade(ctx: Context, args: argparse.Namespace) -> Result:
    name = store.check_name(args.workflow_ref)
    target = store.check_name(args.workflow_as or f"{name}-upgraded")
    if target == name:
        raise UsageError("the upgraded workflow needs a new name (the original is kept)")
    if store.exists(target) and not args.workflow_force:
        raise UsageError(f"a workflow named {target!r} already exists", hint="add --force to replace it, or --as NEW")
    document = store.read(name)
    if is_editor_format(document):
        from .editor_upgrade import upgrade_editor

        graph, changes = upgrade_editor(document, replacements.fetch(ctx), object_info(ctx))
    else:
        graph, changes = replacements.upgrade(to_api(ctx, document, name), replacements.fetch(ctx))
    data = {"workflow": name, "upgraded": None, "format": document_format(document), "changes": changes}
    if changes:
        store.write(target, graph)
        data["upgraded"] = target

    def render(out: Output) -> None:
        if not changes:
            out.line(f"{name}: no deprecated node classes; nothing written")
            return
        for change in changes:
            out.line(_describe_change(change))
        out.line(f"wrote {target} ({name} is unchanged), in {data['format']} format")

    return Result(data=data, text=render)


def _describe_change(change: dict[str, Any]) -> str:
    where = f"subgraph {change['subgraph']} " if change.get("subgraph") else ""
    parts = [f"{where}node {change['node']}: {change['class_type']} -> {change['replacement']}"]
    parts += [f"{old} -> {new}" for old, new in change["inputs"].items() if old != new]
    parts += [f"{key} = {value!r}" for key, value in change["set"].items()]
    parts += [f"dropped {name}" for name in change["dropped"]]
    parts += [f"node {link['node']}.{link['input']}: output {link['from']} -> {link['to']}" for link in change["links"]]
    return "; ".join(parts)
