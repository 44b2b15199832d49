"""Turning a picture into what one terminal protocol draws in a box of ``cols`` x ``rows`` cells.

Each encoder returns the text to write with the cursor at the start of a line, and leaves the cursor
at the start of the line below the picture; None means this picture cannot be drawn this way (its
pixels are needed and Pillow is missing, or they cannot be decoded).
"""

from __future__ import annotations

import base64
import functools
import math
from dataclasses import dataclass

from . import pictures
from .pictures import Picture

#: Best first. ``truecolor`` and ``256`` draw coloured half-block characters (two pixels a cell).
PROTOCOLS = ("kitty", "iterm2", "sixel", "truecolor", "256")
GRAPHICS = frozenset({"kitty", "iterm2", "sixel"})
HALF_BLOCKS = frozenset({"truecolor", "256"})
#: The protocols that draw from decoded pixels (Pillow).
NEEDS_PIXELS = HALF_BLOCKS | {"sixel"}
KITTY_CHUNK = 4096
UPPER_HALF = "\u2580"
#: The kitty image id of our pictures (one at a time: a new one replaces the last).
KITTY_ID = 7291


@dataclass(frozen=True)
class Cells:
    """Cell geometry: the pixels of one cell (a guess of 10 x 20 when the terminal does not say)."""

    width: int = 10
    height: int = 20


def fit(width: int, height: int, max_cols: int, max_rows: int, cell: Cells) -> tuple[int, int]:
    """The largest box of cells, at most ``max_cols`` x ``max_rows``, showing ``width`` x ``height``
    pixels with their aspect ratio (square pixels on cells of ``cell``'s shape)."""
    max_cols, max_rows = max(1, max_cols), max(1, max_rows)
    aspect = cell.height / cell.width
    cols = max_cols
    rows = max(1, math.ceil(cols * height / width / aspect))
    if rows > max_rows:
        rows = max_rows
        cols = max(1, min(max_cols, round(rows * aspect * width / height)))
    return cols, rows


def encode(protocol: str, item: Picture, cols: int, rows: int, cell: Cells, *, tmux: bool = False) -> str | None:
    if protocol == "kitty":
        png = pictures.as_png(item)
        return None if png is None else kitty(png, cols, rows)
    if protocol == "iterm2":
        return iterm2(item.data, cols, rows, tmux=tmux)
    image = pictures.decode(item)
    if image is None:
        return None
    if protocol == "sixel":
        from . import sixel

        width = cols * cell.width
        height = min(rows * cell.height, max(1, round(width * image.height / image.width)))
        return sixel.encode(image, width, height) + "\r"
    return half_blocks(image, cols, rows, truecolor=protocol == "truecolor")


def kitty(png: bytes, cols: int, rows: int) -> str:
    """The kitty graphics protocol: the PNG as is, in chunks, placed without moving the cursor (C=1)
    after making room for it (so a picture at the bottom of the window scrolls it first)."""
    payload = base64.standard_b64encode(png).decode("ascii")
    chunks = [payload[at:at + KITTY_CHUNK] for at in range(0, len(payload), KITTY_CHUNK)] or [""]
    parts = []
    for index, chunk in enumerate(chunks):
        more = int(index < len(chunks) - 1)
        control = f"a=T,f=100,t=d,i={KITTY_ID},c={cols},r={rows},C=1,q=2,m={more}" if index == 0 else f"m={more}"
        parts.append(f"\x1b_G{control};{chunk}\x1b\\")
    return "\n" * rows + f"\x1b[{rows}A" + "".join(parts) + f"\x1b[{rows}B\r"


def kitty_delete() -> str:
    """Delete our kitty image (its placements and its data)."""
    return f"\x1b_Ga=d,d=I,i={KITTY_ID},q=2\x1b\\"


def iterm2(data: bytes, cols: int, rows: int, *, tmux: bool = False) -> str:
    """iTerm2's inline image (also WezTerm, mintty): any format the terminal decodes, sent as is."""
    payload = base64.standard_b64encode(data).decode("ascii")
    sequence = (f"\x1b]1337;File=inline=1;size={len(data)};width={cols};height={rows};"
                f"preserveAspectRatio=1:{payload}\x07")
    return (passthrough(sequence) if tmux else sequence) + "\n"


def passthrough(sequence: str) -> str:
    """``sequence`` wrapped for tmux to hand it to the terminal outside (``allow-passthrough on``)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def half_blocks(image: object, cols: int, rows: int, *, truecolor: bool) -> str:
    """Rows of '▀' with the top pixel as the foreground and the bottom one as the background."""
    from PIL import Image

    scaled = image.resize((cols, rows * 2), Image.Resampling.BOX)  # type: ignore[attr-defined]
    pixels = scaled.tobytes()
    colour = _truecolor if truecolor else _xterm256
    stride = cols * 3
    lines = []
    for row in range(rows):
        top = pixels[2 * row * stride:(2 * row + 1) * stride]
        bottom = pixels[(2 * row + 1) * stride:(2 * row + 2) * stride]
        parts: list[str] = []
        last = ""
        for x in range(0, stride, 3):
            code = colour(38, top[x:x + 3]) + colour(48, bottom[x:x + 3])
            if code != last:
                parts.append(code)
                last = code
            parts.append(UPPER_HALF)
        lines.append("".join(parts) + "\x1b[0m\n")
    return "".join(lines)


def _truecolor(layer: int, rgb: bytes) -> str:
    return f"\x1b[{layer};2;{rgb[0]};{rgb[1]};{rgb[2]}m"


def _xterm256(layer: int, rgb: bytes) -> str:
    return f"\x1b[{layer};5;{xterm256_index(rgb[0], rgb[1], rgb[2])}m"


_CUBE = (0, 95, 135, 175, 215, 255)


@functools.lru_cache(maxsize=4096)
def xterm256_index(red: int, green: int, blue: int) -> int:
    """The nearest of xterm's 6x6x6 colour cube (16-231) and 24 greys (232-255)."""
    def level(value: int) -> int:
        return min(range(6), key=lambda i: abs(_CUBE[i] - value))

    r, g, b = level(red), level(green), level(blue)
    cube = (_CUBE[r], _CUBE[g], _CUBE[b])
    grey_step = min(23, max(0, round((red + green + blue) / 3 - 8) // 10))
    grey = 8 + 10 * grey_step

    def distance(candidate: tuple[int, int, int]) -> int:
        return sum((c - v) ** 2 for c, v in zip(candidate, (red, green, blue)))

    if distance((grey, grey, grey)) < distance(cube):
        return 232 + grey_step
    return 16 + 36 * r + 6 * g + b
