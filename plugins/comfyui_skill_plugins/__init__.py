"""``comfyui-skill plugins``: list, enable and disable plugins."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

HANDLERS = "comfyui_skill_plugins.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="plugins_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="installed plugins with their status and hooks",
                             description="List every plugin: built-in and third-party, active, blocked "
                                         "(disabled) or failed (with the error).")
    listing.add_argument("--requirements", action="store_true",
                         help="print third-party plugins as 'distribution==version' lines, for reinstalling")
    listing.set_defaults(handler=f"{HANDLERS}:list_plugins")
    for verb, text in (("disable", "stop loading a plugin (kept installed)"),
                       ("enable", "load a disabled plugin again")):
        action = sub.add_parser(verb, help=text, description=text.capitalize() + ". Edits [plugins] disabled "
                                "in the config file.")
        action.add_argument("name", metavar="NAME", help="plugin name (see 'plugins list') or distribution")
        action.set_defaults(handler=f"{HANDLERS}:{verb}_plugin")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("plugins", "list, enable and disable plugins", configure=configure)]
