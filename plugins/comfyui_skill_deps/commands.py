"""``deps install``, ``deps nodes list|enable|disable|uninstall|update``, ``deps models install``."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import Context, NotFoundError, Output, Result, model_folders

from .check import missing, nonzero_counts
from .items import Item
from .manager import ManagerClient
from .plan import (check_model_folder, check_model_source, filename_from_url, model_item, model_items, node_items,
                   parse_model_urls, repo_item, restrict_to_model_list)
from .runner import connect, execute, report


def _prepare_models(manager: ManagerClient, items: list[Item]) -> None:
    if not manager.task_api and any(item.is_model and item.status == "planned" for item in items):
        restrict_to_model_list(items, manager.model_list())


def _show_plan(ctx: Context, manager: ManagerClient, items: list[Item]) -> None:
    ctx.output.note(f"plan ({manager.dialect.label} on server {ctx.client.server_name!r}):")
    for item in items:
        detail = f"  ({item.status}: {item.reason})" if item.reason else ""
        target = f" -> {item.folder}" if item.is_model and item.folder else ""
        ctx.output.note(f"  {item.kind:<14} {item.name}{target}{detail}")


def install(ctx: Context, args: argparse.Namespace) -> Result:
    urls = parse_model_urls(args.deps_model_url)
    repos = [repo_item(url).name for url in args.deps_repo]
    manager = connect(ctx)
    folders = model_folders(ctx.client)
    data = missing(ctx, args.deps_ref, folders)
    nodes_wanted = args.deps_nodes or not args.deps_models
    models_wanted = args.deps_models or not args.deps_nodes
    items = node_items(data["missing_nodes"], manager.mappings(), repos, manager.installed()) if nodes_wanted else []
    if models_wanted:
        items += model_items(data["missing_models"], urls, folders)
    _prepare_models(manager, items)
    planned = [item for item in items if item.status == "planned"]
    if planned and not args.yes:  # the plan is what the question is about; the report shows it all again after
        _show_plan(ctx, manager, items)
    if planned:
        models = sum(item.is_model for item in planned)
        counted = nonzero_counts((len(planned) - models, "node pack", None), (models, "model file", None))
        ctx.confirm(f"Install {counted} through {manager.dialect.label}?", assume_yes=args.yes)
    execute(ctx, manager, items, args.deps_timeout)
    return report(manager.dialect, items, {"workflow": args.deps_ref}, all_skipped_fails=True)


def models_install(ctx: Context, args: argparse.Namespace) -> Result:
    filename = args.deps_name or filename_from_url(args.deps_url)
    check_model_source(args.deps_url, args.deps_folder, filename)
    check_model_folder(args.deps_folder, ctx.client.models(), ctx.client.server_name)
    manager = connect(ctx)
    items = [model_item(filename, args.deps_url, args.deps_folder)]
    _prepare_models(manager, items)
    execute(ctx, manager, items, args.deps_timeout)
    return report(manager.dialect, items)


def _pack_json(name: str, entry: Any) -> dict[str, Any]:
    entry = entry if isinstance(entry, dict) else {}
    return {"id": name, "version": entry.get("ver"), "enabled": entry.get("enabled") is not False,
            "cnr_id": entry.get("cnr_id") or None, "aux_id": entry.get("aux_id")}


def nodes_list(ctx: Context, args: argparse.Namespace) -> Result:
    manager = connect(ctx)
    packs = [_pack_json(name, entry) for name, entry in sorted(manager.installed().items())]

    def render(out: Output) -> None:
        if not packs:
            out.line("no custom node packs installed")
            return
        out.table([(p["id"], p["version"] or "", "yes" if p["enabled"] else "no",
                    "registry" if p["cnr_id"] else (p["aux_id"] or "")) for p in packs],
                  ("ID", "VERSION", "ENABLED", "SOURCE"), shrink=(3,))

    return Result(data={"manager": manager.dialect.to_json(), "packs": packs}, text=render)


def nodes_action(ctx: Context, args: argparse.Namespace) -> Result:
    kind, wanted = args.deps_action, args.deps_pack
    manager = connect(ctx)
    packs = [_pack_json(name, entry) for name, entry in manager.installed().items()]
    pack = next((p for p in packs if wanted in (p["id"], p["cnr_id"], p["aux_id"])), None)
    if pack is None:
        raise NotFoundError(f"no installed node pack {wanted!r}", hint="'deps nodes list' shows the installed packs",
                            details={"installed": [p["id"] for p in packs]})
    item = Item(kind, wanted, pack={"id": pack["cnr_id"] or pack["id"], "version": pack["version"],
                                    "cnr": bool(pack["cnr_id"])})
    if kind in ("enable", "disable") and pack["enabled"] == (kind == "enable"):
        item.skip(f"already {kind}d")
    elif kind == "uninstall":
        ctx.confirm(f"Uninstall node pack {pack['id']} from server {ctx.client.server_name!r}?", assume_yes=args.yes)
    execute(ctx, manager, [item], args.deps_timeout)
    return report(manager.dialect, [item])
