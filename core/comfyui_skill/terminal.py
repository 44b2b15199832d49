"""The terminal's width, by the rule of :func:`shutil.get_terminal_size` without importing shutil
(which loads the compression modules: a noticeable part of a short command's start-up)."""

from __future__ import annotations

import os
import sys


def terminal_columns(fallback: int) -> int:
    """``$COLUMNS`` if set to a positive number, else the width of the terminal on stdout, else ``fallback``."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else fallback
