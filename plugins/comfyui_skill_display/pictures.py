"""Image bytes and what can be known of them: the format and size from the header alone, and pixels
through Pillow (the optional extra ``comfyui-skill[images]``) when it is installed.

Nothing here imports Pillow until pixels are actually needed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

#: Leading bytes of the formats we recognise without decoding.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"BM", "bmp"))
#: Formats whose files are drawn (the others are listed with their size).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".apng"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v"})
#: The most pixels a picture may have to be decoded (a decompression bomb is skipped, not drawn).
MAX_PIXELS = 64 * 1024 * 1024


@dataclass(frozen=True)
class Picture:
    """Encoded image bytes with their format and size (0 x 0 when the header does not tell)."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def known_size(self) -> bool:
        return self.width > 0 and self.height > 0


def sniff(data: bytes) -> str:
    """``png``, ``jpeg``, ``gif``, ``webp``, ``bmp``, or ``""`` for anything else."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return ""


def picture(data: bytes) -> Picture | None:
    """The picture in ``data``, or None when it is no image format we know."""
    kind = sniff(data)
    if not kind:
        return None
    width, height = header_size(data, kind)
    return Picture(data, kind, width, height)


def header_size(data: bytes, kind: str) -> tuple[int, int]:
    """Width and height read from the header (PNG, GIF, BMP, JPEG); (0, 0) when not found."""
    try:
        if kind == "png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "bmp":
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if kind == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        pass
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """The size in the first start-of-frame segment of a JPEG."""
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return 0, 0
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    return 0, 0


def pillow_available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def decode(item: Picture) -> Any:
    """The first frame as an RGB Pillow image, or None (no Pillow, or bytes it cannot decode)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    import io

    try:
        with Image.open(io.BytesIO(item.data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.seek(0)
            if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (0, 0, 0))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                return flat
            return image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def as_png(item: Picture) -> bytes | None:
    """PNG bytes of the picture: its own when it is a PNG, else re-encoded through Pillow."""
    if item.format == "png":
        return item.data
    image = decode(item)
    if image is None:
        return None
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def with_size(item: Picture) -> Picture | None:
    """The picture with its size known (decoding it if the header did not tell), or None."""
    if item.known_size:
        return item
    image = decode(item)
    if image is None:
        return None
    return Picture(item.data, item.format, image.width, image.height)
