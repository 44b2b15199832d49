"""The small frozen records plugins hand to the core through hooks.

Hooks return these instead of touching argparse, the config file or the transport directly, so the
core can list them (``plugins list``, ``describe``, man page), detect name clashes with provenance and
keep one plugin's failure from breaking the others.
"""

from __future__ import annotations

import sys

from .records import FrozenRecord

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any, Union

    from .backend import Backend
    from .config import ServerConfig

    #: A callable, or a ``"package.module:function"`` string imported only when it is needed, so
    #: that ``--help`` and listing never import a plugin's command code.
    Handler = Union[Callable[..., Any], str]

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyz")
_NAME_CHARS = _NAME_START | frozenset("0123456789-")


def valid_name(name: str) -> bool:
    """A command, alias or server-kind name: a lowercase letter, then lowercase letters, digits, '-'."""
    return isinstance(name, str) and name[:1] in _NAME_START and _NAME_CHARS.issuperset(name)


def resolve(ref: Handler) -> Callable[..., Any]:
    """Turn a ``"module:attribute"`` reference into the object it names (callables pass through)."""
    if callable(ref):
        return ref
    module_name, sep, attribute = ref.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"handler reference {ref!r} is not of the form 'package.module:function'")
    __import__(module_name)  # what importlib.import_module does for an absolute name, without importing importlib
    target: Any = sys.modules[module_name]
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


class Command(FrozenRecord):
    """A top-level command group contributed by a plugin.

    ``configure(parser)`` adds the group's options and nested subcommands with plain argparse; it
    is only called for the command the user invoked (and for ``describe``/man pages), so keep it
    cheap. Each runnable (sub)parser names its handler with ``parser.set_defaults(handler=...)``; a
    group without subcommands may give ``run`` instead. Handlers are called as
    ``handler(ctx, args)`` and return a :class:`~comfyui_skill.output.Result`, plain JSON-able
    data, or ``None``.
    """

    __slots__ = _fields = ("name", "help", "configure", "run", "description", "aliases")
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None] | None
    run: Handler | None
    description: str | None
    aliases: tuple[str, ...]

    def __init__(self, name: str, help: str, configure: Callable[[argparse.ArgumentParser], None] | None = None,
                 run: Handler | None = None, description: str | None = None, aliases: tuple[str, ...] = ()) -> None:
        self._set(name, help, configure, run, description, aliases)


class ServerKind(FrozenRecord):
    """A kind of server (``local``, ``cloud``, ...): turns a configured server into a backend.

    ``factory(server)`` returns a :class:`~comfyui_skill.backend.Backend` (it may be given as a
    ``"module:Class"`` string). ``default_url`` is used by ``server add NAME --kind KIND`` when no
    URL is given.
    """

    __slots__ = _fields = ("name", "description", "factory", "default_url")
    name: str
    description: str
    factory: Callable[[ServerConfig], Backend] | str
    default_url: str | None

    def __init__(self, name: str, description: str, factory: Callable[[ServerConfig], Backend] | str,
                 default_url: str | None = None) -> None:
        self._set(name, description, factory, default_url)


