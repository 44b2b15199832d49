"""``comfyui-skill man``: the manual page, including the commands of installed third-party plugins.

The page shipped with comfyui-skill (``man/comfyui-skill.1``) is this command's output with the
built-in plugins only: ``tools/update-manpage`` regenerates it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output-file", dest="man_output", metavar="FILE",
                        help="write the page to FILE instead of standard output")
    parser.set_defaults(handler="comfyui_skill_man.page:man")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("man", "print the manual page (roff) of every installed command",
                    description="Print the manual page, in roff, of comfyui-skill with every command of the "
                                "plugins loaded now: 'comfyui-skill man | man -l -'.", configure=configure)]
