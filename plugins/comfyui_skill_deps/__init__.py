"""``comfyui-skill deps``: what a workflow needs that the server lacks, and installing it through ComfyUI-Manager."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl, positive_seconds

DEFAULT_TIMEOUT = 900.0
NODE_ACTIONS = {"enable": "enable a disabled node pack", "disable": "disable a node pack (kept on disk)",
                "uninstall": "remove a node pack", "update": "update a node pack to its latest version"}


def _timeout(parser: argparse.ArgumentParser, default: float = DEFAULT_TIMEOUT) -> None:
    parser.add_argument("--timeout", dest="deps_timeout", type=positive_seconds, default=default, metavar="SECONDS",
                        help=f"give up waiting for the Manager after this long (default {default:g})")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="deps_command", metavar="SUBCOMMAND")
    check = sub.add_parser("check", help="node classes and model files the workflow needs that the server "
                           "lacks (exit 7 when something is missing)")
    check.add_argument("deps_ref", metavar="NAME|FILE", help="a stored workflow, a file, or '-' (stdin)")
    check.set_defaults(handler="comfyui_skill_deps.check:check")

    install = sub.add_parser("install", help="install what 'deps check' finds missing through ComfyUI-Manager "
                             "(shows the plan and asks first; exit 5 when an item fails, 7 when every item "
                             "was skipped)")
    install.add_argument("deps_ref", metavar="NAME|FILE", help="a stored workflow, a file, or '-' (stdin)")
    install.add_argument("--nodes", dest="deps_nodes", action="store_true", help="only node packs")
    install.add_argument("--models", dest="deps_models", action="store_true", help="only model files")
    install.add_argument("--repo", dest="deps_repo", action="append", default=[], metavar="URL",
                         help="also install the node pack at this git URL (repeatable); packs not in the "
                              "registry are only ever installed this way")
    install.add_argument("--model-url", dest="deps_model_url", action="append", default=[], metavar="NAME=URL",
                         help="download model file NAME from URL (repeatable; else the workflow's own model "
                              "links are used, never a guessed one)")
    install.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _timeout(install)
    install.set_defaults(handler="comfyui_skill_deps.commands:install")

    nodes = sub.add_parser("nodes", help="custom node packs installed on the server (through ComfyUI-Manager)")
    nodes_sub = nodes.add_subparsers(dest="deps_action", metavar="ACTION")
    nodes_sub.add_parser("list", help="installed node packs with version and enabled state").set_defaults(
        handler="comfyui_skill_deps.commands:nodes_list")
    for action, help_text in NODE_ACTIONS.items():
        command = nodes_sub.add_parser(action, help=help_text)
        command.add_argument("deps_pack", metavar="ID", help="the pack's id as 'deps nodes list' shows it")
        if action == "uninstall":
            command.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
        _timeout(command)
        command.set_defaults(handler="comfyui_skill_deps.commands:nodes_action")

    models = sub.add_parser("models", help="model files installed through ComfyUI-Manager")
    models_sub = models.add_subparsers(dest="deps_action", metavar="ACTION")
    model_install = models_sub.add_parser("install", help="have the server download a model file from a URL")
    model_install.add_argument("--url", dest="deps_url", required=True, metavar="URL",
                               help="where to download it from")
    model_install.add_argument("--folder", dest="deps_folder", required=True, metavar="FOLDER",
                               help="one of the server's model folders (checkpoints, loras, vae, ...: "
                                    "'models list' shows them)")
    model_install.add_argument("--name", dest="deps_name", metavar="FILE",
                               help="file name to save it as (default: the URL's last part)")
    _timeout(model_install)
    model_install.set_defaults(handler="comfyui_skill_deps.commands:models_install")

    restart = sub.add_parser("restart", help="restart ComfyUI through the Manager (loads new node packs)")
    restart.add_argument("--wait", dest="deps_wait", action="store_true",
                         help="wait until the server answers again and report the new node classes")
    _timeout(restart, 300.0)
    restart.set_defaults(handler="comfyui_skill_deps.restart:restart")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("deps", "what a workflow needs that the server lacks, and installing it through "
                    "ComfyUI-Manager", configure=configure)]
