"""The fake's directories and ComfyUI's ``folder_paths`` rules (annotations, traversal checks, save names)."""

from __future__ import annotations

import gzip
import json
import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
DIR_TYPES = ("input", "output", "temp")


def read_json(path: Path, base: Path | None = None) -> Any:
    """Load a ``.json`` or ``.json.gz`` file; ``<COMFY_DIR>`` placeholders become ``base``."""
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
    if base is not None:
        text = text.replace("<COMFY_DIR>", json.dumps(str(base))[1:-1])
    return json.loads(text)


def load_data(name: str, base: Path | None = None) -> Any:
    """Load a packaged fixture from ``data/``."""
    return read_json(DATA_DIR / name, base)


@dataclass(frozen=True)
class Dirs:
    """A throw-away ComfyUI base directory: ``input/``, ``output/``, ``temp/`` and ``user/``."""

    base: Path

    @classmethod
    def create(cls) -> Dirs:
        dirs = cls(Path(tempfile.mkdtemp(prefix="fake-comfyui-")).resolve())
        for kind in DIR_TYPES:
            dirs.by_type(kind).mkdir()
        return dirs

    @property
    def input(self) -> Path:
        return self.base / "input"

    @property
    def output(self) -> Path:
        return self.base / "output"

    @property
    def temp(self) -> Path:
        return self.base / "temp"

    @property
    def user(self) -> Path:
        """The single-user data directory (``user/default``), created lazily like ComfyUI does."""
        return self.base / "user" / "default"

    def by_type(self, kind: str | None) -> Path:
        if kind not in DIR_TYPES:
            raise KeyError(kind)
        return self.base / kind

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def split_annotation(name: str) -> tuple[str, str | None]:
    """``"x.png [output]"`` -> ``("x.png", "output")``; no annotation -> ``(name, None)``."""
    for kind in DIR_TYPES:
        suffix = f" [{kind}]"
        if name.endswith(suffix):
            return name[:-len(suffix)], kind
    return name, None


def annotated_path(dirs: Dirs, name: str) -> Path:
    """Where LoadImage looks for ``name`` (input directory unless annotated)."""
    name, kind = split_annotation(name)
    return dirs.by_type(kind or "input") / name


def is_within(root: Path | str, path: Path | str) -> bool:
    """``os.path.commonpath`` containment, as ComfyUI checks traversal."""
    root = os.path.abspath(root)
    return os.path.commonpath((root, os.path.abspath(path))) == root


def top_level_files(directory: Path) -> list[os.DirEntry]:
    """Visible files directly in ``directory``, newest first (raises when it does not exist)."""
    entries = [entry for entry in os.scandir(directory) if entry.is_file() and not entry.name.startswith(".")]
    return sorted(entries, key=lambda entry: -entry.stat().st_mtime)


def image_files(directory: Path) -> list[str]:
    """LoadImage's combo: sorted top-level files whose mimetype is an image."""
    return sorted(entry.name for entry in top_level_files(directory)
                  if (mimetypes.guess_type(entry.name)[0] or "").startswith("image/"))


def save_image_path(root: Path, prefix: str, width: int, height: int) -> tuple[Path, str, int, str]:
    """ComfyUI's ``get_save_image_path``: ``(folder, file stem, next counter, subfolder)``.

    A prefix escaping ``root`` raises a bare ``Exception``, as ComfyUI does (it shows up as
    ``exception_type: "Exception"`` in ``execution_error``)."""
    prefix = prefix.replace("%width%", str(width)).replace("%height%", str(height))
    normalized = os.path.normpath(prefix)
    subfolder, stem = os.path.dirname(normalized), os.path.basename(normalized)
    folder = root / subfolder
    if not is_within(root, folder):
        common = os.path.commonpath((str(root), os.path.abspath(folder)))
        raise Exception(
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {os.path.abspath(folder)}\n         output_dir: {root}"
            f"\n         commonpath: {common}")
    folder.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(re.escape(stem) + r"_(\d+)_", re.IGNORECASE)
    counters = [int(match.group(1)) for name in os.listdir(folder) if (match := pattern.match(name))]
    return folder, stem, max(counters, default=0) + 1, subfolder
