"""Filtering and ranking catalog entries for ``nodes list`` and ``nodes search``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Entry = dict[str, Any]

#: how much a word found in each field counts (a word counts its best field only)
WEIGHTS = (("name", 40), ("display_name", 30), ("search_aliases", 25), ("category", 15), ("description", 5))
EXACT_NAME, NAME_PREFIX, WHOLE_NAME = 100, 20, 50  # WHOLE_NAME: all words together spell the name


def words_of(text: str | Sequence[str]) -> list[str]:
    joined = text if isinstance(text, str) else " ".join(text)
    return [w for w in joined.lower().split() if w]


def score(entry: Entry, words: Sequence[str]) -> int:
    """0 when some word matches nowhere; otherwise higher for better matches."""
    total = 0
    name = entry["name"].lower()
    for word in words:
        best = max((weight for field, weight in WEIGHTS if word in _text(entry.get(field))), default=0)
        if not best:
            return 0
        if word == name:
            best = EXACT_NAME
        elif name.startswith(word):
            best += NAME_PREFIX
        total += best
    if len(words) > 1 and "".join(words) == name:
        total += WHOLE_NAME
    return total


def rank(entries: Iterable[Entry], words: Sequence[str]) -> list[tuple[int, Entry]]:
    scored = [(score(e, words), e) for e in entries]
    return sorted(((s, e) for s, e in scored if s), key=lambda pair: (-pair[0], len(pair[1]["name"]), pair[1]["name"].lower()))


def in_category(entry: Entry, category: str) -> bool:
    own = (entry.get("category") or "").lower().strip("/")
    wanted = category.lower().strip("/")
    return own == wanted or own.startswith(wanted + "/")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value).lower()
    return str(value or "").lower()
