"""``comfyui-skill templates``: workflow templates and global subgraphs a server offers.

Templates come from two places: the core template index (``/templates/index.json``, served by the
workflow-templates package) and custom node packs (``/workflow_templates``, files under
``/api/workflow_templates/PACK/``). Written files are never overwritten without ``--force``.
``run template:NAME`` (and the MCP tools) run a template's workflow directly.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from comfyui_skill import CliError, Command, Context, hookimpl

HANDLERS = "comfyui_skill_templates.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="templates_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="core and custom-node workflow templates")
    listing.add_argument("--search", dest="templates_search", metavar="TEXT",
                         help="only templates whose name, title, description, tags or models contain every word")
    listing.set_defaults(handler=f"{HANDLERS}:list_templates")

    show = sub.add_parser("show", help="one template's details")
    show.add_argument("template_name", metavar="NAME")
    show.set_defaults(handler=f"{HANDLERS}:show_template")

    get = sub.add_parser("get", help="save a template's workflow as a JSON file (NAME.json unless -o)")
    get.add_argument("template_name", metavar="NAME")
    _file_options(get, "NAME.json")
    get.set_defaults(handler=f"{HANDLERS}:get_template")

    subgraphs = sub.add_parser("subgraphs", help="the global subgraphs (reusable node groups)")
    subgraphs.set_defaults(handler=f"{HANDLERS}:list_subgraphs")

    subgraph = sub.add_parser("subgraph", help="save one global subgraph as a JSON file (named after it unless -o)")
    subgraph.add_argument("subgraph_id", metavar="ID", help="its id, a unique prefix of it, or its exact name")
    _file_options(subgraph, "the subgraph's name, .json")
    subgraph.set_defaults(handler=f"{HANDLERS}:get_subgraph")


def _file_options(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("-o", "--out-file", dest="templates_file", metavar="FILE",
                        help=f"where to write the workflow JSON (default: {default} in the current folder; "
                             "'-' for standard output)")
    parser.add_argument("--force", dest="templates_force", action="store_true", help="overwrite the file if it exists")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("templates", "workflow templates and subgraphs a server offers", configure=configure)]


#: How a WORKFLOW argument names a template of the server: ``template:NAME``.
PREFIX = "template:"


@hookimpl
def comfyui_skill_resolve_workflow(ctx: Context, reference: str) -> Any:
    """``template:NAME``: the workflow of the server's template NAME (editor format), or None when it
    cannot be had (the error hint below then says why)."""
    if not reference.startswith(PREFIX):
        return None
    from .commands import fetch_template

    try:
        return fetch_template(ctx, reference[len(PREFIX):])[1]
    except CliError:
        return None


@hookimpl
def comfyui_skill_error_hint(ctx: Context, error: BaseException) -> str | None:
    """Why a ``template:NAME`` WORKFLOW was not found: no such template (and the close names), or the
    server's own error."""
    reference = getattr(error, "details", {}).get("workflow")
    if not (isinstance(reference, str) and reference.startswith(PREFIX)):
        return None
    from .commands import fetch_template

    try:
        fetch_template(ctx, reference[len(PREFIX):])
    except CliError as exc:
        return exc.message + (f"; {exc.hint}" if exc.hint else "")
    return None
