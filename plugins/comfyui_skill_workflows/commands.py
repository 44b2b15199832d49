"""Handlers of ``workflow convert|import|list|show|delete|export|rename``."""

from __future__ import annotations

import argparse
import fnmatch
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from comfyui_skill import Context, NotFoundError, Output, Result, UsageError, atomic_write, plural

from . import params, replacements, store
from .convert import convert as convert_graph
from .prepare import object_info, to_api
from .uigraph import is_editor_format


# ----------------------------------------------------------------- reading documents
def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _read_file(ctx: Context, path: str) -> Any:
    if path == "-":
        return _parse(ctx.stdin.read(), "standard input")
    file = ctx.confine(Path(path), "read")
    try:
        return _parse(file.read_text(encoding="utf-8"), str(file))
    except (OSError, UnicodeDecodeError) as exc:
        raise NotFoundError(f"cannot read {file}: {exc.strerror or exc}") from None


def load_document(ctx: Context, reference: str) -> Any:
    """A stored name, else a file."""
    if _valid_name(reference) and store.exists(reference):
        return store.read(reference)
    if reference == "-" or Path(reference).expanduser().is_file():
        return _read_file(ctx, reference)
    raise NotFoundError(f"{reference!r} is neither a stored workflow nor a file", hint=store.missing_hint(reference))


def _valid_name(name: str) -> bool:
    try:
        store.check_name(name)
    except UsageError:
        return False
    return True


def _emit_json(ctx: Context, document: Any, out: str | None) -> Result:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out:
        atomic_write(Path(out).expanduser(), text)
        return Result(data={"path": out}, text=f"wrote {out}")
    return Result(data=document, text=lambda o: o.line(text.rstrip("\n")))


# ----------------------------------------------------------------- convert
def convert(ctx: Context, args: argparse.Namespace) -> Result:
    document = _read_file(ctx, args.workflow_file)
    if not is_editor_format(document):
        raise UsageError(f"{args.workflow_file} is not an editor-format workflow (no nodes and links)")
    catalog = _read_file(ctx, args.workflow_object_info) if args.workflow_object_info else object_info(ctx)
    return _emit_json(ctx, convert_graph(document, catalog), args.workflow_out)


# ----------------------------------------------------------------- import
def import_workflow(ctx: Context, args: argparse.Namespace) -> Result:
    if args.workflow_from_server:
        found = from_server(ctx, args.workflow_name or "*")
    elif args.workflow_source:
        found = [from_source(ctx, args.workflow_source, args.workflow_name)]
    else:
        raise UsageError("give a FILE or URL to import, or --from-server")
    return store_workflows(ctx, found, force=args.workflow_force)


def store_workflows(ctx: Context, found: list[tuple[str, Any]], *, force: bool = False) -> Result:
    """Store each ``(name, document)``; an existing name is refused unless ``force``."""
    imported = []
    for name, document in found:
        _check_workflow(document, name)
        name = store.check_name(name)
        if store.exists(name) and not force:
            raise UsageError(f"a workflow named {name!r} already exists", hint="add --force to replace it")
        store.write(name, document)
        imported.append({"name": name, "format": document_format(document), "nodes": _node_count(document),
                         "deprecated": replacements.deprecation_report(ctx, document)})

    def render(out: Output) -> None:
        for item in imported:
            out.line(f"imported {item['name']} ({item['format']} format, {plural(item['nodes'], 'node')})")
            for node in item["deprecated"] or []:
                out.note(f"  node {node['node']}: {node['class_type']} is deprecated, replaced by "
                         f"{node['replacement']} ('workflow upgrade {item['name']}')")
        if not imported:
            out.note("nothing to import")

    return Result(data={"imported": imported}, text=render)


