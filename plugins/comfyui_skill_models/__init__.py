"""``comfyui-skill models``: the model files a server can load, by folder."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="model folders with file counts, or the files of one folder",
                             description="Without FOLDER: every model folder of the server with its number "
                                         "of files (configs, custom_nodes and datasets hold no models: they are "
                                         "named, not counted). With FOLDER (e.g. checkpoints, loras): its files.")
    listing.add_argument("models_folder", metavar="FOLDER", nargs="?")
    listing.set_defaults(handler="comfyui_skill_models.commands:list_models")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("models", "the model files a server can load", configure=configure)]
