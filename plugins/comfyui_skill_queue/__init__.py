"""``comfyui-skill queue``: the server's queue (list, clear, delete, move-to-front).

``move-to-front`` works by resubmission, because ComfyUI has no reorder API: the pending item is
deleted first, and only if it is then neither running nor finished is it submitted again with
``front: true``, the same prompt id, graph, extra data (so its client still gets its events) and
output nodes. A prompt can therefore never run twice; if the resubmission fails the graph is kept in
the error details.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl

HANDLERS = "comfyui_skill_queue.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="queue_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="running and pending prompts",
                             description="Running and pending prompts: position, prompt id, client id, age "
                                         "and output nodes. --json gives the server's raw items.")
    listing.set_defaults(handler=f"{HANDLERS}:list_queue")

    clear = sub.add_parser("clear", help="remove every pending prompt (the running one continues)")
    clear.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    clear.set_defaults(handler=f"{HANDLERS}:clear_queue")

    delete = sub.add_parser("delete", help="remove pending prompts by id")
    delete.add_argument("queue_ids", metavar="ID", nargs="+", help="prompt ids (see 'queue list')")
    delete.set_defaults(handler=f"{HANDLERS}:delete_prompts")

    front = sub.add_parser("move-to-front", help="make a pending prompt the next to run (by resubmission)",
                           description="Make a pending prompt the next to run. ComfyUI cannot reorder its "
                                       "queue, so the prompt is deleted and submitted again at the front "
                                       "with the same prompt id, graph and extra data.")
    front.add_argument("queue_id", metavar="ID", help="the pending prompt's id")
    front.set_defaults(handler=f"{HANDLERS}:move_to_front")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("queue", "list and edit the server's queue", configure=configure)]
