"""What makes a configuration unusable: the checks every write of the config file passes first.

:func:`problems` lists what is wrong with a parsed config file, one phrase each, naming the key and
what a valid value is. :meth:`~comfyui_skill.Config.edit` refuses a write that would add a problem,
so no command (``server add``, ``config set``, ``cloud login``, ``plugins disable``, ...) can leave a
file that the next command cannot read. The checks are the ones the readers apply: each setting's
type, ``choices`` and ``check`` (see :class:`~comfyui_skill.Setting`), a server's name, URL and kind,
and ``default_server`` naming a configured server.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .config import DEFAULT_SERVER_NAME, SERVER_NAME_RULE, default_server_problem, server_name_problem, url_problem
from .extension import Setting


def problems(data: Mapping[str, Any], settings: Iterable[Setting],
             kinds: Mapping[str, Collection[str]] | None) -> list[str]:
    """Everything wrong with ``data`` (a parsed config file). ``kinds``: the known server kinds, each
    with the names its plugin can be disabled by (None: kinds are not checked); a kind whose plugin
    ``data`` disables is unknown to the next command."""
    settings = list(settings)
    found: list[str] = []
    disabled = _dotted(data, "plugins.disabled")
    disabled = {str(name) for name in disabled} if isinstance(disabled, list) else set()
    gone = {kind: sorted(set(names) & disabled)[0] for kind, names in (kinds or {}).items() if set(names) & disabled}
    servers = data.get("servers")
    if servers is not None:
        if not isinstance(servers, Mapping) or not all(isinstance(t, Mapping) for t in servers.values()):
            return ["[servers] must hold one table per server, e.g. [servers.local] url = \"http://127.0.0.1:8188\""]
        if not servers:
            found.append("no server is left in [servers] (add another before removing the last one)")
        server_settings = [s for s in settings if s.scope == "server"]
        for name, table in servers.items():
            found.extend(_server_problems(str(name), table, server_settings, kinds, gone))
    default = data.get("default_server")
    if default is not None:
        tables = servers if isinstance(servers, Mapping) else {DEFAULT_SERVER_NAME: {}}
        found.extend(p for p in [default_server_problem(default, tables)] if p)
    for setting in settings:
        if setting.scope == "global" and setting.key != "default_server":
            value = _dotted(data, setting.key)
            if value is not None:
                found.extend(_value_problem(setting, value, ""))
    return found


def _server_problems(name: str, table: Mapping[str, Any], settings: list[Setting],
                     kinds: Mapping[str, Collection[str]] | None, gone: Mapping[str, str]) -> list[str]:
    found = []
    naming = server_name_problem(name)
    if naming:
        found.append(f"{naming}; it may hold {SERVER_NAME_RULE}")
    url = url_problem(table.get("url"))
    if url:
        found.append(f"servers.{name}.url {url}")
    for setting in settings:
        if setting.key != "url" and table.get(setting.key) is not None:
            found.extend(_value_problem(setting, table[setting.key], f"servers.{name}."))
    kind = table.get("kind") or "local"
    if kind in gone:
        found.append(f"server {name!r} is of kind {kind!r}, which only plugin {gone[kind]!r} provides: remove the "
                     "server (or change its kind) before disabling the plugin")
    elif kinds is not None and kind not in kinds:
        found.append(f"servers.{name}.kind {kind!r} is not a known server kind (known: {', '.join(sorted(kinds))})")
    return found


def _value_problem(setting: Setting, value: Any, prefix: str) -> list[str]:
    try:
        setting.coerce(value)
    except ValueError as exc:
        return [f"{prefix}{exc}"]
    return []


def _dotted(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node
