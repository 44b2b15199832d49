"""Handlers of ``comfyui-skill nodes``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from comfyui_skill import (Context, NotFoundError, Output, Result, UsageError, close_matches, did_you_mean,
                           plural, render_table)

from .catalog import load_index, pack_of, shortcut_state
from .listing import listing, ranking
from .specs import describe_inputs, describe_outputs

MAX_CHOICES = 40  #: choices shown per input in text form (--json has them all)
QUICK = "comfyui_skill_nodes.quick"  #: the shortcuts of 'nodes list' and 'nodes search'


def list_nodes(ctx: Context, args: argparse.Namespace) -> Result:
    index = _index(ctx, args)
    ctx.offer_shortcut(f"{QUICK}:list_nodes", shortcut_state(ctx))
    return listing(index["nodes"], index["texts"], category=args.nodes_category, search=args.nodes_search,
                   pack=args.nodes_pack, deprecated=args.nodes_deprecated, api_nodes=args.nodes_api)


def search_nodes(ctx: Context, args: argparse.Namespace) -> Result:
    if args.nodes_limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    result = search(ctx, args.nodes_text, args.nodes_limit, refresh=args.nodes_refresh)
    ctx.offer_shortcut(f"{QUICK}:search_nodes", shortcut_state(ctx))
    return result


def search(ctx: Context, text: str, limit: int, *, refresh: bool = False) -> Result:
    """The node classes that best match ``text``, best first (``limit`` 0: all)."""
    index = load_index(ctx, refresh=refresh)
    return ranking(index["nodes"], index["texts"], text, limit)


def node_info(ctx: Context, args: argparse.Namespace) -> Result:
    return describe_node(ctx, args.nodes_class)


def describe_node(ctx: Context, name: str) -> Result:
    """One node class: its inputs (types, defaults, ranges, choices), outputs and description."""
    info = _class_info(ctx, name)
    if info is None:
        close = close_matches(name, [n["name"] for n in load_index(ctx)["nodes"]], limit=5)
        if close and close[0].lower() == name.lower():  # only the case differs: that class
            name, info = close[0], _class_info(ctx, close[0])
        if info is None:
            hint = did_you_mean(name, close) if close else "see 'comfyui-skill nodes search TEXT'"
            raise NotFoundError(f"server {ctx.server.name!r} has no node class {name!r}", hint=hint,
                                details={"class": name, "suggestions": close})
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


def _index(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return load_index(ctx, refresh=args.nodes_refresh)


def _class_info(ctx: Context, name: str) -> dict[str, Any] | None:
    """The server's description of node class ``name``, or None when it has no such class."""
    try:
        info = ctx.client.object_info(name).get(name)
    except NotFoundError:
        return None
    return info if isinstance(info, dict) else None


# ----------------------------------------------------------------- text rendering
def _render_info(out: Output, data: dict[str, Any]) -> None:
    """A header, a table of inputs and one of outputs (the facts, aligned), each followed by the free
    text of its rows (tooltips, choices) wrapped to the terminal width."""
    title = data["name"] + (f" ({data['display_name']})" if data["display_name"] not in (None, data["name"]) else "")
    out.line(title)
    marks = [m for m in ("output_node", "deprecated", "experimental", "api_node") if data[m]]
    for label, value in (("category", data["category"]), ("pack", f"{data['pack']} ({data['python_module']})"),
                         ("flags", ", ".join(m.replace("_", " ") for m in marks) or None)):
        if value:
            out.line(f"  {label + ':':<10} {value}")
    _wrapped(out, data["description"] or "", "  ")
    out.line()
    if data["inputs"]:
        _render_inputs(out, data["inputs"])
        _paragraphs(out, list(_input_texts(data["inputs"], "")))
    else:
        out.line("inputs: none")
    out.line()
    if data["outputs"]:
        out.table([(o["index"], o["name"], o["type"], "list" if o["is_list"] else "") for o in data["outputs"]],
                  ("#", "OUTPUT", "TYPE", "NOTES"), shrink=(2, 1))
        _paragraphs(out, [f"{o['name']}: {o['tooltip']}" for o in data["outputs"] if o["tooltip"]])
    else:
        out.line("outputs: none")


