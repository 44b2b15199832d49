"""``upload`` (images and masks to the server's input folder) and ``free`` (memory, models)."""

from __future__ import annotations

import argparse
from pathlib import Path, PurePosixPath

from comfyui_skill import Context, Output, Result, UsageError


def upload(ctx: Context, args: argparse.Namespace) -> Result:
    if args.upload_mask:
        if not args.upload_original or args.files:
            raise UsageError("a mask upload takes --mask FILE --original NAME and no other file")
        original = PurePosixPath(args.upload_original)
        ref = {"filename": original.name, "subfolder": str(original.parent).strip("."), "type": "input"}
        answers = [_one(ctx, Path(args.upload_mask), args, mask_original=ref)]
    elif args.upload_original:
        raise UsageError("--original goes with --mask")
    elif not args.files:
        raise UsageError("name at least one file to upload")
    else:
        answers = [_one(ctx, Path(name), args) for name in args.files]

    def render(out: Output) -> None:
        for item in answers:
            out.line(f"{item['local']}  ->  {item['reference']}" +
                     ("  (renamed: the server had another file of that name)" if item["renamed"] else ""))

    return Result(data=answers, text=render)


def _one(ctx: Context, path: Path, args: argparse.Namespace, mask_original: dict[str, str] | None = None) -> dict:
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    answer = ctx.client.upload(path, subfolder=args.upload_subfolder or "", type=args.upload_type,
                               overwrite=args.upload_overwrite, mask_original=mask_original)
    name, subfolder = answer.get("name") or path.name, answer.get("subfolder") or ""
    return {"local": str(path), "name": name, "subfolder": subfolder, "type": answer.get("type") or args.upload_type,
            "reference": f"{subfolder}/{name}" if subfolder else name,
            "renamed": mask_original is None and name != path.name}


def free(ctx: Context, args: argparse.Namespace) -> Result:
    both = not (args.free_models or args.free_memory)
    models, memory = args.free_models or both, args.free_memory or both
    ctx.client.free(unload_models=models, free_memory=memory)
    done = " and ".join(w for w, on in (("unload models", models), ("free memory", memory)) if on)
    return Result(data={"unload_models": models, "free_memory": memory},
                  text=f"asked server {ctx.client.server_name!r} to {done} (applied after its current prompt)")
