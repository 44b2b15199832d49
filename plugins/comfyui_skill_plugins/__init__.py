"""``comfyui-skill plugins``: list, enable, disable, create, install, uninstall and upgrade plugins."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

HANDLERS = "comfyui_skill_plugins.commands"
PACKAGES = "comfyui_skill_plugins.packages"


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
    configure_new(sub)
    configure_packages(sub)


def configure_new(sub: argparse._SubParsersAction) -> None:
    new = sub.add_parser("new", help="create a new plugin project from the template",
                         description="Create a plugin project (pyproject, package with one command group and "
                                     "an example of every hook, tests against the fake ComfyUI, README, "
                                     "LICENSE, CI workflow) in ./comfyui-skill-NAME or DIR.")
    new.add_argument("plugins_name", metavar="NAME", help="the plugin's name, e.g. my-nodes (its command's name)")
    new.add_argument("--backend", dest="plugins_backend", action="store_true",
                     help="also add a worked example of a server kind (ComfyUI behind an authenticating proxy)")
    new.add_argument("-o", "--output-dir", dest="plugins_output_dir", metavar="DIR",
                     help="where to create the project (default: ./comfyui-skill-NAME); must be new or empty")
    new.set_defaults(handler="comfyui_skill_plugins.scaffold:new_plugin")


def configure_packages(sub: argparse._SubParsersAction) -> None:
    """install/upgrade/uninstall: pip in the environment comfyui-skill runs from."""
    where = " into the environment comfyui-skill runs from (python -m pip)"
    install = sub.add_parser("install", help="install plugins" + where, description="Install plugin packages" +
                             where + ". Never put credentials in a URL here: use --index-url or ~/.netrc.")
    install.add_argument("-e", "--editable", dest="plugins_editable", metavar="PATH", action="append",
                         help="install a project directory in editable mode (repeatable)")
    upgrade = sub.add_parser("upgrade", help="upgrade plugins" + where, description="Upgrade plugin packages" +
                             where + ".")
    upgrade.add_argument("--all", dest="plugins_all", action="store_true",
                         help="upgrade every installed third-party plugin")
    for parser, nargs in ((install, "*"), (upgrade, "*")):
        parser.add_argument("plugins_packages", metavar="PKG", nargs=nargs,
                            help="a requirement (name, name==version, path, URL)")
        parser.add_argument("--pre", dest="plugins_pre", action="store_true", help="allow pre-releases")
        parser.add_argument("--index-url", dest="plugins_index_url", metavar="URL",
                            help="package index to use (given to pip through its environment, not its argv)")
    install.set_defaults(handler=f"{PACKAGES}:install")
    upgrade.set_defaults(handler=f"{PACKAGES}:upgrade")
    uninstall = sub.add_parser("uninstall", help="uninstall plugins from comfyui-skill's environment",
                               description="Uninstall plugin packages (by distribution or plugin name). Asks "
                                           "first; without a terminal, --yes is required.")
    uninstall.add_argument("plugins_packages", metavar="PKG", nargs="+", help="distribution or plugin name")
    uninstall.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    uninstall.set_defaults(handler=f"{PACKAGES}:uninstall")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("plugins", "list, enable, disable, create, install and upgrade plugins", configure=configure)]
