"""The sixel encoder (DEC's bitmap graphics: foot, mlterm, xterm -ti vt340, Windows Terminal, WezTerm).

The picture is quantized to at most 256 colours (Pillow), then written six pixel rows at a time: for
each colour present in a band, one pass of characters whose six bits say which of the six pixels of
that column have the colour, run-length encoded.
"""

from __future__ import annotations

import re
from typing import Any

#: A byte holding six pixel bits (0..63) becomes the sixel character '?' (63) + bits.
_SIXEL_CHARS = bytes(range(63, 127)) + bytes(192)
_RUN = re.compile(rb"(.)\1{3,}")
COLOURS = 256


def _run_length(chars: bytes) -> bytes:
    return _RUN.sub(lambda match: b"!%d%c" % (len(match.group(0)), match.group(1)[0]), chars)


def encode(image: Any, width: int, height: int) -> str:
    """The DCS sequence drawing ``image`` (an RGB Pillow image) at ``width`` x ``height`` pixels."""
    from PIL import Image

    scaled = image.resize((width, height), Image.Resampling.LANCZOS)
    indexed = scaled.quantize(colors=COLOURS)
    palette = indexed.getpalette() or []
    pixels = indexed.tobytes()
    used = sorted(set(pixels))
    registers = "".join(f"#{c};2;{palette[3 * c] * 100 // 255};{palette[3 * c + 1] * 100 // 255};"
                        f"{palette[3 * c + 2] * 100 // 255}" for c in used)
    bands: list[bytes] = []
    for top in range(0, height, 6):
        masks: dict[int, bytearray] = {}
        for dy in range(min(6, height - top)):
            bit = 1 << dy
            start = (top + dy) * width
            for x, colour in enumerate(pixels[start:start + width]):
                mask = masks.get(colour)
                if mask is None:
                    mask = masks[colour] = bytearray(width)
                mask[x] |= bit
        passes = [b"#%d" % colour + _run_length(bytes(mask).translate(_SIXEL_CHARS))
                  for colour, mask in sorted(masks.items())]
        bands.append(b"$".join(passes))
    body = b"-".join(bands).decode("ascii")
    return f'\x1bP0;1;0q"1;1;{width};{height}{registers}{body}\x1b\\'
