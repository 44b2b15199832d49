"""``upload`` (images and masks to the server's input folder) and ``free`` (memory, models)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from comfyui_skill import Context, NotFoundError, Output, Result, UsageError


def upload(ctx: Context, args: argparse.Namespace) -> Result:
    if args.upload_mask:
        if not args.upload_original or args.files:
            raise UsageError("a mask upload takes --mask FILE --original NAME and no other file")
    elif args.upload_original:
        raise UsageError("--original goes with --mask")
    elif not args.files:
        raise UsageError("name at least one file to upload")
    target = UploadTarget(subfolder=args.upload_subfolder or "", type=args.upload_type, overwrite=args.upload_overwrite)
    if args.upload_mask:
        return upload_mask(ctx, Path(args.upload_mask), args.upload_original, target)
    return upload_files(ctx, [Path(name) for name in args.files], target)


@dataclass(frozen=True)
class UploadTarget:
    """Where uploads go on the server: its ``input`` (or ``temp``) folder, a subfolder, replacing or not."""

    subfolder: str = ""
    type: str = "input"
    overwrite: bool = False


def upload_files(ctx: Context, paths: Sequence[Path], target: UploadTarget) -> Result:
    """Upload each file; the server renames one whose name is taken unless ``target.overwrite``."""
    return _uploaded([_one(ctx, path, target) for path in paths])


def upload_mask(ctx: Context, path: Path, original: str, target: UploadTarget) -> Result:
    """Upload ``path`` as the mask of the server image ``original`` (``subfolder/name`` in its input folder)."""
    where = PurePosixPath(original)
    ref = {"filename": where.name, "subfolder": str(where.parent).strip("."), "type": "input"}
    return _uploaded([_one(ctx, path, target, mask_original=ref)])


def _uploaded(answers: list[dict[str, Any]]) -> Result:
    def render(out: Output) -> None:
        for item in answers:
            out.line(f"{item['local']}  ->  {item['reference']}" +
                     (f"  (asset, {item['hash']}{', already on the server' if item['deduplicated'] else ''})"
                      if item.get("asset_id") else "") +
                     ("  (renamed: the server had another file of that name)" if item["renamed"] else ""))

    return Result(data=answers, text=render)


def _one(ctx: Context, path: Path, target: UploadTarget, mask_original: dict[str, str] | None = None) -> dict:
    if not path.exists():
        raise NotFoundError(f"local file {path} not found")
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    ctx.confine(path, "upload")
    answer = ctx.client.upload(path, subfolder=target.subfolder, type=target.type,
                               overwrite=target.overwrite, mask_original=mask_original)
    name, subfolder = answer.get("name") or path.name, answer.get("subfolder") or ""
    uploaded = {"local": str(path), "name": name, "subfolder": subfolder, "type": answer.get("type") or target.type,
                "reference": f"{subfolder}/{name}" if subfolder else name,
                "renamed": mask_original is None and name != path.name}
    if answer.get("asset_id"):  # a Comfy API v2 server: the file is an asset, referenced by its id
        uploaded.update(reference=answer["asset_id"], asset_id=answer["asset_id"], hash=answer.get("hash"),
                        deduplicated=bool(answer.get("deduplicated")), renamed=False)
    return uploaded


def free(ctx: Context, args: argparse.Namespace) -> Result:
    return free_server(ctx, models=args.free_models, memory=args.free_memory)


def free_server(ctx: Context, *, models: bool = False, memory: bool = False) -> Result:
    """Ask the server to unload models and/or free cached memory (neither named: both)."""
    both = not (models or memory)
    models, memory = models or both, memory or both
    ctx.client.free(unload_models=models, free_memory=memory)
    done = " and ".join(w for w, on in (("unload models", models), ("free memory", memory)) if on)
    return Result(data={"unload_models": models, "free_memory": memory},
                  text=f"asked server {ctx.client.server_name!r} to {done} (applied after its current prompt)")
