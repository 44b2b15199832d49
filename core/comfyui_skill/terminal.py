"""The terminal's width, by the rule of :func:`shutil.get_terminal_size` without importing shutil
(which loads the compression modules: a noticeable part of a short command's start-up)."""

from __future__ import annotations

import os
import sys


def terminal_columns(fallback: int) -> int:
    """``$COLUMNS`` if set to a positive number, else the width of the terminal on stdout, else on
    stderr (where progress is drawn while stdout goes to a pipe), else ``fallback``."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    for stream in (sys.__stdout__, sys.__stderr__):
        if columns > 0:
            break
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else fallback
