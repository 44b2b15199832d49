"""Running workflows: ``run``, ``submit``, ``status``, ``wait``, ``cancel``, ``history``, ``upload``, ``free``.

Only the argument parsers live here (cheap to import); the handlers are in the sibling modules and are
imported when a command actually runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, Setting, hookimpl, positive_count, positive_seconds

PKG = "comfyui_skill_run"
STATUSES = ("submitting", "queued", "success", "error", "cancelled", "removed", "rejected", "detached",
            "submit_failed", "pending", "running", "lost")


def _workflow_inputs(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    parser.add_argument("workflow", metavar="WORKFLOW", nargs="?" if optional else None,
                        help="workflow JSON file (API or editor format), '-' for standard input, a stored workflow "
                             "name, or template:NAME (a template of the server)")
    parser.add_argument("--args", dest="run_args", metavar="JSON",
                        help='input overrides as JSON: {"NODE.INPUT": value} or {"NODE": {"INPUT": value}}')
    parser.add_argument("--set", dest="run_set", metavar="NODE.INPUT=VALUE", action="append",
                        help="override one input (NODE: id, title or class type; VALUE: JSON or text); repeatable."
                             " Local file paths (./x.png, /abs/x.png) are uploaded first")
    parser.add_argument("--front", dest="run_front", action="store_true", help="put the prompt at the head of the queue")
    parser.add_argument("--only", dest="run_only", metavar="NODE_ID", nargs="+",
                        help="execute only these output nodes (and what they need)")
    parser.set_defaults(accepts_extra_args=True)  # named workflow parameters: --prompt "a cat" --seed 42
    parser.add_argument("--allow-paid-nodes", dest="run_allow_paid_nodes", action="store_true",
                        help="allow partner (paid API) nodes; the Comfy API key (COMFY_API_KEY or the server's "
                             "comfy_api_key) is then sent with the prompt. Without it such workflows are refused")


def _outputs_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument("-o", "--output-dir", dest=f"{prefix}_output_dir", metavar="OUTDIR",
                        help="where to save outputs (default: the server's output_dir, the global output_dir "
                             "setting, else ./comfyui-output)")
    parser.add_argument("--include-temp", dest=f"{prefix}_include_temp", action="store_true",
                        help="also download temporary previews (PreviewImage)")


class WorkflowHelp(argparse.Action):
    """``-h``/``--help`` of ``run``: argparse's help, or with a WORKFLOW before it, a handler that adds
    the workflow's named parameters (it needs the server's catalog, so it runs as a command does)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        if not getattr(namespace, "workflow", None):
            parser.print_help()
            parser.exit()
        namespace.handler = f"{PKG}.help:run_help"


def _show_options(parser: argparse.ArgumentParser, prefix: str) -> None:
    """Drawing in the terminal (the display plugin; the display.show setting is the default)."""
    parser.add_argument("--show", dest=f"{prefix}_show", action="store_const", const=True, default=None,
                        help="draw each saved image in the terminal with its path under it, and the live preview "
                             "while the prompt samples (default: the display.show setting)")
    parser.add_argument("--no-show", dest=f"{prefix}_show", action="store_const", const=False,
                        help="draw nothing, whatever display.show says")
    parser.add_argument("--preview", dest=f"{prefix}_preview", action="store_true",
                        help="draw the server's live previews above the progress line (ComfyUI sends them when "
                             "started with --preview-method)")
    parser.add_argument("--show-size", dest=f"{prefix}_show_size", type=positive_count("columns"), metavar="COLS",
                        help="width of drawn pictures in terminal columns (default: their own size; never wider "
                             "than the window)")


def configure_run(parser: argparse.ArgumentParser) -> None:
    from .batch import add_options as batch_options

    for action in parser._actions:  # noqa: SLF001 - argparse's own -h/--help becomes run's
        if isinstance(action, argparse._HelpAction):  # noqa: SLF001
            action.__class__ = WorkflowHelp
            action.help = "show this help message and exit; after a WORKFLOW, its parameters too"
    _workflow_inputs(parser, optional=True)  # not with --resume MANIFEST
    _outputs_options(parser, "run")
    parser.add_argument("--timeout", dest="run_timeout", type=positive_seconds, metavar="S",
                        help="overall deadline in seconds; on expiry the prompt is left running (exit 6)")
    parser.add_argument("--no-download", dest="run_no_download", action="store_true",
                        help="do not download outputs; only list them")
    parser.add_argument("--save-text", dest="run_save_text", action="store_true",
                        help="save text outputs as text_NODE.txt files too (they are always printed)")
    parser.add_argument("--detach", dest="run_detach", action="store_true",
                        help="on Ctrl-C leave the prompt running (instead of cancelling it)")
    parser.add_argument("--resubmit-on-loss", dest="run_resubmit_on_loss", action="store_true",
                        help="if the server forgets the prompt (e.g. it restarted), submit it once more as a new "
                             "prompt instead of exiting with code 12")
    _show_options(parser, "run")
    batch_options(parser)
    parser.set_defaults(handler=f"{PKG}.commands:run")


