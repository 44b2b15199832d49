"""Handlers of ``comfyui-skill hello``: imported only when one of its commands runs."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import Context, Output, Result


def info(ctx: Context, args: argparse.Namespace) -> Result:
    """Ask the selected server (--server/--url) for its version and queue through ``ctx.client``."""
    stats = ctx.client.system_stats()
    queue = ctx.client.queue()
    data = {
        "server": ctx.server.name,
        "url": ctx.server.url,
        "comfyui_version": (stats.get("system") or {}).get("comfyui_version"),
        "queue_running": len(queue.get("queue_running") or []),
        "queue_pending": len(queue.get("queue_pending") or []),
    }

    def render(out: Output) -> None:
        rows = [(key.upper(), value) for key, value in data.items()]
        out.table(rows, ("FIELD", "VALUE"))

    return Result(data=data, text=render)


def greet(ctx: Context, args: argparse.Namespace) -> Result:
    return greeting(ctx, args.who)


def greet_tool(ctx: Context, arguments: dict[str, Any]) -> Result:
    """The MCP tool ``hello_greet``: the same greeting, from the tool's arguments."""
    return greeting(ctx, arguments.get("who"))


def greeting(ctx: Context, who: str | None) -> Result:
    who = who or ctx.setting("hello.greeting", "world")
    return Result(data={"greeting": f"hi, {who}"}, text=f"hi, {who}")
