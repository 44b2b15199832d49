"""``comfyui-skill local``: a ComfyUI on this machine — install it, launch it in the background,
stop, restart, check it and read its own log.

The command group is called ``local`` (what a user types: "my local ComfyUI"); the plugin is
``launcher``, since the plugin name ``local`` belongs to the ``local`` server kind.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, McpTool, hookimpl, positive_seconds

COMMANDS = "comfyui_skill_launcher.commands"
INSTALL = "comfyui_skill_launcher.install"
TORCH_CHOICES = ("cpu", "cuda", "rocm", "skip")


def _split_at_double_dash(parser_class: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """A parser class that hands everything after ``--`` to ComfyUI untouched (``comfy_args``):
    argparse alone would give the first of them to an omitted optional PATH."""

    class ComfyArgsParser(parser_class):  # type: ignore[misc,valid-type]
        takes_comfy_args = False  #: set on the parsers whose command passes arguments on to ComfyUI

        def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def,override]
            args = list(args or [])
            rest = None
            if self.takes_comfy_args and "--" in args:
                cut = args.index("--")
                args, rest = args[:cut], args[cut + 1:]
            namespace, extra = super().parse_known_args(args, namespace)
            if rest is not None:
                namespace.local_comfy_args = rest
            return namespace, extra

    return ComfyArgsParser


def _name(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--name", dest="local_name", default="local", metavar="NAME",
                        help=f"which local ComfyUI {what} (default: local)")


def _launch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", dest="local_timeout", type=positive_seconds, default=120.0, metavar="SECONDS",
                        help="how long to wait for it to answer (default: 120)")
    parser.add_argument("--no-default", dest="local_no_default", action="store_true",
                        help="do not make it the default server")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="local_command", metavar="SUBCOMMAND",
                                parser_class=_split_at_double_dash(type(parser)))
    launch = sub.add_parser(
        "launch", help="start a ComfyUI install in the background and make it the configured server",
        description="Start the ComfyUI at PATH in the background (PATH, --python and the options are "
                    "remembered under --name), wait until it answers, then make it the configured server "
                    "NAME (and the default). Its output goes to a log file ('local logs'). Further ComfyUI "
                    "options follow '--': local launch ~/ComfyUI -- --highvram")
    launch.add_argument("local_path", metavar="PATH", nargs="?",
                        help="the ComfyUI folder (the one with main.py); default: the one remembered")
    _name(launch, "to start; also the server name it gets")
    launch.add_argument("--python", dest="local_python", metavar="PYTHON",
                        help="the interpreter to run it with (default: PATH/.venv or PATH/venv; remembered)")
    launch.add_argument("--port", dest="local_port", type=int, metavar="PORT",
                        help="the port to listen on (default: the one of last time if free, else the first "
                             "free one from 8188)")
    launch.add_argument("--cpu", dest="local_cpu", action=argparse.BooleanOptionalAction, default=None,
                        help="run on the CPU (remembered)")
    launch.add_argument("--enable-manager", dest="local_manager", action=argparse.BooleanOptionalAction,
                        default=None, help="start ComfyUI-Manager with it (remembered)")
    _launch_options(launch)
    launch.takes_comfy_args = True  # type: ignore[attr-defined]
    launch.set_defaults(handler=f"{COMMANDS}:launch", local_comfy_args=None)

    stop = sub.add_parser("stop", help="stop a ComfyUI this tool started",
                          description="Stop the ComfyUI started under NAME: SIGTERM (CTRL_BREAK on Windows) "
                                      "to its process group, then SIGKILL after --grace seconds. Only the "
                                      "recorded process is signalled (PID, start time and command line must "
                                      "match), never a program found by name.")
    _name(stop, "to stop")
    stop.add_argument("--all", dest="local_all", action="store_true", help="stop every one this tool started")
    stop.add_argument("--grace", dest="local_grace", type=float, default=10.0, metavar="SECONDS",
                      help="how long it has to end before it is killed (default: 10)")
    stop.set_defaults(handler=f"{COMMANDS}:stop")

    restart = sub.add_parser("restart", help="stop and start it again with the same options",
                             description="Stop the ComfyUI started under NAME (if it runs) and start it again "
                                         "with the same folder, Python, port and options.")
    _name(restart, "to restart")
    restart.add_argument("--grace", dest="local_grace", type=float, default=10.0, metavar="SECONDS",
                         help="how long it has to end before it is killed (default: 10)")
    _launch_options(restart)
    restart.set_defaults(handler=f"{COMMANDS}:restart")

    status = sub.add_parser("status", help="PID, port, uptime, version and log of the local ComfyUIs",
                            description="Show each local ComfyUI this tool knows: running or not, PID, port, "
                                        "uptime, ComfyUI version, whether it answers, its folder and log. With "
                                        "--name, exits 3 when that one is not running or does not answer.")
    status.add_argument("--name", dest="local_name", metavar="NAME", help="only this one")
    status.set_defaults(handler=f"{COMMANDS}:status")

    logs = sub.add_parser("logs", help="a launched ComfyUI's own log file (-f follows it)",
                          description="The output of a ComfyUI this tool started (its console), from the log "
                                      "file in the data dir. 'logs show' instead reads a server's log API.")
    _name(logs, "to read")
    logs.add_argument("-n", "--lines", dest="local_lines", type=int, default=50, metavar="N",
                      help="the last N lines (default 50; 0 = all)")
    logs.add_argument("-f", "--follow", dest="local_follow", action="store_true",
                      help="keep showing new lines until it stops, Ctrl-C or --timeout")
    logs.add_argument("--timeout", dest="local_timeout", type=positive_seconds, metavar="SECONDS",
                      help="with --follow: stop after SECONDS")
    logs.set_defaults(handler=f"{COMMANDS}:logs")

    forget = sub.add_parser("forget",
                            help="forget a stopped one: its remembered path, options and logs (its folder stays)",
                            description="Forget NAME: its record and log files. Refused while it runs. Its "
                                        "ComfyUI folder and its server in the config file stay.")
    _name(forget, "to forget")
    forget.set_defaults(handler=f"{COMMANDS}:forget")

    install = sub.add_parser(
        "install", help="clone ComfyUI, create its venv, install its requirements",
        description="Set up ComfyUI at PATH (default: ./ComfyUI): clone it (--from, --ref), create PATH/.venv, "
                    "install PyTorch as chosen with --torch (required: cpu, cuda, rocm, or skip to leave it "
                    "out) and ComfyUI's requirements, optionally ComfyUI-Manager. Run it again to finish an "
                    "install that was cut short. The folder is remembered for 'local launch'.")
    install.add_argument("local_path", metavar="PATH", nargs="?", default="ComfyUI",
                         help="where to install it (default: ./ComfyUI)")
    _name(install, "to remember it as")
    install.add_argument("--torch", dest="local_torch", choices=TORCH_CHOICES, metavar="{cpu,cuda,rocm,skip}",
                         help="which PyTorch to install: cpu, cuda (NVIDIA), rocm (AMD), or skip (none: "
                              "you install it yourself)")
    install.add_argument("--torch-index", dest="local_torch_index", metavar="URL",
                         help="the package index PyTorch comes from (default: the one of --torch's choice)")
    install.add_argument("--from", dest="local_from", metavar="URL_OR_DIR",
                         help="the repository to clone (default: the official ComfyUI repository)")
    install.add_argument("--ref", dest="local_ref", metavar="REF", help="a tag, branch or commit to check out")
    install.add_argument("--with-manager", dest="local_with_manager", action="store_true",
                         help="also install ComfyUI-Manager (then launch with --enable-manager)")
    install.add_argument("--python", dest="local_python", metavar="PYTHON",
                         help="the Python the virtual environment is made with (default: this one's)")
    install.set_defaults(handler=f"{INSTALL}:install_command")

    update = sub.add_parser("update", help="pull ComfyUI and reinstall its requirements (not while it runs)",
                            description="Update the ComfyUI remembered under NAME (or at --path): git pull "
                                        "(or check out --ref), then reinstall its requirements with the same "
                                        "PyTorch choice. Refused while a ComfyUI runs from that folder.")
    _name(update, "to update")
    update.add_argument("--ref", dest="local_ref", metavar="REF", help="check out this tag, branch or commit")
    update.set_defaults(handler=f"{INSTALL}:update_command")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("local", "a ComfyUI on this machine: install, launch, stop, status, logs", configure=configure)]


@hookimpl
def comfyui_skill_mcp_tools() -> Iterable[McpTool]:
    from .tools import TOOLS

    return TOOLS
