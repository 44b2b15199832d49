"""The servers a batch spreads over: ``--servers``, ``--pool``, the manifest's, or the selected one.

Each gets its own Context (so everything that works for one server - credentials, paid-node checks,
uploads - works unchanged) and an in-flight limit: the server's ``max_concurrent`` setting, else 1
on Comfy Cloud (the smallest account tier) and 2 on a local server (one running, one waiting).

A batch asks each server with the shorter ``batch_read_timeout`` (default 15 s) instead of
``read_timeout`` for everything but downloads: one thread does a batch's HTTP work, so a server that
accepts connections but never answers must be given up quickly (see :data:`BATCH_READ_TIMEOUT`).
"""

from __future__ import annotations

from typing import Any

from comfyui_skill import ComfyClient, ConfigError, Context, NotFoundError, ServerConfig, UsageError, one_off_server

from .. import settings

DEFAULT_LIMIT = {"cloud": 1}
LOCAL_LIMIT = 2
#: Seconds a batch waits for an answer to a status check, a submission, an upload or a cancel (the
#: server setting ``batch_read_timeout``). The transport tries a silent GET 4 times, and a request
#: that timed out drains the server, so a hung server is given up after about 4 x this + 4 s.
BATCH_READ_TIMEOUT: float = settings.BATCH_READ_TIMEOUT.default


class ServerContext(Context):
    """The command's context, aimed at one server of the batch: its client waits
    ``batch_read_timeout`` for answers; :attr:`downloads` keeps the server's ``read_timeout``."""

    def __init__(self, parent: Context, server: ServerConfig) -> None:
        super().__init__(config=parent.config, output=parent.output, plugins=parent.plugins,
                         command=parent.command, args=parent.args, stdin=parent.stdin, environ=parent.environ)
        self._configured = server
        self._batch_server = ServerConfig(server.name, server.url, server.kind,
                                          {**server.options, "read_timeout": read_timeout(server)},
                                          server.secret_keys, server.one_off)
        self._downloads: ComfyClient | None = None

    @property
    def server(self) -> ServerConfig:
        return self._batch_server

    @property
    def downloads(self) -> ComfyClient:
        """A client of the server as configured (its ``read_timeout``), for output files."""
        if self._downloads is None:
            self._downloads = self.backend(self._configured).make_client()
        return self._downloads

    def close(self) -> None:
        super().close()
        if self._downloads is not None:
            self._downloads.close()
            self._downloads = None


def selected(ctx: Context, servers: str | None, pool: str | None,
             recorded: list[dict[str, Any]] | None) -> list[ServerContext]:
    """One context per server of the batch, in the order given."""
    if servers and pool:
        raise UsageError("give --servers or --pool, not both")
    if pool:
        entries = ctx.config.get(f"pools.{pool}.servers")
        if entries is None:
            known = ", ".join(sorted(ctx.config.get("pools") or {})) or "none"
            raise NotFoundError(f"no pool {pool!r} in {ctx.config.path} (pools: {known})",
                                hint=f"add one: [pools.{pool}] servers = [\"a\", \"b\"]")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"pools.{pool}.servers must be a list of server names or URLs")
    elif servers:
        entries = [entry.strip() for entry in servers.split(",") if entry.strip()]
        if not entries:
            raise UsageError(f"--servers names no server: {servers!r}", hint="e.g. --servers gpu1,gpu2")
    elif recorded:
        if not isinstance(recorded, list) or not all(isinstance(entry, dict) for entry in recorded):
            raise UsageError("the manifest's servers are not a list of server records",
                             hint="name the servers with --servers or --pool")
        return [ServerContext(ctx, _recorded(ctx, entry)) for entry in recorded]
    else:
        return [ServerContext(ctx, ctx.server)]
    configs = [_server(ctx, str(entry)) for entry in entries]
    names = [config.name for config in configs]
    if len(set(names)) != len(names):
        raise UsageError("a server is named twice: " + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    return [ServerContext(ctx, config) for config in configs]


def _server(ctx: Context, entry: str) -> ServerConfig:
    """A configured server by name, else (a ``:``, which no server name holds) one given by URL:
    ``host:port`` as well as ``http://host:port``, as with ``--url``."""
    if ":" not in entry:
        return ctx.get_server(entry)
    return ctx.server_by_url(entry)


def _recorded(ctx: Context, entry: dict[str, Any]) -> ServerConfig:
    """A server as a manifest names it: configured by name, or given by URL (under the same name)."""
    name = str(entry.get("name"))
    if entry.get("one_off"):
        return one_off_server(str(entry.get("url")), entry.get("kind"), name=name)
    return ctx.get_server(name)


def limit(server: ServerConfig) -> int:
    """How many prompts of the batch may be on ``server`` at once."""
    given = settings.MAX_CONCURRENT.value_of(server)
    return DEFAULT_LIMIT.get(server.kind, LOCAL_LIMIT) if given is None else given


def read_timeout(server: ServerConfig) -> float:
    """The server's ``batch_read_timeout`` in seconds (default :data:`BATCH_READ_TIMEOUT`)."""
    return float(settings.BATCH_READ_TIMEOUT.value_of(server))
