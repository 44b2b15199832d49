"""Handlers of ``comfyui-skill templates``."""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import quote

from comfyui_skill import (ComfyClient, Context, NotFoundError, Output, Result, ServerError, UsageError, close_matches,
                           did_you_mean)

from .showing import render_template
from .writing import default_file, write_json

Template = dict[str, Any]
SEARCHED = ("name", "title", "description", "tags", "models", "category", "pack")


def list_templates(ctx: Context, args: argparse.Namespace) -> Result:
    return templates_matching(ctx, args.templates_search)


def templates_matching(ctx: Context, search: str | None) -> Result:
    """The server's workflow templates whose name, title, description, tags... hold every word of ``search``."""
    templates = _all_templates(ctx.client)
    words = (search or "").lower().split()
    chosen = [t for t in templates if all(w in _haystack(t) for w in words)]

    def render(out: Output) -> None:
        if not chosen:
            out.line("no templates match" if words else f"server {ctx.server.name!r} offers no templates")
            return
        rows = [(t["name"], t.get("title"), t["source"], t.get("category") or t.get("pack")) for t in chosen]
        out.table(rows, ("NAME", "TITLE", "SOURCE", "CATEGORY/PACK"), shrink=(1, 0, 3))

    return Result(data=chosen, text=render)


def show_template(ctx: Context, args: argparse.Namespace) -> Result:
    template = _find_template(ctx, args.template_name)
    return Result(data=template, text=lambda out: render_template(out, template))


def get_template(ctx: Context, args: argparse.Namespace) -> Result:
    template, workflow = fetch_template(ctx, args.template_name)
    return write_json(ctx, workflow, args.templates_file or default_file(template["name"]),
                      force=args.templates_force, what=f"template {template['name']!r}")


def fetch_template(ctx: Context, name: str) -> tuple[Template, Any]:
    """The template called ``name`` and its workflow (editor format)."""
    template = _find_template(ctx, name)
    if template["source"] == "core":
        route = f"/templates/{quote(template['name'])}.json"
    else:
        route = f"/api/workflow_templates/{quote(template['pack'])}/{quote(template['name'])}.json"
    return template, ctx.client.get_json(route)


def list_subgraphs(ctx: Context, args: argparse.Namespace) -> Result:
    subgraphs = _subgraphs(ctx.client)

    def render(out: Output) -> None:
        if not subgraphs:
            out.line(f"server {ctx.server.name!r} offers no global subgraphs")
            return
        rows = [(s["id"][:12], s.get("name"), s.get("source"), (s.get("info") or {}).get("node_pack"))
                for s in subgraphs]
        out.table(rows, ("ID", "NAME", "SOURCE", "PACK"), shrink=(1,))

    return Result(data=subgraphs, text=render)


def get_subgraph(ctx: Context, args: argparse.Namespace) -> Result:
    subgraph_id = _resolve_subgraph(ctx, args.subgraph_id)
    found = ctx.client.global_subgraphs(subgraph_id)
    text = found.get("data") if isinstance(found, dict) else None
    try:
        workflow = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        workflow = None
    if not isinstance(workflow, dict):
        raise ServerError(f"server {ctx.server.name!r} sent subgraph {subgraph_id} without readable workflow data")
    name = str(found.get("name") or subgraph_id)
    return write_json(ctx, workflow, args.templates_file or default_file(name), force=args.templates_force,
                      what=f"subgraph {name!r}")


# ----------------------------------------------------------------- lookups
def _all_templates(client: ComfyClient) -> list[Template]:
    found: list[Template] = []
    for category in client.templates_index():
        for template in category.get("templates") or []:
            found.append({**template, "source": "core", "category": category.get("title"),
                          "module": category.get("moduleName")})
    for pack, names in sorted(client.workflow_templates().items()):
        found.extend({"name": name, "source": "custom", "pack": pack} for name in names)
    return found


def _find_template(ctx: Context, name: str) -> Template:
    templates = _all_templates(ctx.client)
    for template in templates:
        if template["name"] == name:
            return template
    close = close_matches(name, [t["name"] for t in templates], limit=5)
    raise NotFoundError(f"server {ctx.server.name!r} has no template {name!r}",
                        hint=did_you_mean(name, close) or "see 'comfyui-skill templates list'",
                        details={"name": name, "suggestions": close})


def _subgraphs(client: ComfyClient) -> list[dict[str, Any]]:
    listing = client.global_subgraphs() or {}
    return [{"id": key, **value} for key, value in sorted(listing.items(), key=lambda kv: str(kv[1].get("name")))]


def _resolve_subgraph(ctx: Context, wanted: str) -> str:
    subgraphs = _subgraphs(ctx.client)
    exact = [s["id"] for s in subgraphs if wanted in (s["id"], s.get("name"))]
    matches = exact or [s["id"] for s in subgraphs if s["id"].startswith(wanted)]
    if len(matches) > 1:
        raise UsageError(f"{wanted!r} matches {len(matches)} subgraphs; give more of the id")
    if not matches:
        raise NotFoundError(f"server {ctx.server.name!r} has no subgraph {wanted!r}",
                            hint="see 'comfyui-skill templates subgraphs'")
    return matches[0]


def _haystack(template: Template) -> str:
    return " ".join(str(template.get(k) or "") for k in SEARCHED).lower()
