"""``run WORKFLOW --help``: run's help, then the named parameters of that workflow.

The parameters come from the plugin that answers ``comfyui_skill_workflow_parameters`` (the built-in
``workflow`` plugin, with the table of ``workflow show``). They need the server's node catalog; when
they cannot be listed (no such plugin, an unreadable workflow, a server out of reach) the help says
why and still exits 0.
"""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import CliError, Context, Output, Result


def run_help(ctx: Context, args: argparse.Namespace) -> Result:
    usage = args._parser.format_help().rstrip()  # noqa: SLF001 - the parser of this very command
    reference = args.workflow
    describe = ctx.plugins.first_result("comfyui_skill_workflow_parameters", ctx=ctx)
    described: Result | None = None
    reason = None
    if describe is None:
        reason = "no installed plugin lists workflow parameters"
    else:
        try:
            described = describe(reference)
        except CliError as exc:
            reason = exc.message
    data: dict[str, Any] = {"workflow": reference, "parameters": None, "error": reason}
    if described is not None:
        data.update(described.data)

    def render(out: Output) -> None:
        out.line(usage)
        out.line()
        if described is None:
            out.line(f"the named parameters of {reference} cannot be listed: {reason}")
            return
        out.line(f"parameters of {reference} (--NAME VALUE, or --set NODE.INPUT=VALUE):")
        if not data["parameters"]:
            out.line("  none with a name ('workflow show --all' lists every NODE.INPUT)")
        elif callable(described.text):
            described.text(out)
        else:
            out.line(str(described.text))

    return Result(data=data, text=render)

