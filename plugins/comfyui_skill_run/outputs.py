"""The files and texts a finished prompt produced, and saving them under the output folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyui_skill import (ComfyClient, Context, ServerError, UnreachableError, existing_copies, node_order,
                           safe_relative_path, save_stream, writable_folder)

from .workflow import expand

DEFAULT_DIR = "comfyui-output"
#: Tries of a download that breaks off mid-body (each starts over; nothing partial is ever kept).
DOWNLOAD_ATTEMPTS = 3


@dataclass
class OutputItem:
    """One output of one node: a server file (``filename``...) or a text."""

    node: str
    kind: str
    filename: str | None = None
    subfolder: str = ""
    type: str = "output"
    text: str | None = None
    path: str | None = None
    renamed: bool = False
    #: The file was already there with the same bytes (nothing new was written).
    present: bool = False
    #: The bytes of an image the server only streamed over the WebSocket (never in the JSON).
    data: bytes | None = field(default=None, repr=False)
    #: The output's own link, where the server gives one (Comfy API v2; it may be signed: never in the JSON).
    url: str | None = field(default=None, repr=False)

    @property
    def identity(self) -> tuple:
        """What tells this output from the prompt's others (not where it was saved)."""
        return self.node, self.kind, self.type, self.subfolder, self.filename, self.text

    def to_json(self) -> dict[str, Any]:
        data = {"node": self.node, "kind": self.kind}
        if self.text is not None:
            data["text"] = self.text
        else:
            data.update(filename=self.filename, subfolder=self.subfolder, type=self.type)
        if self.path is not None:
            data.update(path=self.path, renamed=self.renamed, already_present=self.present)
        return data


def streamed_image(node: str, index: int, image_type: str, data: bytes) -> OutputItem:
    """An image SaveImageWebsocket sent only over the socket, named after its node."""
    suffix = {"image/jpeg": "jpg", "image/webp": "webp"}.get(image_type, "png")
    return OutputItem(node, "images", f"websocket_{node}_{index:05d}.{suffix}", type="websocket", data=data)


def collect(outputs: dict[str, Any], *, include_temp: bool = False) -> list[OutputItem]:
    """Every file (images, video, audio, 3D...) and text in history ``outputs``, in node order."""
    items: list[OutputItem] = []
    if not isinstance(outputs, dict):
        return items
    for node, produced in sorted(outputs.items(), key=lambda item: node_order(item[0])):
        if not isinstance(produced, dict):
            continue
        for kind, values in produced.items():
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and kind == "text":
                    items.append(OutputItem(str(node), "text", text=value))
                elif isinstance(value, dict) and isinstance(value.get("filename"), str):
                    file_type = str(value.get("type") or "output")
                    if file_type == "temp" and not include_temp:
                        continue
                    link = value.get("url")
                    items.append(OutputItem(str(node), kind, value["filename"], str(value.get("subfolder") or ""),
                                            file_type, url=link if isinstance(link, str) else None))
    return items


def output_dir(ctx: Context, given: str | None) -> Path:
    """``-o``, else the server's ``output_dir``, else the global ``output_dir``, else ./comfyui-output."""
    chosen = given or ctx.server.get("output_dir") or ctx.setting("output_dir") or DEFAULT_DIR
    return expand(chosen).absolute()  # reported paths must not depend on the caller's cwd


def checked_output_dir(ctx: Context, given: str | None) -> Path:
    """:func:`output_dir`, created and checked to take files: called before anything is submitted."""
    return writable_folder(output_dir(ctx, given))


def download_all(client: ComfyClient, items: list[OutputItem], root: Path, *, deadline: float | None,
                 on_saved: Callable[[OutputItem], None], save_text: bool = False,
                 ready: dict[tuple, tuple[str | None, bool, bool]] | None = None) -> None:
    """Save every file item under ``root`` (and texts too with ``save_text``), never overwriting.

    ``on_saved`` is called for every item once it is ready, texts included (saved or not). A file
    already there with the same bytes is not saved twice: the item points at it (``present``).
    ``ready``, kept across calls for the same prompt, records each item made ready (by
    :attr:`OutputItem.identity`: its path, whether it was renamed, whether it was present): a call
    after one that stopped half-way (the server went away) does not save those items again, nor
    report them twice."""
    done = {} if ready is None else ready
    for item in items:
        if item.identity in done:
            item.path, item.renamed, item.present = done[item.identity]
            continue
        if item.text is not None and not save_text:
            done[item.identity] = (None, False, False)
            on_saved(item)
            continue
        wanted = safe_relative_path("", f"text_{item.node}.txt") if item.text is not None else \
            safe_relative_path(item.subfolder, item.filename or "")
        before = existing_copies(root, wanted)
        if item.text is not None:
            saved = save_stream([item.text.encode("utf-8")], root, wanted)
        elif item.data is not None:
            saved = save_stream([item.data], root, wanted)
        else:
            saved = _download(client, item, root, deadline)
        item.path, item.present = str(saved), saved in before
        item.renamed = saved.name != wanted.name and not item.present
        done[item.identity] = (item.path, item.renamed, item.present)
        on_saved(item)


def _download(client: ComfyClient, item: OutputItem, root: Path, deadline: float | None) -> Path:
    """``client.download`` of one item, started over when the body is cut short."""
    attempt = 1
    while True:
        try:
            return client.download(item.filename or "", item.subfolder, item.type, root, deadline=deadline,
                                   url=item.url)
        except (UnreachableError, ServerError) as exc:
            cut_short = exc.details.get("reason") == "dropped" or "expected" in exc.details
            if not cut_short or attempt >= DOWNLOAD_ATTEMPTS:
                raise
            attempt += 1
