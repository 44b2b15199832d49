"""``comfyui-skill server``: the configured servers (add, list, show, remove, use, kinds) and their
state (status, stats)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

HANDLERS = "comfyui_skill_server.manage"
STATUS = "comfyui_skill_server.status"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="server_command", metavar="SUBCOMMAND")
    add = sub.add_parser("add", help="add a named server to the config file",
                         description="Add a server. Secrets are read from standard input "
                                     "(--token-stdin), never from the command line.")
    add.add_argument("name", metavar="NAME", help="a short name for the server: letters, digits, '-' and '_', e.g. gpu1")
    add.add_argument("server_url", metavar="URL", nargs="?",
                     help="its base URL, http:// unless a scheme is given (default: the kind's default URL, "
                          "if it has one)")
    # --url and --kind after 'server add' are the new server's own, never the global one-off server's
    add.add_argument("--url", dest="server_url_option", metavar="URL", help="the same as URL")
    add.add_argument("--kind", dest="server_kind", default="local", metavar="KIND",
                     help="server kind (see 'server kinds'; default: local)")
    add.add_argument("--token-stdin", action="store_true", help="read a bearer token from standard input")
    add.add_argument("--output-dir", metavar="DIR", help="where outputs of this server's runs are saved")
    add.add_argument("--default", action="store_true", help="make it the default server")
    add.add_argument("--force", action="store_true", help="replace an existing server of that name")
    add.set_defaults(handler=f"{HANDLERS}:add_server")

    listing = sub.add_parser("list", help="configured servers (secrets masked)")
    listing.set_defaults(handler=f"{HANDLERS}:list_servers")

    show = sub.add_parser("show", help="one server's settings (secrets masked)")
    show.add_argument("name", metavar="NAME", nargs="?", help="server name (default: the selected server)")
    show.set_defaults(handler=f"{HANDLERS}:show_server")

    remove = sub.add_parser("remove", help="remove a server from the config file")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=f"{HANDLERS}:remove_server")

    use = sub.add_parser("use", help="make a server the default")
    use.add_argument("name", metavar="NAME")
    use.set_defaults(handler=f"{HANDLERS}:use_server")

    kinds = sub.add_parser("kinds", help="the kinds of server the installed plugins can talk to")
    kinds.set_defaults(handler=f"{HANDLERS}:list_kinds")

    status = sub.add_parser("status", help="is a server reachable; versions, devices, queue length",
                            description="Check servers: reachable or not (and why), ComfyUI, Python and "
                                        "PyTorch versions, devices with free/total memory, queue length. "
                                        "Exits 3 when a server asked for is unreachable (8: credentials "
                                        "refused), after showing all of them.")
    status.add_argument("status_names", metavar="NAME", nargs="*",
                        help="configured servers to check (default: the selected server)")
    status.add_argument("--all", dest="status_all", action="store_true",
                        help="check every configured server, concurrently")
    status.set_defaults(handler=f"{STATUS}:status")

    stats = sub.add_parser("stats", help="the full /system_stats and /features of a server")
    stats.set_defaults(handler=f"{STATUS}:stats")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("server", "configure servers and check them", configure=configure)]
