"""``comfyui-skill show FILE...``: local images drawn in the terminal, each with its path under it."""

from __future__ import annotations

import argparse
from pathlib import Path

from comfyui_skill import Context, ExitCode, NotFoundError, Output, Result, plural

from . import media, session


def show(ctx: Context, args: argparse.Namespace) -> Result:
    return show_files(ctx, [Path(name) for name in args.show_files], size=args.show_size,
                      protocol=args.show_protocol)


def show_files(ctx: Context, paths: list[Path], *, size: int | None, protocol: str | None) -> Result:
    chosen = session.settings(ctx)
    entries = [media.describe(path) for path in paths if path.is_file()]
    missing = [str(path) for path in paths if not path.is_file()]

    def render(out: Output) -> None:
        canvas = session.canvas_for(ctx, chosen, protocol=protocol)
        for entry in entries:
            drawn = media.render(canvas, entry, size) if canvas is not None else None
            if drawn is not None:
                canvas.write(drawn[0])
            out.line(media.caption(entry))
        if canvas is not None and canvas.missing_pixels:
            out.note(f"hint: {session.HINT}")

    data = {"files": entries, "missing": missing}
    if missing:
        named = ", ".join(missing)
        error = NotFoundError(f"no such file: {named}" if len(missing) == 1 else
                              f"{plural(len(missing), 'file')} not found: {named}")
        return Result(data=data, text=render, exit_code=ExitCode.NOT_FOUND, error=error)
    return Result(data=data, text=render)