def configure_submit(parser: argparse.ArgumentParser) -> None:
    _workflow_inputs(parser)
    parser.set_defaults(handler=f"{PKG}.commands:submit")


def configure_status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt_ids", metavar="PROMPT_ID", nargs="+",
                        help="prompt ids (a unique prefix of a journaled one is enough)")
    parser.set_defaults(handler=f"{PKG}.status:status")


def configure_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt_ids", metavar="PROMPT_ID", nargs="+")
    _outputs_options(parser, "wait")
    parser.add_argument("--timeout", dest="wait_timeout", type=positive_seconds, metavar="S",
                        help="overall deadline in seconds (exit 6 on expiry; prompts keep running)")
    parser.add_argument("--download", dest="wait_download", action="store_true", help="download the outputs")
    _show_options(parser, "wait")
    parser.set_defaults(handler=f"{PKG}.commands:wait")


def configure_cancel(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt_ids", metavar="PROMPT_ID", nargs="*")
    parser.add_argument("--all", dest="cancel_all", action="store_true",
                        help="interrupt whatever runs and clear the whole queue (everybody's prompts)")
    parser.add_argument("-y", "--yes", dest="yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(handler=f"{PKG}.cancel:cancel")


def configure_history(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="history_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="past runs, newest first (the local journal, or the server's jobs)")
    # not --server: after any command that is the global option naming the server (-s NAME)
    listing.add_argument("--remote", dest="history_from_server", action="store_true",
                         help="list the selected server's jobs (/api/jobs, else /history) instead of the local journal")
    listing.add_argument("--limit", dest="history_limit", type=positive_count(), default=20, metavar="N", help="at most N (default 20)")
    listing.add_argument("--status", dest="history_status", nargs="+", choices=STATUSES, metavar="STATUS",
                         help=f"only these statuses ({', '.join(STATUSES)})")
    listing.add_argument("--batch", dest="history_batch", metavar="MANIFEST",
                         help="only the items of the batch with this manifest (run --count/--sweep/--batch)")
    listing.set_defaults(handler=f"{PKG}.history:history_list")
    show = sub.add_parser("show", help="one run: the journal record, else what the server knows")
    show.add_argument("prompt_id", metavar="ID")
    show.set_defaults(handler=f"{PKG}.history:history_show")


def configure_upload(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", metavar="FILE", nargs="*", help="files to upload")
    parser.add_argument("--subfolder", dest="upload_subfolder", metavar="S", help="subfolder on the server")
    parser.add_argument("--overwrite", dest="upload_overwrite", action="store_true",
                        help="replace a server file of the same name (default: the server picks a new name)")
    parser.add_argument("--type", dest="upload_type", choices=("input", "temp"), default="input")
    parser.add_argument("--mask", dest="upload_mask", metavar="FILE", help="upload FILE as a mask for --original")
    parser.add_argument("--original", dest="upload_original", metavar="NAME", help="the server image the mask applies to")
    parser.set_defaults(handler=f"{PKG}.files:upload")


def configure_free(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", dest="free_models", action="store_true", help="unload models")
    parser.add_argument("--memory", dest="free_memory", action="store_true", help="free cached memory")
    parser.set_defaults(handler=f"{PKG}.files:free")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [
        Command("run", "run a workflow: submit, follow progress, download the outputs", configure=configure_run),
        Command("submit", "submit a workflow and print its prompt id at once", configure=configure_submit),
        Command("status", "where prompts stand: queued (position), running (node, steps), done, failed or "
                "cancelled", configure=configure_status),
        Command("wait", "wait for prompts to finish (and download their outputs)", configure=configure_wait),
        Command("cancel", "cancel prompts: interrupt if running, remove if queued (exit 7 if none was)",
                configure=configure_cancel),
        Command("history", "past runs: the local journal, or the server's jobs", configure=configure_history),
        Command("upload", "upload images or masks to the server's input folder", configure=configure_upload),
        Command("free", "ask the server to unload models and free memory", configure=configure_free),
    ]


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    from .settings import ALL

    return ALL
