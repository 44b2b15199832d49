"""The context a command handler receives: config, output, the selected server and its client."""

from __future__ import annotations

import argparse
import os
import sys

from .config import CORE_SERVER_SETTINGS, one_off_server
from .errors import CliError, ConfigError, UsageError
from .extension import resolve
from .output import is_terminal
from .wording import did_you_mean

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Any

    from .backend import Backend
    from .client import ComfyClient
    from .config import Config, ServerConfig
    from .events import Event
    from .extension import ServerKind
    from .output import Output
    from .plugins import PluginHost


class Context:
    """Everything a handler needs, built lazily so a command only pays for what it uses."""

    def __init__(self, *, config: Config, output: Output, plugins: PluginHost, command: str = "",
                 args: argparse.Namespace | None = None, stdin: IO[str] | None = None,
                 environ: dict[str, str] | None = None) -> None:
        self.config = config
        self.output = output
        self.plugins = plugins
        self.command = command
        self.args = args or argparse.Namespace()
        self.stdin = stdin or sys.stdin
        self.environ = dict(os.environ) if environ is None else environ
        self._server: ServerConfig | None = None
        self._bound = False  # aimed at a server by for_server()
        #: the folders files may be read from and written to (None: anywhere, as on the command line)
        self.roots: tuple[Path, ...] | None = None
        self._client: ComfyClient | None = None
        self._clients: dict[str, ComfyClient] = {}
        self._selection_used = False
        #: the shortcut the handler offered: ``(function reference, state)`` (see :meth:`offer_shortcut`)
        self.shortcut: tuple[str, Any] | None = None

    # ----------------------------------------------------------------- servers
    @property
    def server_name(self) -> str | None:
        """The ``--server`` the user asked for (None: the default)."""
        return getattr(self.args, "server", None)

    @property
    def server_chosen(self) -> bool:
        """Whether the server was asked for (``--server``, ``--url``, :meth:`for_server`), not the default."""
        return bool(self.server_name or getattr(self.args, "url", None) or self._bound)

    def for_server(self, server: str | None, *, output: Output | None = None) -> Context:
        """A context like this one (the same command line) aimed at ``server``: a configured name, a
        URL, ``http://`` unless it has a scheme (a one-off server of kind local), or None for this context's own choice (``--server``,
        ``--url``, else the default); with its own clients, and ``output`` if given."""
        bound = Context(config=self.config, output=output or self.output, plugins=self.plugins, command=self.command,
                        args=self.args, stdin=self.stdin, environ=self.environ)
        bound.roots = self.roots
        if server:
            bound._server = one_off_server(server) if ":" in server else self.get_server(server)  # no name has ':'
            bound._bound = True
        else:
            self._selection_used = True  # the bound context uses this one's -s/--url/--kind
        return bound

    @property
    def server(self) -> ServerConfig:
        """The selected server: ``--url``, else ``--server``/``$COMFYUI_SKILL_SERVER``, else the default."""
        if self._server is None:
            url = getattr(self.args, "url", None)
            kind = getattr(self.args, "kind", None)
            if url:
                self._server = self.server_by_url(url)
            elif kind:
                raise UsageError(f"--kind {kind} applies only to a server given by its URL (--url)",
                                 hint="a configured server's kind is set when it is added "
                                      "('comfyui-skill server add NAME URL --kind KIND')")
            else:
                self._server = self.get_server(self.server_name)
            self._selection_used = True
        return self._server

    def server_by_url(self, url: str) -> ServerConfig:
        """A one-off server at ``url`` (named by it), of the ``--kind`` given (default: local)."""
        self._selection_used = True
        return one_off_server(url, getattr(self.args, "kind", None))

    def unused_server_options(self) -> list[str]:
        """The server-selecting options given (-s, --url, --kind) if the command used none of them."""
        if self._selection_used:
            return []
        return [option for option, dest in (("-s/--server", "server"), ("--url", "url"), ("--kind", "kind"))
                if getattr(self.args, dest, None)]

    def confine(self, path: Path, purpose: str) -> Path:
        """``path``, resolved; a UsageError when :attr:`roots` are set and it is outside all of them
        (``purpose`` says what was wanted: read, write, upload)."""
        resolved = path.expanduser().resolve()
        if self.roots is not None and not any(resolved.is_relative_to(root) for root in self.roots):
            raise UsageError(f"refusing to {purpose} {resolved}: it is outside the allowed folders "
                             f"({', '.join(map(str, self.roots)) or 'none'})",
                             hint="use a path inside them, or start the server with --root DIR")
        return resolved

    def get_server(self, name: str | None) -> ServerConfig:
        keys = frozenset(p.item.key for p in self.plugins.settings() if p.item.scope == "server")
        return self.config.server(name, environ=self.environ, secret_keys=self.secret_keys(), keys=keys)

    def secret_keys(self) -> frozenset[str]:
        return frozenset(p.item.key for p in self.plugins.settings() if p.item.secret and p.item.scope == "server")

    def server_kind(self, name: str) -> ServerKind:
        kinds = self.plugins.server_kinds()
        if name not in kinds:
            known = ", ".join(sorted(kinds)) or "none (is the 'local' plugin disabled?)"
            raise ConfigError(f"unknown server kind {name!r} (known kinds: {known})",
                              hint=did_you_mean(name, kinds)
                              or "install the plugin that provides it, or fix the server's 'kind'")
        return kinds[name].item

    def backend(self, server: ServerConfig | None = None) -> Backend:
        server = server or self.server
        factory = resolve(self.server_kind(server.kind).factory)
        backend = factory(server)
        if CORE_SERVER_SETTINGS["insecure"].value_of(server):
            self.output.warn(f"TLS certificate checks are OFF for server {server.name!r} (insecure = true); "
                             "anyone on the network path can read and change this traffic")
        return backend

    @property
    def client(self) -> ComfyClient:
        """The client of the selected server."""
        if self._client is None:
            self._client = self.client_for(self.server)
        return self._client

    def client_for(self, server: ServerConfig) -> ComfyClient:
        """A client for any configured server (cached per name for this command)."""
        if server.name not in self._clients:
            client = self._clients[server.name] = self.backend(server).make_client()
            client.http.on_wait = self.output.note  # a pause the server asked for is said, not silent
        return self._clients[server.name]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._client = None

    # ----------------------------------------------------------------- interaction
    def emit(self, event: Event) -> None:
        """Report an execution event: to observer plugins, and as an NDJSON line in ndjson mode."""
        self.plugins.call_observers("comfyui_skill_event", ctx=self, event=event)
        self.output.event(event.to_json())

    def confirm(self, question: str, *, assume_yes: bool = False) -> None:
        """Ask a yes/no question on a terminal and return only on "yes".

        Anything else raises an ``interrupted`` CliError (exit 130: nothing was changed), so no
        caller can forget to honour a "no". Without a terminal ``--yes`` is required: never block.
        """
        if assume_yes:
            return
        if not (is_terminal(self.stdin) and is_terminal(self.output.stderr)) or self.output.mode != "text":
            raise UsageError(f"{question} Refusing to ask: not an interactive terminal",
                             hint="add --yes to confirm")
        self.output.stderr.write(f"{question} [y/N] ")
        self.output.stderr.flush()
        if self.stdin.readline().strip().lower() not in ("y", "yes"):
            raise CliError("not confirmed; nothing was changed", code="interrupted")

    def read_secret(self, what: str) -> str:
        """Read a secret from stdin (never from argv, where ``ps`` and shell history see it)."""
        if is_terminal(self.stdin):
            import getpass

            value = getpass.getpass(f"{what}: ")
        else:
            value = self.stdin.readline()
        value = value.strip()
        if not value:
            raise UsageError(f"no {what} given on standard input")
        return value

    def hint_for(self, error: BaseException) -> str | None:
        return self.plugins.first_result("comfyui_skill_error_hint", ctx=self, error=error)

    def offer_shortcut(self, function: str, state: Any) -> None:
        """Offer a faster way to answer this same command the next time (see :mod:`comfyui_skill.shortcuts`).

        ``function`` (``"package.module:function"``) receives a :class:`~comfyui_skill.Shortcut`
        and returns a :class:`~comfyui_skill.Result`, or None to give way to this handler. Its
        module must load fast (no argparse, no HTTP stack). ``state`` is what it needs to find the
        answer: plain values (dicts, lists, strings, numbers), no secrets, since it is stored in the
        cache folder. The shortcut is kept only if the command succeeds without a warning, and only
        until the config, the ``COMFYUI_SKILL_*`` environment, the installed packages or the
        plugin's files change: a shortcut must not depend on anything else.
        """
        import marshal

        marshal.dumps(state)  # raises ValueError now, in the plugin's handler, for what cannot be stored
        self.shortcut = (function, state)

    def setting(self, key: str, default: Any = None) -> Any:
        """A global setting: its environment variable, else the config file, else ``default``. A
        declared setting's value is checked as ``config set`` checks it (a ConfigError if invalid)."""
        declared = next((p.item for p in self.plugins.settings() if p.item.scope == "global" and p.item.key == key),
                        None)
        if declared is not None and declared.env and declared.env in self.environ:
            raw, source, fix = self.environ[declared.env], f"${declared.env}", f"fix or unset ${declared.env}"
        else:
            raw, source, fix = self.config.get(key), str(self.config.path), f"'comfyui-skill config set {key} VALUE'"
        if raw is None:
            return default
        if declared is None:
            return raw
        try:
            return declared.coerce(raw)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}", hint=fix) from None

