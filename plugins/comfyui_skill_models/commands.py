"""Handlers of ``comfyui-skill models``."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from comfyui_skill import Context, NotFoundError, Output, Result, did_you_mean

#: Folders ``/models`` lists that hold no models: node packs (``custom_nodes``, whose file list is every
#: file of every pack), training data (``datasets``) and the legacy model config files (``configs``,
#: YAML). They are named but not counted by ``models list``; ``models list FOLDER`` still shows them.
NOT_MODELS = ("configs", "custom_nodes", "datasets")


def list_models(ctx: Context, args: argparse.Namespace) -> Result:
    return models_of(ctx, args.models_folder)


def models_of(ctx: Context, folder: str | None) -> Result:
    """The model files of ``folder``, or (None) how many files each model folder holds."""
    client = ctx.client
    folders = [name for name in client.models() if isinstance(name, str)]  # a broken server may send anything
    if folder:
        if folder not in folders:
            raise NotFoundError(f"server {ctx.server.name!r} has no model folder {folder!r}",
                                hint=did_you_mean(folder, folders) or f"valid folders: {', '.join(folders)}",
                                details={"folder": folder, "folders": folders})
        files = client.models(folder)
        return Result(data={"folder": folder, "files": files},
                      text=lambda out: _render_files(out, folder, files))
    models = [name for name in folders if name not in NOT_MODELS]
    others = [name for name in folders if name in NOT_MODELS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = dict(zip(models, (len(files) for files in pool.map(client.models, models))))
    return Result(data={"folders": counts, "other_folders": others},
                  text=lambda out: _render_counts(out, counts, others))


def _render_files(out: Output, folder: str, files: list[str]) -> None:
    if not files:
        out.line(f"no files in {folder}")
    for name in files:
        out.line(name)


def _render_counts(out: Output, counts: dict[str, int], others: list[str]) -> None:
    if counts:
        out.table([(folder, count) for folder, count in counts.items()], ("FOLDER", "FILES"), shrink=(0,))
    else:
        out.line("the server reports no model folders")
    if others:
        out.note(f"also served, holding no models (not counted): {', '.join(others)}")
