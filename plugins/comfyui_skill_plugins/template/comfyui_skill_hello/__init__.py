"""comfyui-skill-hello: a comfyui-skill plugin.

This module is imported every time ``comfyui-skill`` starts, so it stays cheap: it imports only the
standard library's argparse and ``comfyui_skill``, and names its handlers as "module:function"
strings that are imported only when the command runs. Every hook comfyui-skill offers is shown
below, active or as a commented example; delete what you do not need.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

# >>> only:backend
from comfyui_skill import Command, McpTool, ServerKind, Setting, hookimpl
# <<<
# >>> only:plain
from comfyui_skill import Command, McpTool, Setting, hookimpl
# <<<

HANDLERS = "comfyui_skill_hello.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options and subcommands of ``comfyui-skill hello`` (plain argparse).

    Prefix option destinations with the plugin's name: ``server``, ``json``, ``output`` and the
    other global options are taken.
    """
    sub = parser.add_subparsers(dest="hello_command", metavar="SUBCOMMAND")
    info = sub.add_parser("info", help="the selected server's ComfyUI version and queue length")
    info.set_defaults(handler=f"{HANDLERS}:info")
    greet = sub.add_parser("greet", help="print a greeting (no server needed)")
    greet.add_argument("who", metavar="NAME", nargs="?", help="whom to greet (default: the hello.greeting setting)")
    greet.set_defaults(handler=f"{HANDLERS}:greet")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    """The command groups of this plugin: ``comfyui-skill hello ...``."""
    return [Command("hello", "an example plugin command", configure=configure)]


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    """Configuration keys: shown by ``config list``, validated by ``config set`` (type, ``choices`` and
    ``check``) exactly as ``ctx.setting()`` validates them when the command reads them."""
    return [
        Setting("hello.greeting", str, default="world", help="whom 'hello greet' greets by default",
                env="COMFYUI_SKILL_HELLO_GREETING", check=lambda who: None if who.strip() else "must name someone"),
        # >>> only:backend
        # A per-server key ([servers.NAME] proxy_token), masked in listings: set it with
        # 'comfyui-skill config set servers.NAME.proxy_token --stdin'.
        Setting("proxy_token", str, help="token the hello-proxy reverse proxy expects (X-Proxy-Token)",
                secret=True, scope="server"),
        # <<<
    ]


# >>> only:backend
@hookimpl
def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
    """Kinds of server: 'server add NAME URL --kind hello-proxy' selects this one."""
    return [ServerKind("hello-proxy", "ComfyUI behind an authenticating reverse proxy (X-Proxy-Token, /api routes)",
                       factory="comfyui_skill_hello.backend:ProxyBackend")]
# <<<
# >>> only:plain
# A new kind of server (see 'comfyui-skill plugins new NAME --backend' for a worked example):
#
# @hookimpl
# def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
#     return [ServerKind("hello-proxy", "ComfyUI behind a reverse proxy",
#                        factory="comfyui_skill_hello.backend:ProxyBackend")]
# <<<


@hookimpl
def comfyui_skill_mcp_tools() -> Iterable[McpTool]:
    """Tools AI agents can call through 'comfyui-skill mcp serve' (see docs/mcp.md): a description
    written for a model, the JSON Schema of the arguments, and a handler(ctx, arguments) that calls
    the same function as the command."""
    return [McpTool("hello_greet", "Greet someone (by default whom the hello.greeting setting names).",
                    {"type": "object", "properties": {"who": {"type": "string", "description": "whom to greet"}},
                     "additionalProperties": False},
                    handler=f"{HANDLERS}:greet_tool", read_only=True)]


# Observe execution events while a command follows a prompt (queued, progress, done, failed...).
# Keep it fast: it runs on the thread that follows the prompt.
#
# @hookimpl
# def comfyui_skill_event(ctx, event):
#     if event.type == "done":
#         ctx.output.note(f"prompt {event.prompt_id} finished on {event.server}")


# Explain an error you recognise with a one-line hint (the first non-None answer is shown).
#
# @hookimpl
# def comfyui_skill_error_hint(ctx, error):
#     if "hello" in str(error):
#         return "see 'comfyui-skill hello --help'"
#     return None


# Resolve a WORKFLOW argument that is not a file, e.g. 'hello:portrait' for 'comfyui-skill run'.
# Return the workflow as a dict, or None when the reference is not yours.
#
# @hookimpl
# def comfyui_skill_resolve_workflow(ctx, reference):
#     if reference.startswith("hello:"):
#         return {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}}}
#     return None


# Prepare every workflow 'run' and 'submit' send: return a function that gets the loaded document,
# its reference, the --args/--set values and the undeclared --NAME VALUE options, and returns the
# API-format graph (raise a CliError for what is wrong). The built-in 'workflow' plugin provides one;
# the first answer wins, so only replace it on purpose.
#
# @hookimpl
# def comfyui_skill_workflow_preparer(ctx):
#     def prepare(workflow, reference, parameters, extra_args):
#         return workflow
#     return prepare


# Describe a workflow's named parameters for 'comfyui-skill run WORKFLOW --help': return a function
# that gets the WORKFLOW reference and returns a Result whose data is {"workflow", "parameters"} and
# whose text lists them (raise a CliError for an unreadable workflow). The built-in 'workflow' plugin
# provides one; the first answer wins, so only replace it together with the preparer above.
#
# @hookimpl
# def comfyui_skill_workflow_parameters(ctx):
#     def describe(reference):
#         from comfyui_skill import Result
#
#         return Result(data={"workflow": reference, "parameters": []}, text="no named parameters")
#     return describe
