"""Handlers of ``comfyui-skill nodes``."""

from __future__ import annotations

import argparse
import difflib
import textwrap
from collections.abc import Sequence
from typing import Any

from comfyui_skill import Context, NotFoundError, Output, Result, UsageError

from .catalog import load_index, pack_of
from .matching import in_category, rank, score, words_of
from .specs import describe_inputs, describe_outputs

MAX_CHOICES = 40  #: choices shown per input in text form (--json has them all)


def list_nodes(ctx: Context, args: argparse.Namespace) -> Result:
    nodes = _index(ctx, args)
    words = words_of(args.nodes_search or "")
    chosen = [n for n in nodes
              if (not args.nodes_category or in_category(n, args.nodes_category))
              and (not args.nodes_pack or n["pack"].lower() == args.nodes_pack.lower())
              and (not args.nodes_deprecated or n["deprecated"])
              and (not args.nodes_api or n["api_node"])
              and (not words or score(n, words))]
    return Result(data=chosen, text=lambda out: _render_list(out, chosen, len(nodes)))


def search_nodes(ctx: Context, args: argparse.Namespace) -> Result:
    if args.nodes_limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    ranked = rank(_index(ctx, args), words_of(args.nodes_text))
    total = len(ranked)
    if args.nodes_limit:
        ranked = ranked[:args.nodes_limit]
    found = [{**entry, "score": value} for value, entry in ranked]
    return Result(data=found, text=lambda out: _render_list(out, found, total, ranked=True))


def node_info(ctx: Context, args: argparse.Namespace) -> Result:
    name = args.nodes_class
    try:
        info = ctx.client.object_info(name).get(name)
    except NotFoundError as exc:
        known = [n["name"] for n in load_index(ctx)]
        close = _close_names(name, known)
        exc.hint = f"did you mean: {', '.join(close)}?" if close else "see 'comfyui-skill nodes search TEXT'"
        exc.details = {"class": name, "suggestions": close}
        raise
    if not isinstance(info, dict):
        raise NotFoundError(f"server {ctx.server.name!r} has no node class {name!r}")
    data = {
        "name": name, "display_name": info.get("display_name"), "category": info.get("category"),
        "pack": pack_of(info.get("python_module") or ""), "python_module": info.get("python_module"),
        "description": info.get("description"), "output_node": bool(info.get("output_node")),
        "deprecated": bool(info.get("deprecated")), "experimental": bool(info.get("experimental")),
        "api_node": bool(info.get("api_node")),
        "inputs": describe_inputs(info.get("input"), info.get("input_order")),
        "outputs": describe_outputs(info), "object_info": info,
    }
    return Result(data=data, text=lambda out: _render_info(out, data))


def _index(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return load_index(ctx, refresh=args.nodes_refresh)


def _close_names(name: str, known: Sequence[str]) -> list[str]:
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=5, cutoff=0.6)
    return [by_lower[c] for c in close]


# ----------------------------------------------------------------- text rendering
def _render_list(out: Output, nodes: Sequence[dict[str, Any]], total: int, *, ranked: bool = False) -> None:
    if not nodes:
        out.line("no node classes match")
        return
    rows = [(n["name"], n["display_name"] if n["display_name"] not in (None, n["name"]) else "", n["category"], n["pack"])
            for n in nodes]
    out.table(rows, ("CLASS", "DISPLAY NAME", "CATEGORY", "PACK"), shrink=(3, 1, 2, 0))
    shown = f"{len(nodes)} of {total} matching" if ranked else f"{len(nodes)} of {total}"
    out.note(f"{shown} node classes")


def _render_info(out: Output, data: dict[str, Any]) -> None:
    title = data["name"] + (f" ({data['display_name']})" if data["display_name"] not in (None, data["name"]) else "")
    out.line(title)
    marks = [m for m in ("output_node", "deprecated", "experimental", "api_node") if data[m]]
    for label, value in (("category", data["category"]), ("pack", f"{data['pack']} ({data['python_module']})"),
                         ("flags", ", ".join(m.replace("_", " ") for m in marks) or None)):
        if value:
            out.line(f"  {label + ':':<10} {value}")
    _wrapped(out, data["description"] or "", "  ")
    out.line()
    out.line("inputs:" if data["inputs"] else "inputs: none")
    for item in data["inputs"]:
        _render_input(out, item, "  ")
    out.line()
    out.line("outputs:" if data["outputs"] else "outputs: none")
    for output in data["outputs"]:
        kind = output["type"] + (" (list)" if output["is_list"] else "")
        out.line(f"  {output['index']}  {output['name']}  {kind}")
        _wrapped(out, output["tooltip"] or "", "      ")


def _render_input(out: Output, item: dict[str, Any], indent: str) -> None:
    facts = [item["section"]] + [f"{k} {item[k]}" for k in ("default", "min", "max", "step") if k in item]
    facts += item.get("flags", [])
    inner = indent + "    "
    _wrapped(out, f"{item['name']}  {item['type']}  " + "  ".join(str(f) for f in facts), indent, inner)
    _wrapped(out, item.get("tooltip") or "", inner)
    if "choices" in item:
        choices = [str(c) for c in item["choices"]]
        more = f" (+{len(choices) - MAX_CHOICES} more, see --json)" if len(choices) > MAX_CHOICES else ""
        label = "choices (several)" if item.get("multiselect") else "choices"
        _wrapped(out, f"{label}: " + (", ".join(choices[:MAX_CHOICES]) or "none") + more, inner)
    for choice, inputs in (item.get("choice_inputs") or {}).items():
        out.line(f"{inner}when {choice!r}:" + ("" if inputs else " no more inputs"))
        for sub in inputs:
            _render_input(out, sub, inner + "  ")
    grow = item.get("autogrow")
    if grow:
        names = grow.get("names")
        named = f"{names[0]} … {names[-1]}" if names else f"{grow.get('prefix', '')}N"
        _wrapped(out, f"repeats as {named}, {grow.get('min') or 0} to {grow.get('max') or 'any'} times", inner)


def _wrapped(out: Output, text: str, indent: str, later_indent: str | None = None) -> None:
    """``text`` wrapped to the terminal width (runs of spaces inside a line are kept)."""
    if not text.strip():
        return
    for line in textwrap.wrap(text.replace("\n", " "), width=max(out.width - 1, 40), initial_indent=indent,
                              subsequent_indent=later_indent or indent):
        out.line(line)
