"""Filtering and ranking catalog entries for ``nodes list`` and ``nodes search``."""

from __future__ import annotations

TYPE_CHECKING = False  # the shortcut of 'nodes list' loads this module: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
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


def corrections(words: Sequence[str], texts: Iterable[Sequence[str]]) -> Iterator[list[str]]:
    """``words`` with each one found in no class replaced by close words of the classes' names,
    display names, aliases and categories (typos: ``upscle modle`` -> ``upscale model``), the
    likeliest first; nothing when a word has no close one, or none needed replacing."""
    import itertools
    import re  # only when a search found nothing

    from comfyui_skill import close_matches

    texts = list(texts)
    missing = [w for w in words if not any(w in text for t in texts for text in t)]
    if not missing:
        return
    vocabulary = {word for t in texts for text in t[:4] for word in re.split(r"[^a-z0-9]+", text) if len(word) > 2}
    options = [close_matches(w, vocabulary) if w in missing else [w] for w in words]
    yield from (list(choice) for choice in itertools.product(*options))


def in_category(entry: Entry, category: str) -> bool:
    own = (entry.get("category") or "").lower().strip("/")
    wanted = category.lower().strip("/")
    return own == wanted or own.startswith(wanted + "/")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value).lower()
    return str(value or "").lower()
