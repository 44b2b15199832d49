"""Small pieces of English shared by every message: counted nouns and "did you mean" suggestions."""

from __future__ import annotations

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from collections.abc import Iterable


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` with ``noun`` in the right number: ``plural(1, "node")`` is "1 node", 2 gives "2 nodes".

    ``plural_form`` is for nouns that do not just take an "s" ("class" -> "classes").
    """
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def close_matches(typed: str, candidates: Iterable[str], *, limit: int = 3, cutoff: float = 0.6) -> list[str]:
    """The candidates close to what was typed, best first: an exact match ignoring case first, then
    those that start with it or contain it (the user typed a part), then similar spellings (typos).
    """
    import difflib  # only loaded when a name was not found

    names = list(dict.fromkeys(str(c) for c in candidates))
    lowered = typed.lower()
    by_lower: dict[str, str] = {}
    for name in names:
        by_lower.setdefault(name.lower(), name)
    found = [by_lower[lowered]] if lowered in by_lower and by_lower[lowered] != typed else []
    if len(lowered) >= 3:
        found += [n for n in names if n.lower().startswith(lowered) and n != typed]
        found += [n for n in names if lowered in n.lower() and n != typed]
    found += [by_lower[m] for m in difflib.get_close_matches(lowered, list(by_lower), n=limit, cutoff=cutoff)]
    return [name for name in dict.fromkeys(found) if name != typed][:limit]


def did_you_mean(typed: str, candidates: Iterable[str], *, limit: int = 3, quote: str = "'",
                 prefix: str = "") -> str | None:
    """A hint such as ``did you mean 'checkpoints'?`` (or "one of 'a', 'b'?"), or None when nothing is close.

    ``prefix`` is written before each suggestion but not compared: ``did_you_mean("promt", names,
    prefix="--")`` gives ``did you mean '--prompt'?``.
    """
    matches = close_matches(typed, candidates, limit=limit)
    if not matches:
        return None
    listed = ", ".join(f"{quote}{prefix}{m}{quote}" for m in matches)
    return f"did you mean {listed}?" if len(matches) == 1 else f"did you mean one of {listed}?"
