"""Handlers of ``comfyui-skill models``."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from comfyui_skill import Context, NotFoundError, Output, Result


def list_models(ctx: Context, args: argparse.Namespace) -> Result:
    client = ctx.client
    folders = [name for name in client.models() if isinstance(name, str)]  # a broken server may send anything
    if args.models_folder:
        if args.models_folder not in folders:
            raise NotFoundError(f"server {ctx.server.name!r} has no model folder {args.models_folder!r}",
                                hint=f"valid folders: {', '.join(folders)}",
                                details={"folder": args.models_folder, "folders": folders})
        files = client.models(args.models_folder)
        return Result(data={"folder": args.models_folder, "files": files},
                      text=lambda out: _render_files(out, args.models_folder, files))
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = dict(zip(folders, (len(files) for files in pool.map(client.models, folders))))
    return Result(data={"folders": counts}, text=lambda out: _render_counts(out, counts))


def _render_files(out: Output, folder: str, files: list[str]) -> None:
    if not files:
        out.line(f"no files in {folder}")
    for name in files:
        out.line(name)


def _render_counts(out: Output, counts: dict[str, int]) -> None:
    if not counts:
        out.line("the server reports no model folders")
        return
    out.table([(folder, count) for folder, count in counts.items()], ("FOLDER", "FILES"), shrink=(0,))
