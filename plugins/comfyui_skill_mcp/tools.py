"""The built-in MCP tools: names, descriptions for a model, and the JSON Schemas of their arguments.

They reach the server through the ``comfyui_skill_mcp_tools`` hook like any plugin's tools; their
handlers (handlers.py) call the same functions as the commands.
"""

from __future__ import annotations

from typing import Any

from comfyui_skill import McpTool
from comfyui_skill_run import STATUSES

HANDLERS = "comfyui_skill_mcp.handlers"

SERVER = {"type": "string", "description": "a configured server name, or a URL (default: the default server)"}
PROMPT_IDS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
              "description": "prompt ids (a unique prefix of one in the local journal is enough)"}
WORKFLOW = {"description": "the workflow: a stored workflow name, a file path, 'template:NAME', or the graph itself "
                           "(an API-format object {node_id: {class_type, inputs}} or an editor-format workflow)",
            "type": ["string", "object"]}
PARAMETERS = {"type": "object", "description": "values to bind: named parameters ({\"prompt\": \"a cat\", \"seed\": 42}; "
                                               "see workflow_parameters) or NODE.INPUT addresses ({\"3.steps\": 20})"}
OUTPUT_DIR = {"type": "string", "description": "folder to save outputs in (default: the server's output_dir, the "
                                               "global output_dir setting, else ./comfyui-output)"}
TIMEOUT = {"type": "number", "exclusiveMinimum": 0, "description": "seconds to wait at most (the prompt keeps running)"}
SUBMIT = {"front": {"type": "boolean", "description": "put the prompt at the head of the queue"},
          "only": {"type": "array", "items": {"type": "string"},
                   "description": "execute only these output node ids (and what they need)"}}


def _schema(properties: dict[str, Any] | None = None, required: tuple[str, ...] = (), *,
            server: bool = True) -> dict[str, Any]:
    props = {**({"server": SERVER} if server else {}), **(properties or {})}
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _tool(name: str, description: str, schema: dict[str, Any], *, read_only: bool = False) -> McpTool:
    return McpTool(name, description, schema, f"{HANDLERS}:{name}", read_only=read_only)


