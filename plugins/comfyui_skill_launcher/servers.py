"""Making a launched ComfyUI the configured server, through the config file like ``server add``."""

from __future__ import annotations

from comfyui_skill import Config, UsageError, make_server


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def on_this_machine(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "") in LOOPBACK
    except ValueError:
        return False


def check_free(config: Config, name: str, url: str) -> None:
    """Refuse, before anything starts, to repoint a server the user configured on another machine.

    A server ``name`` on this machine (a loopback URL, such as the default ``local`` at
    http://127.0.0.1:8188) is the local ComfyUI, and follows the port it was launched on; one
    elsewhere is the user's, and stays.
    """
    table = config.get(f"servers.{name}")
    if table is None:
        return
    configured = str(table.get("url") or "").rstrip("/")
    if configured != url and not on_this_machine(configured):
        raise UsageError(f"server {name!r} is already configured at {configured}; launching would repoint it",
                         hint=f"give this one another name (--name), or remove that server first: "
                              f"'comfyui-skill server remove {name}'")


def configure(config: Config, name: str, url: str, *, make_default: bool, environ: dict[str, str]) -> list[str]:
    """Point server ``name`` at ``url`` (kind local) and, with ``make_default``, make it the default;
    return what changed, in words."""
    changes = []
    table = config.get(f"servers.{name}")
    if table is None:
        entry = {"url": url, "kind": "local"}
        make_server(name, entry)  # validates the URL before anything is written
        config.set_value(f"servers.{name}", entry)
        changes.append(f"added server {name!r} at {url}")
    elif str(table.get("url") or "").rstrip("/") != url:
        make_server(name, {**table, "url": url})
        config.set_value(f"servers.{name}.url", url)
        changes.append(f"server {name!r} now points at {url} (was {table.get('url')})")
    if make_default and config.default_server_name(environ) != name:
        config.set_value("default_server", name)
        changes.append(f"default server is now {name!r}")
        if environ.get("COMFYUI_SKILL_SERVER", name) != name:
            changes.append(f"(COMFYUI_SKILL_SERVER={environ['COMFYUI_SKILL_SERVER']} still takes precedence here)")
    return changes
