"""``workflow``: convert editor-format workflows, store workflows by name, show their parameters.

Also answers ``run NAME`` (stored workflows) and prepares every workflow ``run`` submits: editor
format converted, named parameters (``--prompt``, ``--seed 42``, ``--set``, ``--args``) validated.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from comfyui_skill import Command, Context, hookimpl

PKG = "comfyui_skill_workflows.commands"
CHECKS = "comfyui_skill_workflows.checks"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="workflow_command", metavar="SUBCOMMAND")
    convert = sub.add_parser("convert", help="editor (UI) format to API format, as the frontend's Export (API)")
    convert.add_argument("workflow_file", metavar="UI.json", help="editor-format workflow file ('-': stdin)")
    convert.add_argument("-o", "--out", dest="workflow_out", metavar="API.json", help="write here (default: stdout)")
    convert.add_argument("--object-info", dest="workflow_object_info", metavar="FILE",
                         help="node catalog (a saved /object_info) instead of asking the server")
    convert.set_defaults(handler=f"{PKG}:convert")

    imp = sub.add_parser("import", help="store a workflow (file, server userdata URL, or --from-server)")
    imp.add_argument("workflow_source", metavar="FILE|URL", nargs="?")
    imp.add_argument("--name", dest="workflow_name", metavar="N",
                     help="stored name (default: the file name); with --from-server, a glob pattern")
    imp.add_argument("--from-server", dest="workflow_from_server", action="store_true",
                     help="import the workflows saved in the server's user data (workflows/)")
    imp.add_argument("--force", dest="workflow_force", action="store_true", help="replace a stored one")
    imp.set_defaults(handler=f"{PKG}:import_workflow")

    sub.add_parser("list", help="stored workflows").set_defaults(handler=f"{PKG}:list_workflows")

    show = sub.add_parser("show", help="a stored workflow's parameters: types, defaults, ranges, choices")
    show.add_argument("workflow_ref", metavar="NAME|FILE")
    show.add_argument("--all", dest="workflow_all", action="store_true",
                      help="every NODE.INPUT, not only the named parameters")
    show.set_defaults(handler=f"{PKG}:show")

    delete = sub.add_parser("delete", help="delete a stored workflow")
    delete.add_argument("workflow_ref", metavar="NAME")
    delete.add_argument("-y", "--yes", dest="yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=f"{PKG}:delete")

    export = sub.add_parser("export", help="print a stored workflow as stored (or --api: converted)")
    export.add_argument("workflow_ref", metavar="NAME")
    export.add_argument("-o", "--out", dest="workflow_out", metavar="FILE", help="write here (default: stdout)")
    export.add_argument("--api", dest="workflow_api", action="store_true", help="in API format (asks the server)")
    export.set_defaults(handler=f"{PKG}:export")

    rename = sub.add_parser("rename", help="rename a stored workflow")
    rename.add_argument("workflow_ref", metavar="NAME")
    rename.add_argument("workflow_new", metavar="NEW")
    rename.set_defaults(handler=f"{PKG}:rename")

    validate = sub.add_parser("validate", help="check parameters and graph (links, types, cycles, outputs) "
                              "without submitting; exit 4 listing every problem")
    validate.add_argument("workflow_ref", metavar="NAME|FILE")
    validate.set_defaults(handler=f"{CHECKS}:validate", accepts_extra_args=True)

    upgrade = sub.add_parser("upgrade", help="replace deprecated node classes (the server's /node_replacements) "
                             "in a new stored workflow")
    upgrade.add_argument("workflow_ref", metavar="NAME")
    upgrade.add_argument("--as", dest="workflow_as", metavar="NEW", help="stored name of the result "
                         "(default: NAME-upgraded; the original is never changed)")
    upgrade.add_argument("--force", dest="workflow_force", action="store_true", help="replace NEW if it exists")
    upgrade.set_defaults(handler=f"{CHECKS}:upgrade")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("workflow", "convert, store and inspect workflows (parameters, conversion)", configure=configure)]


@hookimpl
def comfyui_skill_resolve_workflow(ctx: Context, reference: str) -> Any:
    from . import store

    try:
        return store.read(reference) if store.exists(reference) else None
    except Exception:  # noqa: BLE001 - an invalid name is simply not ours
        return None


@hookimpl
def comfyui_skill_error_hint(ctx: Context, error: BaseException) -> str | None:
    """A WORKFLOW that ``run`` could not find (``details["workflow"]``): the stored ones named like it."""
    reference = getattr(error, "details", {}).get("workflow")
    if not isinstance(reference, str):
        return None
    from comfyui_skill import did_you_mean

    from . import store

    return did_you_mean(reference, store.names())


@hookimpl
def comfyui_skill_workflow_preparer(ctx: Context) -> Any:
    from .prepare import make_preparer

    return make_preparer(ctx)


@hookimpl
def comfyui_skill_workflow_parameters(ctx: Context) -> Any:
    def describe(reference: str) -> Any:
        from .commands import load_document, parameters_of

        return parameters_of(ctx, load_document(ctx, reference), reference)
    return describe
