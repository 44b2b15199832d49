"""For agents and scripts: ``describe`` (the whole command line as data) and ``skill`` (the SKILL.md
that teaches an agent to drive comfyui-skill)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

PKG = "comfyui_skill_agent"


def configure_describe(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=f"{PKG}.describe:describe")


def configure_skill(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="skill_command", metavar="SUBCOMMAND")
    show = sub.add_parser("show", help="print SKILL.md, with the commands installed here")
    show.set_defaults(handler=f"{PKG}.skill:show")
    install = sub.add_parser("install", help="write SKILL.md into an agent's skills folder",
                             description="Write DIR/comfyui-skill/SKILL.md (DIR is an agent's skills folder, e.g. "
                                         "~/.claude/skills), listing the commands installed here. An existing "
                                         "file is only replaced with --force.")
    install.add_argument("skill_dir", metavar="DIR", help="the agent's skills folder")
    install.add_argument("--force", dest="skill_force", action="store_true", help="replace an existing SKILL.md")
    install.set_defaults(handler=f"{PKG}.skill:install")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [
        Command("describe", "the whole command line as data: commands, arguments, exit and error codes, schemas",
                description="Describe every installed command (plugins included): arguments with types, choices "
                            "and defaults; exit codes; error codes; the JSON Schemas of --json results and NDJSON "
                            "events. Use --json.", configure=configure_describe),
        Command("skill", "the SKILL.md that teaches AI agents to use comfyui-skill (show, install)",
                configure=configure_skill),
    ]
