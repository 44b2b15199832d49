"""Handlers of ``comfyui-skill config``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from comfyui_skill import (Context, NotFoundError, Output, Result, Setting, UsageError, close_matches,
                           did_you_mean, find_setting, mask, server_env_var)


def _settings(ctx: Context) -> list[Setting]:
    return [provided.item for provided in ctx.plugins.settings()]


def _known(ctx: Context, key: str) -> Setting:
    setting = find_setting(_settings(ctx), key)
    if setting is None:
        known = sorted(s.key if s.scope == "global" else f"servers.NAME.{s.key}" for s in _settings(ctx))
        close = _close_keys(key, _settings(ctx))
        hint = did_you_mean(key, close) if close else "known settings: " + ", ".join(known)
        raise UsageError(f"unknown setting {key!r}", hint=hint, details={"key": key, "suggestions": close})
    return setting


def _close_keys(typed: str, settings: list[Setting]) -> list[str]:
    """The setting keys close to ``typed``, in full: under a server (``servers.local.read_timout``)
    the server keys close to the last part; else the global keys and the server keys (``read_timout``
    gives ``servers.NAME.read_timeout``)."""
    parts = typed.split(".", 2)
    server_keys = [s.key for s in settings if s.scope == "server"]
    if parts[0] == "servers" and len(parts) == 3:
        return [f"servers.{parts[1]}.{key}" for key in close_matches(parts[2], server_keys)]
    shown = {s.key: s.key for s in settings if s.scope == "global"}
    shown.update({key: f"servers.NAME.{key}" for key in server_keys if key not in shown})
    return [shown[key] for key in close_matches(typed, shown)]


def _shown(setting: Setting | None, value: Any, reveal: bool = False) -> Any:
    if setting is not None and setting.secret and value is not None and not reveal:
        if isinstance(value, dict):
            return {k: mask(str(v)) for k, v in value.items()}
        return mask(str(value))
    return value


def get_value(ctx: Context, args: argparse.Namespace) -> Result:
    setting = find_setting(_settings(ctx), args.key)
    value = ctx.config.get(args.key)
    if value is None and setting is not None:
        value = setting.default
    if value is None and setting is None:
        close = _close_keys(args.key, _settings(ctx))
        raise NotFoundError(f"{args.key} is not set in {ctx.config.path}", hint=did_you_mean(args.key, close),
                            details={"key": args.key, "suggestions": close})
    shown = _shown(setting, value, args.show_secret)
    return Result(data={"key": args.key, "value": shown}, text=str(shown) if not isinstance(shown, (dict, list))
                  else _toml_inline(shown))


def set_value(ctx: Context, args: argparse.Namespace) -> Result:
    setting = _known(ctx, args.key)
    if args.stdin:
        if args.value is not None:
            raise UsageError("give the value either on the command line or with --stdin, not both")
        raw = ctx.read_secret(args.key) if setting.secret else ctx.stdin.read().strip()
    elif args.value is None:
        raise UsageError(f"config set {args.key} needs a VALUE (or --stdin)")
    elif setting.secret:
        raise UsageError(f"{args.key} is a secret: pass it on standard input with --stdin, not on the command "
                         "line, where shell history and other users' process lists can see it",
                         hint=f"e.g. 'printenv MY_TOKEN | comfyui-skill config set {args.key} --stdin'")
    else:
        raw = args.value
    if setting.scope == "server":
        server = args.key.split(".")[1]
        if server not in ctx.config.server_tables():
            raise NotFoundError(f"no server named {server!r}", hint=did_you_mean(server, ctx.config.server_tables())
                                or "add it with 'comfyui-skill server add'")
    try:
        value = setting.coerce(raw)  # type, choices and the setting's own check, as its reader applies them
    except ValueError as exc:
        where = f"servers.{args.key.split('.')[1]}." if setting.scope == "server" else ""
        raise UsageError(f"{where}{exc}", details={"key": args.key}) from None
    ctx.config.set_value(args.key, value, private=setting.secret)  # checks the whole would-be file too
    return Result(data={"key": args.key, "value": _shown(setting, value)},
                  text=f"{args.key} = {_shown(setting, value)!r} in {ctx.config.path}")


def unset_value(ctx: Context, args: argparse.Namespace) -> Result:
    if not ctx.config.unset(args.key):
        raise NotFoundError(f"{args.key} is not set in {ctx.config.path}")
    return Result(data={"key": args.key, "removed": True}, text=f"removed {args.key} from {ctx.config.path}")


def list_values(ctx: Context, args: argparse.Namespace) -> Result:
    rows: list[dict[str, Any]] = []
    settings = _settings(ctx)
    for setting in sorted((s for s in settings if s.scope == "global"), key=lambda s: s.key):
        rows.append(_describe(ctx, setting, setting.key, setting.env))
    for name in sorted(ctx.config.server_tables()):
        for setting in sorted((s for s in settings if s.scope == "server"), key=lambda s: s.key):
            rows.append(_describe(ctx, setting, f"servers.{name}.{setting.key}", server_env_var(name, setting.key)))

    def render(out: Output) -> None:
        out.table([(r["key"], _toml_inline(r["value"]) if r["value"] is not None else "-", r["source"])
                   for r in rows if r["value"] is not None or r["source"] != "default"],
                  ("KEY", "VALUE", "SOURCE"), shrink=(1, 2))

    return Result(data={"path": str(ctx.config.path), "settings": rows}, text=render)


def _describe(ctx: Context, setting: Setting, key: str, env: str | None) -> dict[str, Any]:
    if env and env in ctx.environ:
        value, source = ctx.environ[env], f"env {env}"
    elif ctx.config.get(key) is not None:
        value, source = ctx.config.get(key), "file"
    else:
        value, source = setting.default, "default"
    return {"key": key, "value": _shown(setting, value), "source": source, "help": setting.help,
            "type": setting.type.__name__, "secret": setting.secret, "env": env}


def show_path(ctx: Context, args: argparse.Namespace) -> Result:
    path = ctx.config.path
    return Result(data={"path": str(path), "exists": path.is_file()}, text=str(path))


def reset(ctx: Context, args: argparse.Namespace) -> Result:
    path = ctx.config.path
    if not path.exists():
        return Result(data={"path": str(path), "backup": None}, text=f"{path} does not exist; nothing to reset")
    ctx.confirm(f"Move {path} aside and start with the default configuration?", assume_yes=args.yes)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = next(candidate for n in range(1000)
                  if not (candidate := path.with_name(f"{path.name}.bak-{stamp}" + (f"-{n}" if n else ""))).exists())
    path.rename(backup)
    return Result(data={"path": str(path), "backup": str(backup)}, text=f"moved {path} to {backup}")


def _toml_inline(value: Any) -> str:
    import json

    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
