"""Local files to show: what kind each is, and the image bytes to draw for it (the file itself, or
the first frame of a video when ffmpeg is on the PATH)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyui_skill import human_bytes

from . import pictures

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac"})
#: Files larger than this are listed, not drawn (they would take long to send to the terminal).
MAX_DRAWN_BYTES = 64 * 1024 * 1024
FFMPEG_TIMEOUT = 20.0


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in pictures.IMAGE_SUFFIXES:
        return "image"
    if suffix in pictures.VIDEO_SUFFIXES:
        return "video"
    return "audio" if suffix in AUDIO_SUFFIXES else "other"


def describe(path: Path) -> dict[str, Any]:
    """``{"path", "kind", "bytes", "format", "width", "height"}`` of an existing file (size from its
    header, without decoding)."""
    size = path.stat().st_size
    entry: dict[str, Any] = {"path": str(path), "kind": kind_of(path), "bytes": size}
    if size <= MAX_DRAWN_BYTES:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
        found = pictures.picture(head)
        if found is not None:
            entry.update(kind="image", format=found.format)
            if found.known_size:
                entry.update(width=found.width, height=found.height)
    return entry


def caption(entry: dict[str, Any]) -> str:
    """The line under a picture, and the whole line of a file that is not drawn: path, then details."""
    details = human_bytes(entry.get("bytes"))
    if entry.get("width"):
        details = f"{entry['width']}x{entry['height']}, {details}"
    return f"{entry['path']}  ({details})"


def drawable_bytes(path: Path, kind: str) -> bytes | None:
    """The image to draw for a file: an image's own bytes, a video's first frame, else None."""
    try:
        if path.stat().st_size > MAX_DRAWN_BYTES:
            return None
        if kind == "image":
            return path.read_bytes()
    except OSError:
        return None
    return first_frame(path) if kind == "video" else None


def first_frame(path: Path) -> bytes | None:
    """The first frame of a video as PNG bytes, through ffmpeg if it is installed; None otherwise."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    try:
        done = subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-i", str(path), "-frames:v", "1", "-f", "image2pipe",
                               "-vcodec", "png", "-"], capture_output=True, timeout=FFMPEG_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 and pictures.sniff(done.stdout) == "png" else None


def render(canvas: Any, entry: dict[str, Any], size: int | None) -> tuple[str, int] | None:
    """The text drawing a described file on ``canvas`` (a :class:`~.canvas.Canvas`) and its rows, or
    None when it has nothing to draw."""
    data = drawable_bytes(Path(entry["path"]), entry["kind"])
    return None if data is None else canvas.render(data, size)
