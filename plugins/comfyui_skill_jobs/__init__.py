"""``comfyui-skill jobs``: the jobs API (list, show, cancel) of local ComfyUI >= 0.6 and Comfy Cloud.

The two spell sort keys differently (``created_at`` vs ``create_time``); the server's backend
translates ``--sort created|duration`` (:meth:`comfyui_skill.Backend.jobs_query`). Timestamps are
read whether the server sends seconds or milliseconds.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, hookimpl, positive_count

HANDLERS = "comfyui_skill_jobs.commands"
STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")


def _statuses(text: str) -> str:
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in STATUSES]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"{text!r}: statuses are {', '.join(STATUSES)} (comma-separated)")
    return ",".join(wanted)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="jobs_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="recent jobs, newest first",
                             description="Jobs known to the server (queued, running and finished), from its "
                                         "jobs API (ComfyUI >= 0.6, Comfy Cloud).")
    listing.add_argument("--status", dest="jobs_status", type=_statuses, metavar="S[,S...]",
                         help=f"only jobs in these states: {', '.join(STATUSES)}")
    listing.add_argument("--limit", dest="jobs_limit", type=positive_count(), default=20, metavar="N",
                         help="at most N jobs (default: 20)")
    listing.add_argument("--sort", dest="jobs_sort", choices=("created", "duration"), default="created",
                         help="order by creation time or execution duration, largest first (default: created)")
    listing.add_argument("--asc", dest="jobs_asc", action="store_true", help="smallest first")
    listing.set_defaults(handler=f"{HANDLERS}:list_jobs")

    show = sub.add_parser("show", help="one job: status, times, outputs, error")
    show.add_argument("job_id", metavar="ID", help="the job (prompt) id")
    show.set_defaults(handler=f"{HANDLERS}:show_job")

    cancel = sub.add_parser("cancel", help="cancel a pending or running job",
                            description="Dequeue a pending job or interrupt a running one. A job that "
                                        "already ended is left alone (exit 0, cancelled: false).")
    cancel.add_argument("job_id", metavar="ID", help="the job (prompt) id")
    cancel.set_defaults(handler=f"{HANDLERS}:cancel_job")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("jobs", "jobs on the server: list, show, cancel (ComfyUI >= 0.6, Comfy Cloud)",
                    configure=configure)]