class Setting(FrozenRecord):
    """A configuration key a plugin understands.

    ``scope="global"`` keys live at ``key`` in the config file (dotted: ``run.output_dir``);
    ``scope="server"`` keys live in each ``[servers.NAME]`` table. ``env`` names an environment
    variable that overrides the file (for server keys the core also reads
    ``COMFYUI_SKILL_SERVER_<NAME>_<KEY>``). ``secret`` values are masked in every listing and make
    the config file private (0600) when written.

    ``check`` declares what a valid value is beyond its type and ``choices``: a function of the
    value (already of ``type``) that returns None when the value is valid, else a phrase saying what
    a valid one is, e.g. ``"must be at least 0"`` (``Setting.at_least(0)`` and ``Setting.above(0)``
    make such range checks). :meth:`coerce` applies it, so ``config set`` refuses what the code
    reading the setting would refuse, and :meth:`value_of` reads a server's setting with it.
    """

    __slots__ = _fields = ("key", "type", "default", "help", "env", "secret", "scope", "choices", "check")
    key: str
    type: type
    default: Any
    help: str
    env: str | None
    secret: bool
    scope: str
    choices: tuple[Any, ...]
    check: Callable[[Any], str | None] | None

    def __init__(self, key: str, type: type = str, default: Any = None, help: str = "",  # noqa: A002
                 env: str | None = None, secret: bool = False, scope: str = "global",
                 choices: tuple[Any, ...] = (), check: Callable[[Any], str | None] | None = None) -> None:
        self._set(key, type, default, help, env, secret, scope, choices, check)

    @staticmethod
    def at_least(bound: float) -> Callable[[Any], str | None]:
        """A ``check`` accepting numbers from ``bound`` up."""
        return lambda value: None if value >= bound else f"must be at least {bound:g}"

    @staticmethod
    def above(bound: float) -> Callable[[Any], str | None]:
        """A ``check`` accepting numbers greater than ``bound``."""
        return lambda value: None if value > bound else f"must be greater than {bound:g}"

    def coerce(self, raw: Any) -> Any:
        """Convert a command-line or environment string to this setting's type, or raise ValueError."""
        if self.type is bool and isinstance(raw, str):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                value: Any = True
            elif lowered in ("0", "false", "no", "off"):
                value = False
            else:
                raise ValueError(f"{self.key} takes true or false, not {raw!r}")
        elif self.type in (list, dict) and isinstance(raw, str):
            import json

            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{self.key} takes a JSON {self.type.__name__}: {exc.msg}") from None
            if not isinstance(value, self.type):
                raise ValueError(f"{self.key} takes a JSON {self.type.__name__}")
        elif self.type in (int, float) and isinstance(raw, str):
            try:
                value = self.type(raw)
            except ValueError:
                raise ValueError(f"{self.key} takes a number, not {raw!r}") from None
        else:
            value = raw
        if (not isinstance(value, self.type) and not (self.type is float and isinstance(value, int))) or (
                isinstance(value, bool) and self.type is not bool):
            raise ValueError(f"{self.key} takes a {self.type.__name__}, not {type(value).__name__}")
        shown = "" if self.secret else f", not {value!r}"  # a secret never appears in a message
        if isinstance(value, float) and value - value != 0:  # NaN or infinite
            raise ValueError(f"{self.key} takes a finite number{shown}")
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.key} must be one of {', '.join(map(str, self.choices))}")
        reason = self.check(value) if self.check is not None else None
        if reason:
            raise ValueError(f"{self.key} {reason}{shown}")
        return value

    def value_of(self, server: ServerConfig) -> Any:
        """This server-scope setting's value for ``server`` (its default when unset), checked as
        :meth:`coerce` checks it; a ConfigError naming ``servers.NAME.KEY`` when it is invalid."""
        raw = server.options.get(self.key)
        if raw is None:
            return self.default
        try:
            return self.coerce(raw)
        except ValueError as exc:
            from .errors import ConfigError

            raise ConfigError(f"servers.{server.name}.{exc}", hint=f"fix it with 'comfyui-skill config set "
                              f"servers.{server.name}.{self.key} VALUE' (or unset it)") from None


#: What an MCP tool name may hold (the Model Context Protocol's rule: 1 to 64 of these characters).
_TOOL_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def valid_tool_name(name: str) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 64 and _TOOL_NAME_CHARS.issuperset(name)


class McpTool(FrozenRecord):
    """A tool ``comfyui-skill mcp serve`` offers to AI agents (see docs/mcp.md).

    ``description`` is written for a model: what the tool does and when to use it. ``input_schema``
    is the JSON Schema (an object schema) of its arguments. ``handler(ctx, arguments)`` (or a
    ``"module:function"`` string, imported on the first call) receives a
    :class:`~comfyui_skill.Context` aimed at the server the call chose and the arguments as a dict,
    and returns a :class:`~comfyui_skill.Result` or JSON-able data, like a command handler; a
    ``CliError`` becomes a tool error with its code, message and hint. It runs on a worker thread.
    Paths it reads or writes go through ``ctx.confine(path, purpose)``. ``read_only``: it changes
    nothing (on the server or on disk).
    """

    __slots__ = _fields = ("name", "description", "input_schema", "handler", "read_only")
    name: str
    description: str
    input_schema: dict[str, Any]
    handler: Handler
    read_only: bool

    def __init__(self, name: str, description: str, input_schema: dict[str, Any], handler: Handler,
                 read_only: bool = False) -> None:
        self._set(name, description, input_schema, handler, read_only)

    def function(self) -> Callable[..., Any]:
        """The handler itself (a ``"module:function"`` reference is imported now)."""
        return resolve(self.handler)
