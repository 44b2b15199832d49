"""Filtering and ranking catalog entries for ``nodes list`` and ``nodes search``."""

from __future__ import annotations

TYPE_CHECKING = False  # the shortcut of 'nodes list' loads this module: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    Entry = dict[str, Any]

#: how much a word found in each field counts (a word counts its best field only), highest first
WEIGHTS = (("name", 40), ("display_name", 30), ("search_aliases", 25), ("category", 15), ("description", 5))
WEIGHT_VALUES = tuple(weight for _, weight in WEIGHTS)
EXACT_NAME, NAME_PREFIX, WHOLE_NAME = 100, 20, 50  # WHOLE_NAME: all words together spell the name


def words_of(text: str | Sequence[str]) -> list[str]:
    joined = text if isinstance(text, str) else " ".join(text)
    return [w for w in joined.lower().split() if w]


def search_texts(entry: Entry) -> tuple[str, ...]:
    """What a search looks in, lowercased, in the order of :data:`WEIGHTS` (the class name first).
    The index stores them, so a search from the cache lowercases nothing."""
    return tuple(_text(entry.get(field)) for field, _ in WEIGHTS)


def score(texts: Sequence[str], words: Sequence[str]) -> int:
    """0 when some word matches nowhere in ``texts`` (:func:`search_texts`); else higher for better matches."""
    total = 0
    name = texts[0]
    for word in words:
        for text, best in zip(texts, WEIGHT_VALUES):  # the weights fall: the first field found is the best
            if word in text:
                break
        else:
            return 0
        if word == name:
            best = EXACT_NAME
        elif name.startswith(word):
            best += NAME_PREFIX
        total += best
    if len(words) > 1 and "".join(words) == name:
        total += WHOLE_NAME
    return total


def rank(entries: Iterable[Entry], texts: Iterable[Sequence[str]], words: Sequence[str]) -> list[tuple[int, Entry]]:
    """The entries matching every word, best first (then shorter names, then by name)."""
    scored = [(score(t, words), e) for e, t in zip(entries, texts)]
    return sorted(((s, e) for s, e in scored if s), key=lambda pair: (-pair[0], len(pair[1]["name"]), pair[1]["name"].lower()))


def in_category(entry: Entry, category: str) -> bool:
    own = (entry.get("category") or "").lower().strip("/")
    wanted = category.lower().strip("/")
    return own == wanted or own.startswith(wanted + "/")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value).lower()
    return str(value or "").lower()
