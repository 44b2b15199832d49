"""Handlers of ``comfyui-skill plugins``."""

from __future__ import annotations

import argparse

from comfyui_skill import Context, NotFoundError, Output, Result


def list_plugins(ctx: Context, args: argparse.Namespace) -> Result:
    records = sorted(ctx.plugins.records.values(), key=lambda r: (not r.builtin, r.name))
    data = [record.to_json() for record in records]
    if args.requirements:
        lines = sorted({f"{r.distribution}=={r.version}" for r in records
                        if not r.builtin and r.distribution and r.version})
        return Result(data=lines, text="\n".join(lines))

    def render(out: Output) -> None:
        rows = [(r.name, "built-in" if r.builtin else r.distribution or "-", r.version or "-",
                 r.status, r.module, r.error or ", ".join(h.removeprefix("comfyui_skill_") for h in r.hooks))
                for r in records]
        out.table(rows, ("NAME", "DISTRIBUTION", "VERSION", "STATUS", "MODULE", "HOOKS / ERROR"), shrink=(5, 4))

    return Result(data=data, text=render)


def _set_disabled(ctx: Context, name: str, disabled: bool) -> Result:
    known = {r.name for r in ctx.plugins.records.values()} | {
        r.distribution for r in ctx.plugins.records.values() if r.distribution}
    current = [str(n) for n in (ctx.config.get("plugins.disabled", []) or [])]
    if name not in known and name not in current:
        raise NotFoundError(f"no plugin named {name!r}", hint="see 'comfyui-skill plugins list'")
    with ctx.config.edit() as document:
        table = document.setdefault("plugins", {})
        names = [n for n in table.get("disabled", []) if n != name]
        if disabled:
            names.append(name)
        table["disabled"] = names
    state = "disabled" if disabled else "enabled"
    return Result(data={"name": name, "state": state}, text=f"plugin {name!r} {state}")


def disable_plugin(ctx: Context, args: argparse.Namespace) -> Result:
    return _set_disabled(ctx, args.name, True)


def enable_plugin(ctx: Context, args: argparse.Namespace) -> Result:
    return _set_disabled(ctx, args.name, False)
