"""Walking the fully configured argparse tree into plain data."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from comfyui_skill import Context, build_parser

PROG = "comfyui-skill"
#: argparse's own bookkeeping dests and the core's hidden defaults, never shown as arguments
_HIDDEN_DESTS = frozenset({"help"})
_TYPE_NAMES = {int: "integer", float: "number", str: "string", "int": "integer", "float": "number", "str": "string"}


def full_parser(ctx: Context) -> argparse.ArgumentParser:
    return build_parser(ctx.plugins, configure=True)


def commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser, str]]:
    """(path, parser, help) of every command and nested subcommand, depth first, aliases skipped."""
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if not isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}  # noqa: SLF001
        seen: set[int] = set()
        for name, child in action.choices.items():
            if id(child) in seen or name not in helps:
                continue
            seen.add(id(child))
            path = child.prog[len(PROG):].strip()
            yield path, child, helps[name]
            yield from commands(child)


def arguments(parser: argparse.ArgumentParser) -> list[dict[str, Any]]:
    """The visible arguments of one parser (suppressed ones, like the repeated global options, left out)."""
    described = []
    for action in parser._actions:  # noqa: SLF001
        if action.help == argparse.SUPPRESS or action.dest in _HIDDEN_DESTS:
            continue
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            continue
        described.append(_argument(action))
    return described


def _argument(action: argparse.Action) -> dict[str, Any]:
    return {
        "name": action.dest,
        "flags": list(action.option_strings),
        "positional": not action.option_strings,
        "type": _type_name(action),
        "nargs": action.nargs,
        "repeatable": isinstance(action, (argparse._AppendAction, argparse._CountAction)),  # noqa: SLF001
        "choices": list(action.choices) if action.choices is not None else None,
        "default": action.default if action.default is not argparse.SUPPRESS else None,
        "required": bool(action.required) and action.nargs not in ("?", "*"),  # argparse marks 'x*' required
        "metavar": action.metavar,
        "help": action.help,
    }


def _type_name(action: argparse.Action) -> str:
    if isinstance(action, argparse._CountAction):  # noqa: SLF001
        return "integer"
    if action.nargs == 0:
        return "boolean"
    kind = action.type
    if kind is None:
        return "string"
    returned = getattr(kind, "__annotations__", {}).get("return", kind)
    return _TYPE_NAMES.get(returned, "string")


def runnable(parser: argparse.ArgumentParser) -> bool:
    return parser.get_default("handler") is not None
