"""``cloud login`` and ``cloud logout``: the API key in the config file (0600), read from stdin."""

from __future__ import annotations

import argparse

from comfyui_skill import Context, Result, UsageError, mask

from . import DEFAULT_URL


def _check_kind(ctx: Context, name: str) -> bool:
    """True when the server exists (it must be of kind cloud), False when it does not."""
    table = ctx.config.get(("servers", name))
    if table is None:
        return False
    kind = table.get("kind", "local")
    if kind != "cloud":
        raise UsageError(f"server {name!r} is of kind {kind!r}, not cloud; an API key is only ever sent to "
                         "Comfy Cloud", hint="add a cloud server: 'comfyui-skill server add NAME --kind cloud'")
    return True


def login(ctx: Context, args: argparse.Namespace) -> Result:
    name = args.cloud_name
    exists = _check_kind(ctx, name)
    key = ctx.read_secret("API key")
    if exists:
        ctx.config.set_value(("servers", name, "api_key"), key, private=True)
    else:
        ctx.config.set_value(("servers", name), {"url": DEFAULT_URL, "kind": "cloud", "api_key": key}, private=True)
    verb = "stored the API key of" if exists else "added"
    return Result(data={"name": name, "added": not exists, "api_key": mask(key)},
                  text=f"{verb} cloud server {name!r} (key {mask(key)} in {ctx.config.path}, mode 0600)")


def logout(ctx: Context, args: argparse.Namespace) -> Result:
    name = args.cloud_name
    removed = _check_kind(ctx, name) and ctx.config.unset(("servers", name, "api_key"))
    text = f"forgot the API key of {name!r}" if removed else f"server {name!r} has no stored API key"
    return Result(data={"name": name, "removed": removed}, text=text)
