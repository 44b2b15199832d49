"""``comfyui-skill mcp serve``: a Model Context Protocol server, so any AI agent drives ComfyUI.

Only the argument parser and the tool records live here (cheap to import); the server, built on the
official ``mcp`` SDK (the optional extra ``comfyui-skill[mcp]``), loads when ``mcp serve`` runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, McpTool, hookimpl

PKG = "comfyui_skill_mcp"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mcp_command", metavar="SUBCOMMAND")
    serve = sub.add_parser(
        "serve", help="serve comfyui-skill's tools to AI agents over MCP (stdio, or streamable HTTP)",
        description="Serve the MCP tools (docs/mcp.md) over standard input/output, or with --http over "
                    "streamable HTTP. Needs the MCP SDK: pip install 'comfyui-skill[mcp]'.")
    serve.add_argument("--http", dest="mcp_http", metavar="[HOST:]PORT",
                       help="serve streamable HTTP on HOST:PORT (default host 127.0.0.1; port 0: any free one, "
                            "said on stderr) at /mcp instead of stdio; a non-loopback HOST needs a token "
                            "(--token-stdin or $COMFYUI_SKILL_MCP_TOKEN)")
    serve.add_argument("--token-stdin", dest="mcp_token_stdin", action="store_true",
                       help="read the bearer token HTTP clients must send from standard input")
    serve.add_argument("--root", dest="mcp_roots", metavar="DIR", action="append",
                       help="a folder tools may read files from and save outputs to (repeatable; default: the "
                            "current folder and the configured output folders)")
    serve.add_argument("--allow-paid-nodes", dest="mcp_allow_paid_nodes", action="store_true",
                       help="let tools run workflows with partner (paid API) nodes, as 'run --allow-paid-nodes' "
                            "does; without it (or the server's allow_paid_nodes setting) they are refused")
    serve.set_defaults(handler=f"{PKG}.serve:serve")
    tools = sub.add_parser("tools", help="the tools 'mcp serve' offers, with the plugin of each (no MCP SDK needed)")
    tools.set_defaults(handler=f"{PKG}.listing:list_tools")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("mcp", "serve comfyui-skill to AI agents (Model Context Protocol)", configure=configure)]


@hookimpl
def comfyui_skill_mcp_tools() -> Iterable[McpTool]:
    from .tools import BUILTIN_TOOLS

    return BUILTIN_TOOLS
