"""Handlers of ``comfyui-skill hello``: imported only when one of its commands runs."""

from __future__ import annotations

import argparse

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
    who = args.who or ctx.setting("hello.greeting", "world")
    return Result(data={"greeting": f"hi, {who}"}, text=f"hi, {who}")