def from_source(ctx: Context, source: str, name: str | None) -> tuple[str, Any]:
    """``(name, document)`` of a file, or of a server user-data URL (``…/userdata/workflows%2FNAME.json``)."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        marker = "/userdata/"
        if marker not in parts.path:
            raise UsageError(f"{source} is not a server user-data URL (…/userdata/workflows%2FNAME.json)")
        path = unquote(parts.path.split(marker, 1)[1])
        document = _parse(ctx.client.userdata_get(path).decode("utf-8"), source)
        return name or Path(path).stem, document
    return name or Path(source).stem, _read_file(ctx, source)


def from_server(ctx: Context, pattern: str) -> list[tuple[str, Any]]:
    """``(name, document)`` of each workflow saved in the server's user data whose name matches ``pattern``."""
    found = []
    for entry in ctx.client.userdata_tree("workflows"):
        path = entry.get("path") or ""
        stem = Path(path).stem
        if entry.get("type") == "file" and path.endswith(".json") and fnmatch.fnmatch(stem, pattern):
            found.append((stem, _parse(ctx.client.userdata_get(path).decode("utf-8"), path)))
    return found


def _check_workflow(document: Any, name: str) -> None:
    if not is_editor_format(document):
        api_shape = isinstance(document, dict) and document and all(
            isinstance(node, dict) and "class_type" in node for node in document.values())
        if not api_shape:
            raise UsageError(f"{name!r} is not a ComfyUI workflow (editor or API format)")


def document_format(document: Any) -> str:
    return "editor" if is_editor_format(document) else "api"


def _node_count(document: Any) -> int:
    return len(document["nodes"]) if is_editor_format(document) else len(document)


# ----------------------------------------------------------------- list, show, delete, export, rename
def list_workflows(ctx: Context, args: argparse.Namespace) -> Result:
    rows = []
    for name in store.names():
        try:
            document = store.read(name)
        except (ValueError, OSError):
            rows.append({"name": name, "format": "invalid", "nodes": 0})
            continue
        rows.append({"name": name, "format": document_format(document), "nodes": _node_count(document)})

    def render(out: Output) -> None:
        if not rows:
            out.note("no stored workflows ('workflow import FILE' stores one)")
            return
        out.table([(r["name"], r["format"], r["nodes"]) for r in rows], ("NAME", "FORMAT", "NODES"), shrink=(0,))

    return Result(data=rows, text=render)


def show(ctx: Context, args: argparse.Namespace) -> Result:
    return parameters_of(ctx, load_document(ctx, args.workflow_ref), args.workflow_ref, every_input=args.workflow_all)


def parameters_of(ctx: Context, document: Any, reference: str, *, every_input: bool = False) -> Result:
    """The named parameters of a workflow (``every_input``: every NODE.INPUT too), with types and limits."""
    graph = to_api(ctx, document, reference)
    schema = params.schema(graph, object_info(ctx))
    listed = [p for p in schema if every_input or p.name]
    data = {"workflow": reference, "parameters": [p.to_json() for p in listed]}

    def render(out: Output) -> None:
        rows = [(p.name or "", p.address, p.spec.type_name, _one_line(p.default), _limits(p)) for p in listed]
        out.table(rows, ("NAME", "NODE.INPUT", "TYPE", "DEFAULT", "RANGE/CHOICES"), shrink=(3, 4))

    return Result(data=data, text=render)


def _one_line(value: Any) -> str:
    """A value on one line, whole (on a terminal, the table cuts what does not fit)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return " ".join(text.split())


def _limits(param: params.Param) -> str:
    choices = param.spec.choices
    if choices is not None:
        return ", ".join(map(str, choices))
    opts = param.spec.options
    if "min" in opts or "max" in opts:
        return f"{opts.get('min')}..{opts.get('max')}" + (f" step {opts['step']}" if "step" in opts else "")
    return ""


def delete(ctx: Context, args: argparse.Namespace) -> Result:
    store.read(args.workflow_ref)  # NotFoundError first
    ctx.confirm(f"Delete stored workflow {args.workflow_ref!r}?", assume_yes=args.yes)
    store.delete(args.workflow_ref)
    return Result(data={"deleted": store.check_name(args.workflow_ref)}, text=f"deleted {args.workflow_ref}")


def export(ctx: Context, args: argparse.Namespace) -> Result:
    document = store.read(args.workflow_ref)
    if args.workflow_api:
        document = to_api(ctx, document, args.workflow_ref)
    return _emit_json(ctx, document, args.workflow_out)


def rename(ctx: Context, args: argparse.Namespace) -> Result:
    store.rename(args.workflow_ref, args.workflow_new)
    new = store.check_name(args.workflow_new)
    return Result(data={"old": store.check_name(args.workflow_ref), "new": new},
                  text=f"renamed {args.workflow_ref} to {new}")
