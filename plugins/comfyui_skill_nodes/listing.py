"""The answers of ``nodes list`` and ``nodes search`` from a catalog index, and their text form.

Shared by the handlers (:mod:`.commands`) and the shortcut (:mod:`.quick`), which must print exactly
the same; so this module imports nothing heavier than the core's output records.
"""

from __future__ import annotations

from comfyui_skill import Result

from .matching import corrections, in_category, rank, score, words_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from comfyui_skill import Output

    Entry = dict[str, Any]


def listing(nodes: list[Entry], texts: list[Sequence[str]], *, category: str | None = None, search: str | None = None,
            pack: str | None = None, deprecated: bool = False, api_nodes: bool = False) -> Result:
    """The classes that pass every filter given, in index (name) order. ``texts``: each class's
    :func:`~.matching.search_texts`."""
    words = words_of(search or "")
    chosen = [n for n, t in zip(nodes, texts)
              if (not category or in_category(n, category))
              and (not pack or n["pack"].lower() == pack.lower())
              and (not deprecated or n["deprecated"])
              and (not api_nodes or n["api_node"])
              and (not words or score(t, words))]
    return Result(data=chosen, text=lambda out: render_list(out, chosen, len(nodes)))


def ranking(nodes: list[Entry], texts: list[Sequence[str]], text: str | Sequence[str], limit: int) -> Result:
    """The classes matching every word of ``text``, best first; at most ``limit`` (0: all). When none
    does, a fuzzy fallback: the classes matching the words with their typos corrected (each marked
    ``fuzzy``)."""
    words = words_of(text)
    ranked, fuzzy = rank(nodes, texts, words), None
    if not ranked:
        fuzzy, ranked = next(((guess, found) for guess in corrections(words, texts)
                              if (found := rank(nodes, texts, guess))), (None, []))
    total = len(ranked)
    if limit:
        ranked = ranked[:limit]
    found = [{**entry, "score": value, **({"fuzzy": True} if fuzzy else {})} for value, entry in ranked]

    def render(out: Output) -> None:
        if fuzzy:
            out.note(f"no node class matches {' '.join(words)!r}; fuzzy fallback, showing matches for "
                     f"{' '.join(fuzzy)!r}:")
        render_list(out, found, total, ranked=True)

    return Result(data=found, text=render)


def render_list(out: Output, nodes: Sequence[Entry], total: int, *, ranked: bool = False) -> None:
    if not nodes:
        out.line("no node classes match")
        return
    rows = [(n["name"], n["display_name"] if n["display_name"] not in (None, n["name"]) else "", n["category"], n["pack"])
            for n in nodes]
    out.table(rows, ("CLASS", "DISPLAY NAME", "CATEGORY", "PACK"))
    shown = f"{len(nodes)} of {total} matching" if ranked else f"{len(nodes)} of {total}"
    out.note(f"{shown} node classes")
