"""Lightweight stand-ins for the values that flow between simulated nodes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .png import encode_png

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Frame:
    """One RGB image: either a solid colour (cheap at any size) or raw pixel bytes."""

    width: int
    height: int
    color: RGB | None = None
    pixels: bytes | None = None

    def rows(self) -> Iterator[bytes]:
        if self.pixels is None:
            row = bytes(self.color or (0, 0, 0)) * self.width
            for _ in range(self.height):
                yield row
            return
        stride = self.width * 3
        for y in range(self.height):
            yield self.pixels[y * stride:(y + 1) * stride]

    def png(self, text: dict[str, str] | None = None, level: int = 4) -> bytes:
        return encode_png(self.width, self.height, self.rows(), text, level)

    def inverted(self) -> Frame:
        if self.pixels is None:
            return Frame(self.width, self.height, color=tuple(255 - c for c in self.color or (0, 0, 0)))
        return Frame(self.width, self.height, pixels=self.pixels.translate(bytes(range(255, -1, -1))))

    def resized(self, width: int, height: int) -> Frame:
        """Nearest-neighbour resize."""
        if self.pixels is None:
            return Frame(width, height, color=self.color)
        out = bytearray()
        for y in range(height):
            source_row = (y * self.height // height) * self.width
            for x in range(width):
                start = (source_row + x * self.width // width) * 3
                out += self.pixels[start:start + 3]
        return Frame(width, height, pixels=bytes(out))


@dataclass(frozen=True)
class Images:
    """An IMAGE batch (``B x H x W x 3`` in ComfyUI)."""

    frames: tuple[Frame, ...]

    def __str__(self) -> str:
        first = self.frames[0] if self.frames else Frame(0, 0)
        return f"<IMAGE batch={len(self.frames)} height={first.height} width={first.width}>"


@dataclass(frozen=True)
class Opaque:
    """The output of a node the fake does not simulate (a model, a latent, ...)."""

    type: str
    node_id: str
    slot: int

    def __str__(self) -> str:
        return f"<{self.type} from node {self.node_id}:{self.slot}>"


def color_from_int(value: int) -> RGB:
    """ComfyUI's ``EmptyImage.color`` is ``0xRRGGBB``."""
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF
