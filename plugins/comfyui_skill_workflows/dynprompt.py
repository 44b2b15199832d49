"""The frontend's dynamic prompts (``Comfy.DynamicPrompts``) for widgets with ``dynamicPrompts: true``."""

from __future__ import annotations

import random
import re

_COMMENTS = re.compile(r"/\*[\s\S]*?\*/|//.*")
_INNERMOST = re.compile(r"(?<!\\)\{((?:[^{}\\]|\\.)*?)(?<!\\)\}")
_ALTERNATIVES = re.compile(r"(?<!\\)\|")
_ESCAPED = re.compile(r"\\([{}|])")


def expand_dynamic_prompt(text: str, rng: random.Random | None = None) -> str:
    """Strip ``//`` and ``/* */`` comments, replace each ``{a|b|c}`` by one random choice (innermost
    first), and unescape ``\\{ \\} \\|`` - what the frontend does when it serialises such a widget."""
    pick = (rng or random).choice
    text = _COMMENTS.sub("", text)
    while True:
        expanded = _INNERMOST.sub(lambda m: pick(_ALTERNATIVES.split(m.group(1))), text)
        if expanded == text:
            break
        text = expanded
    return _ESCAPED.sub(r"\1", text)
