"""``type=`` functions for options that take numbers, refusing what cannot be meant.

``type=int`` lets ``--limit -3`` through and ``type=float`` takes ``--timeout nan`` or ``-1``; these
refuse such values with a message that says what is expected (a usage error, exit 2), e.g.
``argument --timeout: '-1' is not a positive number of seconds``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive_count(unit: str | None = None) -> Callable[[str], int]:
    """A whole number of 1 or more; ``unit`` names what is counted in the message ("columns")."""
    expected = f"a positive number of {unit}" if unit else "a positive whole number"

    def parse(text: str) -> int:
        stripped = text.strip()
        if not stripped.isdigit() or int(stripped) < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}")
        return int(stripped)
    return parse


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0 (a deadline already passed would end the work at once)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value
