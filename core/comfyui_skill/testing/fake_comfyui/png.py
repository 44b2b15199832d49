"""A tiny PNG codec (8-bit RGB out; 8-bit non-interlaced in) built on zlib and struct."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGE_MAGIC = (SIGNATURE, b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM")
"""Leading bytes of the image formats PIL would open (PNG, JPEG, GIF, WebP, BMP)."""
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel


class PngError(ValueError):
    """The bytes are not a PNG this codec understands."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(
    width: int, height: int, rows: Iterable[bytes], text: dict[str, str] | None = None, level: int = 4
) -> bytes:
    """Encode RGB ``rows`` (``width * 3`` bytes each) with optional ``tEXt`` chunks, like PIL's ``PngInfo``."""
    compressor = zlib.compressobj(level)
    parts = [compressor.compress(b"\x00" + row) for row in rows]
    parts.append(compressor.flush())
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    chunks += [_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1", "replace"))
               for key, value in (text or {}).items()]
    chunks += [_chunk(b"IDAT", b"".join(parts)), _chunk(b"IEND", b"")]
    return SIGNATURE + b"".join(chunks)


def looks_like_image(data: bytes) -> bool:
    return data.startswith(IMAGE_MAGIC)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk."""
    if not data.startswith(SIGNATURE) or data[12:16] != b"IHDR":
        raise PngError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    """The PNG filter predictor for one byte (filter types 0-4)."""
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        return _paeth(left, up, corner)
    raise PngError(f"bad filter type {kind}")


def _unfilter(raw: bytes, stride: int, bpp: int, height: int) -> list[bytearray]:
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left, corner = (row[i - bpp], previous[i - bpp]) if i >= bpp else (0, 0)
            row[i] = (row[i] + _predict(kind, left, previous[i], corner)) & 0xFF
        rows.append(row)
        previous = row
    return rows


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Decode an 8-bit, non-interlaced grey/RGB(A) PNG to ``(width, height, rgb_bytes)``."""
    width, height = png_size(data)
    depth, colour, interlace = data[24], data[25], data[28]
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise PngError("unsupported PNG flavour")
    idat, pos = bytearray(), 8
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += length + 12
    channels = _CHANNELS[colour]
    rows = _unfilter(zlib.decompress(bytes(idat)), width * channels, channels, height)
    rgb = bytearray()
    for row in rows:
        if channels == 3:
            rgb += row
        else:
            for x in range(width):
                pixel = row[x * channels:(x + 1) * channels]
                rgb += bytes(pixel[:3]) if channels == 4 else bytes((pixel[0],)) * 3
    return width, height, bytes(rgb)
