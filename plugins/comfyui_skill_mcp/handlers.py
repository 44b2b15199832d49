"""The built-in tools' handlers: arguments (already checked against the tool's schema) to typed values,
then the very functions the commands call. ``ctx`` is aimed at the server the call chose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyui_skill import Context, Result, UsageError
from comfyui_skill_deps.check import dependencies_of
from comfyui_skill_models.commands import models_of
from comfyui_skill_nodes.commands import describe_node, search
from comfyui_skill_queue.commands import queue_listing
from comfyui_skill_run.cancel import cancel_prompts
from comfyui_skill_run.commands import run_workflow as run, submit_workflow as submit, wait_for as wait
from comfyui_skill_run.files import UploadTarget, free_server, upload_files, upload_mask
from comfyui_skill_run.history import past_run, past_runs
from comfyui_skill_run.outputs import output_dir
from comfyui_skill_run.request import OutputOptions, RunRequest, SubmitOptions, WorkflowInputs
from comfyui_skill_run.status import statuses
from comfyui_skill_run.workflow import load
from comfyui_skill_server.manage import servers_listing
from comfyui_skill_server.status import status_of
from comfyui_skill_templates.commands import fetch_template, templates_matching
from comfyui_skill_templates.writing import write_json
from comfyui_skill_workflows.commands import from_server, from_source, parameters_of, store_workflows

#: How an inline workflow (a graph given as an object) is named in results and in the journal.
INLINE = "(inline workflow)"
SEARCH_LIMIT = 20
HISTORY_LIMIT = 20


# ----------------------------------------------------------------- servers
def server_status(ctx: Context, arguments: dict[str, Any]) -> Result:
    if arguments.get("all"):
        servers = [ctx.get_server(name) for name in sorted(ctx.config.server_tables())]
    elif arguments.get("servers"):
        servers = [ctx.get_server(name) for name in dict.fromkeys(arguments["servers"])]
    else:
        servers = [ctx.server]
    return status_of(ctx, servers)


def list_servers(ctx: Context, arguments: dict[str, Any]) -> Result:
    return servers_listing(ctx)


# ----------------------------------------------------------------- running workflows
def workflow_inputs(arguments: dict[str, Any]) -> WorkflowInputs:
    workflow = arguments["workflow"]
    parameters = arguments.get("parameters") or {}
    if isinstance(workflow, dict):
        return WorkflowInputs(INLINE, parameters, document=workflow)
    if workflow == "-":
        raise UsageError("workflow '-' (standard input) is not available to tools; give the graph itself")
    return WorkflowInputs(workflow, parameters)


def submit_options(ctx: Context, arguments: dict[str, Any]) -> SubmitOptions:
    """Queue placement from the call; paid nodes only as 'mcp serve --allow-paid-nodes' allowed them."""
    return SubmitOptions(front=bool(arguments.get("front")), only=tuple(arguments.get("only") or ()),
                         allow_paid_nodes=bool(getattr(ctx.args, "mcp_allow_paid_nodes", False)))


def output_options(arguments: dict[str, Any]) -> OutputOptions:
    return OutputOptions(download=arguments.get("download", True), output_dir=arguments.get("output_dir"),
                         include_temp=bool(arguments.get("include_temp")))


def run_workflow(ctx: Context, arguments: dict[str, Any]) -> Result:
    request = RunRequest(workflow_inputs(arguments), submit_options(ctx, arguments), output_options(arguments),
                         timeout=arguments.get("timeout"))
    if request.outputs.download:  # refused before anything is submitted, not after the run
        ctx.confine(output_dir(ctx, request.outputs.output_dir), "write")
    return run(ctx, request)


def submit_workflow(ctx: Context, arguments: dict[str, Any]) -> Result:
    return submit(ctx, workflow_inputs(arguments), submit_options(ctx, arguments))


def get_status(ctx: Context, arguments: dict[str, Any]) -> Result:
    return statuses(ctx, arguments["prompt_ids"])


def wait_for(ctx: Context, arguments: dict[str, Any]) -> Result:
    if arguments.get("download", True):
        ctx.confine(output_dir(ctx, arguments.get("output_dir")), "write")
    return wait(ctx, arguments["prompt_ids"], output_options(arguments), timeout=arguments.get("timeout"))


def cancel(ctx: Context, arguments: dict[str, Any]) -> Result:
    return cancel_prompts(ctx, arguments["prompt_ids"])


def queue(ctx: Context, arguments: dict[str, Any]) -> Result:
    return queue_listing(ctx)


def upload_image(ctx: Context, arguments: dict[str, Any]) -> Result:
    target = UploadTarget(subfolder=arguments.get("subfolder") or "", type=arguments.get("type") or "input",
                          overwrite=bool(arguments.get("overwrite")))
    path = Path(arguments["path"]).expanduser()
    if arguments.get("mask_for"):
        return upload_mask(ctx, path, arguments["mask_for"], target)
    return upload_files(ctx, [path], target)


def history(ctx: Context, arguments: dict[str, Any]) -> Result:
    if arguments.get("prompt_id"):
        return past_run(ctx, arguments["prompt_id"])
    return past_runs(ctx, limit=arguments.get("limit", HISTORY_LIMIT), statuses=arguments.get("statuses") or (),
                     from_server=bool(arguments.get("from_server")))


def free(ctx: Context, arguments: dict[str, Any]) -> Result:
    return free_server(ctx, models=bool(arguments.get("models")), memory=bool(arguments.get("memory")))


# ----------------------------------------------------------------- nodes, models, templates
def search_nodes(ctx: Context, arguments: dict[str, Any]) -> Result:
    return search(ctx, arguments["query"], arguments.get("limit", SEARCH_LIMIT))


def node_info(ctx: Context, arguments: dict[str, Any]) -> Result:
    return describe_node(ctx, arguments["class_type"])


def list_models(ctx: Context, arguments: dict[str, Any]) -> Result:
    return models_of(ctx, arguments.get("folder"))


def list_templates(ctx: Context, arguments: dict[str, Any]) -> Result:
    return templates_matching(ctx, arguments.get("search"))


def get_template(ctx: Context, arguments: dict[str, Any]) -> Result:
    template, workflow = fetch_template(ctx, arguments["name"])
    target = arguments.get("save_to")
    if target:
        target = str(ctx.confine(Path(target), "write"))
    return write_json(ctx, workflow, target or "-", force=bool(arguments.get("overwrite")),
                      what=f"template {template['name']!r}")


# ----------------------------------------------------------------- stored workflows
def workflow_parameters(ctx: Context, arguments: dict[str, Any]) -> Result:
    inputs = workflow_inputs(arguments)
    document = load(ctx, inputs.reference, prepare=lambda loaded: loaded, document=inputs.document).graph
    return parameters_of(ctx, document, inputs.reference, every_input=bool(arguments.get("all")))


def import_workflow(ctx: Context, arguments: dict[str, Any]) -> Result:
    given = [key for key in ("source", "document", "from_server") if arguments.get(key)]
    if len(given) != 1:
        raise UsageError("give exactly one of 'source', 'document' or 'from_server'")
    name = arguments.get("name")
    if arguments.get("from_server"):
        found = from_server(ctx, name or "*")
    elif arguments.get("document") is not None:
        if not name:
            raise UsageError("a workflow given as 'document' needs a 'name' to be stored under")
        found = [(name, arguments["document"])]
    else:
        found = [from_source(ctx, arguments["source"], name)]
    return store_workflows(ctx, found, force=bool(arguments.get("force")))


def check_dependencies(ctx: Context, arguments: dict[str, Any]) -> Result:
    if arguments["workflow"] == "-":
        raise UsageError("workflow '-' (standard input) is not available to tools")
    return dependencies_of(ctx, arguments["workflow"])