BUILTIN_TOOLS = [
    _tool("server_status", "Check whether ComfyUI servers are reachable and what they run: versions, GPUs with "
          "free/total memory, queue length. Use it first when a server may be down.",
          _schema({"servers": {"type": "array", "items": {"type": "string"},
                               "description": "configured server names (default: the selected server)"},
                   "all": {"type": "boolean", "description": "check every configured server"}}, server=False),
          read_only=True),
    _tool("list_servers", "List the configured ComfyUI servers (name, kind, URL, which is the default); secrets "
          "are masked. Pass a name as 'server' to the other tools.", _schema(server=False), read_only=True),
    _tool("run_workflow", "Run a ComfyUI workflow and wait for it: submit it, follow its progress (sent as "
          "progress notifications), save its outputs and return their paths; small images come back as images. "
          "Validates parameters before submitting. Cancelling the call cancels the prompt on the server.",
          _schema({"workflow": WORKFLOW, "parameters": PARAMETERS, "output_dir": OUTPUT_DIR, "timeout": TIMEOUT,
                   "download": {"type": "boolean", "description": "save the outputs (default true)"},
                   "include_temp": {"type": "boolean", "description": "also save temporary previews"},
                   **SUBMIT}, ("workflow",))),
    _tool("submit_workflow", "Submit a ComfyUI workflow and return its prompt id at once, without waiting; follow "
          "it with get_status or wait_for. Prefer run_workflow unless you want to do other things meanwhile.",
          _schema({"workflow": WORKFLOW, "parameters": PARAMETERS, **SUBMIT}, ("workflow",))),
    _tool("get_status", "Where prompts stand: queued (position), running (node, steps), success (outputs), "
          "error, cancelled.", _schema({"prompt_ids": PROMPT_IDS}, ("prompt_ids",)), read_only=True),
    _tool("wait_for", "Wait for submitted prompts to finish and return their outputs (saved with download).",
          _schema({"prompt_ids": PROMPT_IDS, "output_dir": OUTPUT_DIR, "timeout": TIMEOUT,
                   "download": {"type": "boolean", "description": "save the outputs (default true)"},
                   "include_temp": {"type": "boolean", "description": "also save temporary previews"}},
                  ("prompt_ids",))),
    _tool("cancel", "Cancel prompts, and only them: interrupt the running one, remove queued ones.",
          _schema({"prompt_ids": PROMPT_IDS}, ("prompt_ids",))),
    _tool("queue", "The server's queue: the running prompt and the pending ones in the order they will run.",
          _schema(), read_only=True),
    _tool("search_nodes", "Find node classes by what they do ('upscale image', 'load lora'), best match first.",
          _schema({"query": {"type": "string", "minLength": 1,
                             "description": "words saying what the node does, or part of its class name"},
                   "limit": {"type": "integer", "minimum": 1, "description": "at most this many (default 20)"}},
                  ("query",)), read_only=True),
    _tool("node_info", "One node class: its inputs (types, defaults, ranges, choices), outputs and description.",
          _schema({"class_type": {"type": "string", "minLength": 1, "description": "the class name, e.g. KSampler"}},
                  ("class_type",)), read_only=True),
    _tool("list_models", "Model files on the server: how many each folder holds, or the files of one folder "
          "(checkpoints, loras, vae, ...).",
          _schema({"folder": {"type": "string", "description": "the folder whose files to list (default: how "
                                                              "many files each folder holds)"}}), read_only=True),
    _tool("list_templates", "The workflow templates the server offers, optionally only those matching words.",
          _schema({"search": {"type": "string", "description": "words that must all appear in a template's name, "
                                                       "title, description or tags (default: every template)"}}),
          read_only=True),
    _tool("get_template", "The workflow of a template (editor format); run it with run_workflow and "
          "'template:NAME', or save it to a file.",
          _schema({"name": {"type": "string", "minLength": 1,
                            "description": "the template's name (see list_templates)"},
                   "save_to": {"type": "string", "description": "a .json file to write it to"},
                   "overwrite": {"type": "boolean", "description": "replace save_to if it exists"}}, ("name",))),
    _tool("workflow_parameters", "The named parameters of a workflow (prompt, seed, steps, ...) with types, "
          "defaults and limits: what run_workflow's 'parameters' accepts.",
          _schema({"workflow": WORKFLOW, "all": {"type": "boolean", "description": "every NODE.INPUT too"}},
                  ("workflow",)), read_only=True),
    _tool("import_workflow", "Store a workflow under a name so run_workflow can use the name: from a file, a "
          "server user-data URL, the graph itself, or every workflow saved on the server.",
          _schema({"source": {"type": "string", "description": "a file path or a server user-data URL"},
                   "document": {"type": "object", "description": "the workflow itself (then 'name' is required)"},
                   "name": {"type": "string", "description": "the name to store it under (default: the file's)"},
                   "from_server": {"type": "boolean", "description": "import the server's saved workflows "
                                                                     "('name' is then a pattern, default '*')"},
                   "force": {"type": "boolean", "description": "replace a stored workflow of that name"}})),
    _tool("check_dependencies", "Which node classes and model files a workflow needs that the server lacks.",
          _schema({"workflow": {"type": "string", "description": "a stored workflow name or a file path"}},
                  ("workflow",)), read_only=True),
    _tool("upload_image", "Upload a local image (or a mask for a server image) to the server's input folder; "
          "returns the name to give to a LoadImage input.",
          _schema({"path": {"type": "string", "minLength": 1, "description": "the local image file to upload"},
                   "subfolder": {"type": "string", "description": "a subfolder of the server's folder to put it in"},
                   "type": {"enum": ["input", "temp"], "description": "the server folder (default input)"},
                   "overwrite": {"type": "boolean", "description": "replace a server file of the same name"},
                   "mask_for": {"type": "string", "description": "upload as the mask of this server image"}},
                  ("path",))),
    _tool("history", "Past runs, newest first (the local journal, or the server's jobs), or one run by prompt id.",
          _schema({"prompt_id": {"type": "string", "description": "show this run only"},
                   "limit": {"type": "integer", "minimum": 1, "description": "at most this many (default 20)"},
                   "statuses": {"type": "array", "items": {"enum": list(STATUSES)},
                                "description": "only runs in one of these states"},
                   "from_server": {"type": "boolean", "description": "the server's jobs instead of the journal"}}),
          read_only=True),
    _tool("free", "Ask the server to unload models and/or free cached memory (both by default).",
          _schema({"models": {"type": "boolean", "description": "unload the loaded models"},
                   "memory": {"type": "boolean", "description": "free the cached memory"}})),
]