def _render_inputs(out: Output, inputs: list[dict[str, Any]]) -> None:
    """The inputs table. A dynamic combo's inputs follow it, indented, each choice's under a
    ``when 'choice':`` line that spans the table (it does not widen the INPUT column)."""
    rows: list[tuple[str, ...]] = []
    labels: dict[int, list[str]] = {}  # lines printed before row N

    def add(items: list[dict[str, Any]], indent: str) -> None:
        for item in items:
            notes = [item["section"]] if item["section"] != "required" else []
            rows.append((indent + item["name"], str(item["type"]), _value(item.get("default")), _range(item),
                         ", ".join(notes + _notes(item))))
            for choice, nested in (item.get("choice_inputs") or {}).items():
                labels.setdefault(len(rows), []).append(
                    f"{indent}  when {item['name']} is {choice!r}:" + ("" if nested else " no more inputs"))
                add(nested, indent + "    ")

    add(inputs, "")
    lines = render_table(rows, ("INPUT", "TYPE", "DEFAULT", "RANGE", "NOTES"), width=out.columns)
    for index, line in enumerate(lines):
        for label in labels.get(index - 1, []):  # lines[0] is the header
            out.line(_fitted(label, out.columns))
        out.line(line)
    for label in labels.get(len(rows), []):
        out.line(_fitted(label, out.columns))


def _fitted(text: str, columns: int | None) -> str:
    """``text`` cut to a terminal's ``columns`` (None: not a terminal, nothing is cut)."""
    return text if columns is None or len(text) < columns else text[:columns - 2] + "…"


def _range(item: dict[str, Any]) -> str:
    if "min" not in item and "max" not in item:
        return ""
    text = f"{_value(item.get('min'))} … {_value(item.get('max'))}"
    return text + (f" step {_value(item['step'])}" if "step" in item else "")


def _value(value: Any) -> str:
    return "" if value is None else str(value)


def _notes(item: dict[str, Any]) -> list[str]:
    notes = [flag.replace("_", " ") for flag in item.get("flags", [])]
    if "choices" in item:
        notes.append(plural(len(item["choices"]), "choice") + (", several" if item.get("multiselect") else ""))
    grow = item.get("autogrow")
    if grow:
        names = grow.get("names")
        named = f"{names[0]} … {names[-1]}" if names else f"{grow.get('prefix', '')}N"
        notes.append(f"repeats as {named}, {grow.get('min') or 0} to {grow.get('max') or 'any'} times")
    return notes


def _input_texts(inputs: list[dict[str, Any]], prefix: str) -> Iterator[str]:
    """Each input's tooltip and choices (the table only counts them), named as in the table."""
    for item in inputs:
        name = prefix + item["name"]
        if item.get("tooltip"):
            yield f"{name}: {item['tooltip']}"
        if "choices" in item:
            choices = [str(c) for c in item["choices"]]
            more = f" (+{len(choices) - MAX_CHOICES} more, see --json)" if len(choices) > MAX_CHOICES else ""
            label = "    choices" if item.get("tooltip") else name
            yield f"{label}: " + (", ".join(choices[:MAX_CHOICES]) or "none") + more
        for choice, nested in (item.get("choice_inputs") or {}).items():
            yield from _input_texts(nested, f"{name}={choice}: ")


def _paragraphs(out: Output, texts: list[str]) -> None:
    """Free texts under a table: a blank line, then each wrapped, continued with an indent."""
    if texts:
        out.line()
    for text in texts:
        _wrapped(out, text, "", "    ")


def _wrapped(out: Output, text: str, indent: str, later_indent: str | None = None) -> None:
    """``text`` wrapped to the terminal width (runs of spaces inside a line are kept)."""
    if not text.strip():
        return
    import textwrap  # only 'nodes info' wraps text: a search answered from the cache need not load it

    for line in textwrap.wrap(text.replace("\n", " "), width=max(out.width - 1, 40), initial_indent=indent,
                              subsequent_indent=later_indent or indent):
        out.line(line)
