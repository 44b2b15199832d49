"""Handler of ``comfyui-skill completion``."""

from __future__ import annotations

import argparse

from comfyui_skill import Context, Result, UsageError, build_parser

from .candidates import complete
from .scripts import SCRIPTS


def completion(ctx: Context, args: argparse.Namespace) -> Result:
    if args.completion_words is not None:
        words = [word.removeprefix("+") for word in args.completion_words]
        found = complete(build_parser(ctx.plugins, configure=True), words, ctx)
        return Result(data=found, text="\n".join(found))
    if args.completion_shell is None:
        raise UsageError("name a shell: bash, zsh or fish", hint="e.g. 'source <(comfyui-skill completion bash)'")
    script = SCRIPTS[args.completion_shell]
    return Result(data={"shell": args.completion_shell, "script": script}, text=script.rstrip("\n"))
