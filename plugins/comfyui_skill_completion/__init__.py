"""``comfyui-skill completion``: shell completion for bash, zsh and fish.

``completion SHELL`` prints a script to source; on TAB the script runs the hidden
``completion --complete WORD...``, which walks the real argparse tree and completes commands,
options, choices, server names (config), stored workflow names (data dir) and node classes (the
node catalog cache). Nothing on this path touches the network.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

SHELLS = ("bash", "zsh", "fish")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("completion_shell", metavar="SHELL", nargs="?", choices=SHELLS,
                        help="the shell to print a completion script for: " + ", ".join(SHELLS))
    parser.add_argument("--complete", dest="completion_words", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(handler="comfyui_skill_completion.commands:completion")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("completion", "print a shell completion script (bash, zsh, fish)",
                    description="Print a completion script. bash: 'source <(comfyui-skill completion bash)' "
                                "(e.g. in ~/.bashrc); zsh: 'source <(comfyui-skill completion zsh)' in ~/.zshrc; "
                                "fish: 'comfyui-skill completion fish > "
                                "~/.config/fish/completions/comfyui-skill.fish'.", configure=configure)]
