"""``comfyui-skill logs``: the server's log (``/internal/logs/raw``), optionally followed live over
the WebSocket log subscription. ANSI colours are kept when stdout is a terminal (or with
``--raw``) and stripped otherwise."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl, positive_seconds


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="logs_command", metavar="SUBCOMMAND")
    show = sub.add_parser("show", help="the last log entries; --follow streams new ones",
                          description="The server log. With --follow, new entries are streamed until "
                                      "Ctrl-C or --timeout; with --output ndjson each one is a 'log' event.")
    show.add_argument("-n", "--lines", dest="logs_lines", type=int, default=50, metavar="N",
                      help="the last N entries (default 50; 0 = all the server keeps)")
    show.add_argument("-f", "--follow", dest="logs_follow", action="store_true", help="stream new entries")
    show.add_argument("--timeout", dest="logs_timeout", type=positive_seconds, metavar="SECONDS",
                      help="with --follow: stop after SECONDS (default: until Ctrl-C)")
    show.add_argument("--raw", dest="logs_raw", action="store_true",
                      help="keep ANSI colour codes even when stdout is not a terminal")
    show.set_defaults(handler="comfyui_skill_logs.commands:show_logs")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("logs", "the server's log", configure=configure)]
