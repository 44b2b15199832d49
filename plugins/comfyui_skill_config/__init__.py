"""``comfyui-skill config``: read and edit the configuration file (comments and layout are kept)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

HANDLERS = "comfyui_skill_config.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    get = sub.add_parser("get", help="print one setting's value", description="Print the value of a "
                         "setting, e.g. 'default_server' or 'servers.local.url'. Secrets are masked.")
    get.add_argument("key", metavar="KEY")
    get.add_argument("--show-secret", action="store_true", help="print a secret value in full")
    get.set_defaults(handler=f"{HANDLERS}:get_value")

    set_ = sub.add_parser("set", help="set a setting in the config file",
                          description="Set KEY to VALUE in the config file. Secrets (tokens, keys, "
                                      "passwords) are read from standard input with --stdin, never "
                                      "from the command line, and make the file private (0600).")
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE", nargs="?", help="the value (JSON for lists and tables)")
    set_.add_argument("--stdin", action="store_true", help="read the value from standard input")
    set_.set_defaults(handler=f"{HANDLERS}:set_value")

    unset = sub.add_parser("unset", help="remove a setting from the config file")
    unset.add_argument("key", metavar="KEY")
    unset.set_defaults(handler=f"{HANDLERS}:unset_value")

    listing = sub.add_parser("list", help="every known setting with its value and where it comes from")
    listing.set_defaults(handler=f"{HANDLERS}:list_values")

    path = sub.add_parser("path", help="print the config file's path (works even if it is malformed)")
    path.set_defaults(handler=f"{HANDLERS}:show_path")

    reset = sub.add_parser("reset", help="move the config file aside (kept as a backup) and start afresh")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(handler=f"{HANDLERS}:reset")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("config", "read and edit the configuration file", configure=configure)]
