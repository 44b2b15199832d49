"""``mcp tools``: the tools ``mcp serve`` would offer, and which plugin adds each one."""

from __future__ import annotations

import argparse

from comfyui_skill import Context, Output, Result


def list_tools(ctx: Context, args: argparse.Namespace) -> Result:
    rows = [{"name": name, "plugin": provided.plugin, "description": provided.item.description,
             "read_only": provided.item.read_only, "input_schema": provided.item.input_schema}
            for name, provided in sorted(ctx.plugins.mcp_tools().items())]

    def render(out: Output) -> None:
        out.table([(row["name"], row["plugin"], row["description"]) for row in rows], ("TOOL", "PLUGIN", "DESCRIPTION"),
                  shrink=(2,))

    return Result(data=rows, text=render)
