"""``deployment add``: a Serverless deployment as a configured ``comfy-api`` server, from its id."""

from __future__ import annotations

import argparse
import re

from comfyui_skill import Context, Result, UsageError, make_server, mask

from .backend import deployment_url

#: A deployment id as it appears in its host name (one DNS label).
_DEPLOYMENT_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def add_deployment(ctx: Context, args: argparse.Namespace) -> Result:
    name, deployment = args.deployment_name, args.deployment_id.strip().lower()
    if not _DEPLOYMENT_ID.fullmatch(deployment):
        raise UsageError(f"{args.deployment_id!r} is not a deployment id (letters, digits and '-', as in "
                         "https://ID.run.comfy.app)")
    if ctx.config.get(("servers", name)) is not None and not args.deployment_force:
        raise UsageError(f"a server named {name!r} already exists", hint="choose another name, or replace it with --force")
    table = {"url": deployment_url(deployment), "kind": "comfy-api"}
    if args.deployment_key_stdin:
        table["api_key"] = ctx.read_secret("API key")
    make_server(name, table)  # the URL's own message, before the write checks the whole file (the name too)
    ctx.config.set_value(("servers", name), table, private="api_key" in table)
    if args.deployment_default:
        ctx.config.set_value("default_server", name)
    key = f", key {mask(table['api_key'])}" if "api_key" in table else " (key: COMFY_API_KEY, or --key-stdin)"
    return Result(data={"name": name, "url": table["url"], "kind": "comfy-api", "default": args.deployment_default},
                  text=f"added server {name!r}: Serverless deployment {deployment} at {table['url']}{key}")
