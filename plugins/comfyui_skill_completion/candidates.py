"""What may come next on a command line: walks the argparse tree, reads local files only."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from comfyui_skill import Context, cache_dir, data_dir

Source = Callable[[], list[str]]


def complete(parser: argparse.ArgumentParser, words: Sequence[str], ctx: Context) -> list[str]:
    """Candidates for the last of ``words`` (the word being typed, maybe empty)."""
    *done, current = list(words) or [""]
    node, position, pending = parser, 0, None
    for word in done:
        if pending is not None:
            pending = None
        elif word.startswith("-") and len(word) > 1:
            action = node._option_string_actions.get(word.split("=", 1)[0])  # noqa: SLF001
            if action is not None and action.nargs != 0 and "=" not in word:
                pending = action
        elif (child := subcommands(node).get(word)) is not None:
            node, position = child, 0
        else:
            position += 1
    if pending is not None:
        values = values_for(pending, node, ctx)
    elif current.startswith("-"):
        values = [option for action in node._actions if action.help != argparse.SUPPRESS  # noqa: SLF001
                  for option in action.option_strings]
    elif subcommands(node):
        values = list(subcommands(node))
    else:
        positionals = [a for a in node._actions if not a.option_strings and a.help != argparse.SUPPRESS]  # noqa: SLF001
        action = positionals[min(position, len(positionals) - 1)] if positionals else None
        values = values_for(action, node, ctx) if action is not None else []
    return sorted({value for value in values if value.startswith(current)})


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def values_for(action: argparse.Action, parser: argparse.ArgumentParser, ctx: Context) -> list[str]:
    """Choices, or names from the config, the data dir or the caches; [] lets the shell complete files."""
    if action.choices is not None and not isinstance(action.choices, dict):
        return [str(choice) for choice in action.choices]
    path = parser.prog.split()[1:]
    if action.dest == "server" or (path[:1] == ["server"] and path[1:2] != ["add"] and action.metavar == "NAME"):
        return server_names(ctx)
    if action.metavar == "WORKFLOW":
        return workflow_names()
    if action.metavar == "CLASS" or action.dest.endswith("_class"):
        return node_classes()
    return []


def server_names(ctx: Context) -> list[str]:
    try:
        return list(ctx.config.server_tables())
    except Exception:  # noqa: BLE001 - a broken config must not break TAB; commands report it
        return []


def workflow_names() -> list[str]:
    """Stored workflows (``data_dir()/workflows/NAME.json``)."""
    folder = data_dir() / "workflows"
    return [path.stem for path in folder.glob("*.json")] if folder.is_dir() else []


def node_classes() -> list[str]:
    """Class names in every node catalog the ``nodes`` plugin cached (``cache_dir()/nodes/*.marshal``,
    a marshal dump with a list of ``nodes``), never the network."""
    import marshal

    names: set[str] = set()
    for path in (cache_dir() / "nodes").glob("*.marshal"):
        try:
            nodes = marshal.loads(path.read_bytes()).get("nodes") or []
        except (OSError, ValueError, EOFError, TypeError, AttributeError):
            continue
        names.update(str(node["name"]) for node in nodes if isinstance(node, dict) and "name" in node)
    return sorted(names)
