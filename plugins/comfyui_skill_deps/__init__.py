"""``comfyui-skill deps``: what a workflow needs that the server lacks (node classes, model files)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="deps_command", metavar="SUBCOMMAND")
    check = sub.add_parser("check", help="node classes and model files the workflow needs that the server "
                           "lacks (exit 7 when something is missing)")
    check.add_argument("deps_ref", metavar="NAME|FILE", help="a stored workflow, a file, or '-' (stdin)")
    check.set_defaults(handler="comfyui_skill_deps.check:check")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("deps", "what a workflow needs that the server lacks (nodes, models)", configure=configure)]
