"""Handlers that manage the configured servers."""

from __future__ import annotations

import argparse
from typing import Any

from comfyui_skill import (ConfigError, Context, NotFoundError, Output, Result, ServerConfig, UsageError, make_server,
                           did_you_mean, mask, redact, server_url)


def _describe(server: ServerConfig, default: str) -> dict[str, Any]:
    shown = {}
    for key, value in server.options.items():
        if key in server.secret_keys and value:
            value = {k: mask(str(v)) for k, v in value.items()} if isinstance(value, dict) else mask(str(value))
        shown[key] = value
    return {**shown, "name": server.name, "url": redact(server.url), "kind": server.kind,
            "default": server.name == default}


def _all(ctx: Context) -> tuple[list[dict[str, Any]], str]:
    default = ctx.config.default_server_name(ctx.environ)
    servers = [_describe(ctx.get_server(name), default) for name in sorted(ctx.config.server_tables())]
    return servers, default


def _new_server_url(args: argparse.Namespace) -> str | None:
    """The URL given for the new server: after its name or with --url (after the command), once."""
    given = [url for url in (args.server_url, args.server_url_option) if url]
    if args.url:
        raise UsageError("--url before the command names a one-off server to talk to, and 'server add' talks "
                         "to none", hint=f"give the new server's URL after its name: "
                                         f"'comfyui-skill server add {args.name} {args.url}'")
    if len({server_url(url) for url in given}) > 1:
        raise UsageError(f"two URLs for server {args.name!r}: {given[0]} and --url {given[1]}", hint="give one")
    return server_url(given[0]) if given else None


def add_server(ctx: Context, args: argparse.Namespace) -> Result:
    kind = ctx.server_kind(args.server_kind)
    url = _new_server_url(args) or kind.default_url
    if not url:
        raise UsageError(f"server kind {kind.name!r} has no default URL; give one: "
                         f"'comfyui-skill server add {args.name} URL --kind {kind.name}'")
    tables = ctx.config.server_tables()
    if args.name in tables and ctx.config.get(("servers", args.name)) is not None and not args.force:
        raise UsageError(f"a server named {args.name!r} already exists ({tables[args.name].get('url')})",
                         hint="choose another name, or replace it with --force")
    token = ctx.read_secret("token") if args.token_stdin else None
    table: dict[str, Any] = {"url": url.rstrip("/"), "kind": kind.name}
    if args.output_dir:
        table["output_dir"] = args.output_dir
    if token:
        table["token"] = token
    make_server(args.name, table)  # the URL's own message, before the write checks the whole file
    ctx.config.set_value(("servers", args.name), table, private=bool(token))
    if args.default:
        ctx.config.set_value("default_server", args.name)
    text = f"added server {args.name!r} ({kind.name}) at {redact(table['url'])}" + (" as the default" if args.default else "")
    return Result(data=_describe(ctx.get_server(args.name), ctx.config.default_server_name(ctx.environ)), text=text)


def list_servers(ctx: Context, args: argparse.Namespace) -> Result:
    return servers_listing(ctx)


def servers_listing(ctx: Context) -> Result:
    """The configured servers, secrets masked, the default marked."""
    servers, _default = _all(ctx)

    def render(out: Output) -> None:
        rows = [("*" if s["default"] else "", s["name"], s["kind"], s["url"],
                 "yes" if any(k in s for k in ("token", "password", "api_key", "headers")) else "")
                for s in servers]
        out.table(rows, ("", "NAME", "KIND", "URL", "AUTH"), shrink=(3,))

    return Result(data=servers, text=render)


def show_server(ctx: Context, args: argparse.Namespace) -> Result:
    server = ctx.get_server(args.name) if args.name else ctx.server
    data = _describe(server, ctx.config.default_server_name(ctx.environ))

    def render(out: Output) -> None:
        for key in sorted(data):
            out.line(f"{key:<16} {data[key]}")

    return Result(data=data, text=render)


def remove_server(ctx: Context, args: argparse.Namespace) -> Result:
    if ctx.config.get(("servers", args.name)) is None:
        raise NotFoundError(f"no server named {args.name!r} in {ctx.config.path}",
                            hint=did_you_mean(args.name, ctx.config.server_tables()))
    was_default = ctx.config.get("default_server") == args.name
    with ctx.config.edit() as document:  # one write: the file never names a default that is gone
        del document["servers"][args.name]
        if was_default:
            del document["default_server"]
    note = f" (it was the default; the default is now {ctx.config.default_server_name(ctx.environ)})" \
        if was_default else ""
    return Result(data={"name": args.name, "removed": True}, text=f"removed server {args.name!r}{note}")


def use_server(ctx: Context, args: argparse.Namespace) -> Result:
    if args.name not in ctx.config.server_tables():
        raise NotFoundError(f"no server named {args.name!r}",
                            hint=did_you_mean(args.name, ctx.config.server_tables()) or "see 'comfyui-skill server list'")
    if not ctx.config.server_tables():
        raise ConfigError("no servers configured")
    ctx.config.set_value("default_server", args.name)
    return Result(data={"default_server": args.name}, text=f"default server is now {args.name!r}")


def list_kinds(ctx: Context, args: argparse.Namespace) -> Result:
    kinds = [{"name": name, "plugin": provided.plugin, "description": provided.item.description,
              "default_url": provided.item.default_url}
             for name, provided in sorted(ctx.plugins.server_kinds().items())]

    def render(out: Output) -> None:
        out.table([(k["name"], k["plugin"], k["default_url"], k["description"]) for k in kinds],
                  ("KIND", "PLUGIN", "DEFAULT URL", "DESCRIPTION"), shrink=(3,))

    return Result(data=kinds, text=render)
