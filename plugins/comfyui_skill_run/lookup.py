"""A prompt named on the command line: its full id, its journal record and the client of its server."""

from __future__ import annotations

from typing import Any

from comfyui_skill import ComfyClient, Context, ServerConfig, one_off_server

from . import journal


def lookup(ctx: Context, given: str) -> tuple[str, dict[str, Any] | None, ComfyClient]:
    """The full prompt id (journal prefixes expand), its journal record, and the client of its server."""
    record = journal.find(given)
    prompt_id = record["prompt_id"] if record else given
    return prompt_id, record, client_for(ctx, record)


def client_for(ctx: Context, record: dict[str, Any] | None) -> ComfyClient:
    """The client of :func:`server_for` (``ctx.client`` for the selected server)."""
    server = server_for(ctx, record)
    return ctx.client if server is ctx.server else ctx.client_for(server)


def server_for(ctx: Context, record: dict[str, Any] | None) -> ServerConfig:
    """The server the prompt was sent to (from the journal) unless --server/--url says otherwise."""
    if record is None or ctx.server_chosen or not record.get("server"):
        return ctx.server
    name = record["server"]
    if name in ctx.config.server_tables():
        return ctx.get_server(name)
    if record.get("url"):
        return one_off_server(record["url"], record.get("kind"), name=name)
    return ctx.server
