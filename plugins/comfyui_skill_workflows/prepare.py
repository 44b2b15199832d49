"""From any workflow document to the API-format graph to submit, parameters bound and checked."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from comfyui_skill import Context, UnsupportedError, UsageError, model_folders, resolve_address

from .uigraph import is_editor_format


def object_info(ctx: Context) -> dict[str, Any]:
    """The server's node catalog, fetched once per command."""
    cached = getattr(ctx, "_workflows_object_info", None)
    if cached is None:
        cached = ctx.client.object_info()
        setattr(ctx, "_workflows_object_info", cached)
    return cached


def folders(ctx: Context):  # noqa: ANN201 - a params.Folders
    """The server's model folders with their files, asked at most once per command and only when
    called (a refused value that names a model file)."""
    def get() -> dict[str, list[str]]:
        cached = getattr(ctx, "_workflows_model_folders", None)
        if cached is None:
            cached = model_folders(ctx.client)
            setattr(ctx, "_workflows_model_folders", cached)
        return cached
    return get


def to_api(ctx: Context, document: Any, reference: str) -> dict[str, Any]:
    """The API-format graph of ``document`` (converted from the editor format with the server's catalog)."""
    if is_editor_format(document):
        from .convert import convert  # imported when needed: a run of an API-format file skips it

        graph = convert(document, object_info(ctx)) if document["nodes"] else {}
        if not graph:
            raise UsageError(f"workflow {reference!r} (editor (UI) format) has no node the server would run")
        return graph
    if isinstance(document, dict) and isinstance(document.get("prompt"), dict):
        document = document["prompt"]  # a saved /prompt request body
    if not isinstance(document, dict) or not document or not all(
            isinstance(node, dict) and "class_type" in node for node in document.values()):
        raise UsageError(f"workflow {reference!r} is neither an API-format nor an editor-format workflow")
    return copy.deepcopy(document)


def _set_unchecked(graph: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``NODE.INPUT`` values written as given (the server checks them when the job is submitted)."""
    for key, value in values.items():
        node_id, name = resolve_address(graph, key)
        graph[node_id].setdefault("inputs", {})[name] = value
    return graph


def make_preparer(ctx: Context):  # noqa: ANN201 - the callable documented in docs/plugins.md
    def prepare(workflow: Any, reference: str, parameters: Mapping[str, Any],
                extra_args: Sequence[str]) -> dict[str, Any]:
        graph = to_api(ctx, workflow, reference)
        if not parameters and not extra_args:
            return graph  # nothing to bind (and the parameter code is not even imported)
        from . import params

        values = [*parameters.items(), *params.parse_options(extra_args).items()]
        if values:
            try:
                catalog = object_info(ctx)
            except UnsupportedError as exc:  # no node catalog (a Comfy API v2 server)
                if extra_args:
                    raise  # named parameters (--seed 42) are found through the catalog
                ctx.output.debug(f"NODE.INPUT values are not checked before submitting: {exc.message}")
                return _set_unchecked(graph, parameters)
            params.bind(graph, params.schema(graph, catalog), values, catalog, folders(ctx), reference)
        return graph
    return prepare
