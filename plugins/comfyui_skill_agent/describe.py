"""``comfyui-skill describe``: everything an agent or a script needs to drive the CLI, as data."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import ERROR_CODES, EVENT_TYPES, Context, ExitCode, Output, Result, __version__, json_schema

from . import tree


def describe(ctx: Context, args: argparse.Namespace) -> Result:
    data = description(ctx)

    def render(out: Output) -> None:
        rows = [(c["command"], c["help"]) for c in data["commands"] if c["runnable"]]
        out.table(rows, ["COMMAND", "DESCRIPTION"], shrink=[1])
        out.line()
        out.line("Arguments, exit codes, error codes and output schemas: comfyui-skill describe --json")

    return Result(data=data, text=render)


def description(ctx: Context) -> dict[str, Any]:
    parser = tree.full_parser(ctx)
    return {
        "program": tree.PROG,
        "version": __version__,
        "output_modes": {"flag": "--output text|json|ndjson (--json)", "environment": "COMFYUI_SKILL_OUTPUT"},
        "global_options": tree.arguments(parser),
        "commands": [command(path, sub, help_) for path, sub, help_ in tree.commands(parser)],
        "exit_codes": {code.name.lower(): int(code) for code in ExitCode},
        "error_codes": {name: {"exit_code": int(exit_code), "meaning": meaning}
                        for name, (exit_code, meaning) in ERROR_CODES.items()},
        "event_types": dict(EVENT_TYPES),
        "schemas": {"result": json_schema("result"), "event": json_schema("event")},
    }


def command(path: str, parser: argparse.ArgumentParser, help_: str) -> dict[str, Any]:
    return {
        "command": path,
        "help": help_,
        "description": parser.description,
        "plugin": parser.get_default("_plugin"),
        "runnable": tree.runnable(parser),
        "usage": " ".join(parser.format_usage().split())[len("usage: "):],
        "arguments": tree.arguments(parser),
    }
