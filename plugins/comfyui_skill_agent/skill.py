"""``comfyui-skill skill show|install``: the SKILL.md shipped in this package, plus the commands
installed here (third-party plugins included) so the agent knows what it may call."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from comfyui_skill import CliError, Context, Result, UsageError, atomic_write

from . import tree

SKILL_NAME = "comfyui-skill"


def show(ctx: Context, args: argparse.Namespace) -> Result:
    text = render(ctx)
    return Result(data={"text": text}, text=text.rstrip("\n"))


def install(ctx: Context, args: argparse.Namespace) -> Result:
    target = Path(args.skill_dir).expanduser() / SKILL_NAME / "SKILL.md"
    if target.exists() and not args.skill_force:
        raise UsageError(f"{target} exists; not replacing it", hint="add --force to replace it",
                         details={"path": str(target)})
    text = render(ctx)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}", code="io",
                       details={"path": str(target)}) from None
    return Result(data={"path": str(target), "bytes": len(text.encode())}, text=f"wrote {target}")


def render(ctx: Context) -> str:
    """SKILL.md followed by a table of the commands of the plugins loaded now."""
    base = resources.files(__package__).joinpath("SKILL.md").read_text(encoding="utf-8")
    rows = [f"| `{tree.PROG} {path}` | {help_} |" for path, sub, help_ in tree.commands(tree.full_parser(ctx))
            if tree.runnable(sub)]
    section = ["", "## Commands installed here", "",
               "Generated from this installation (plugins included); details: `comfyui-skill describe --json`.", "",
               "| command | what it does |", "| --- | --- |", *rows]
    return base.rstrip("\n") + "\n" + "\n".join(section) + "\n"
