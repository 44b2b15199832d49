"""Finding, loading and calling plugins, each one isolated from the others.

Every command group and server kind, built-in or not, is a plugin registered under an entry point of
the group ``comfyui_skill``. The built-ins are the ones the ``comfyui-skill`` distribution declares.
A plugin that cannot be imported, registered or validated, or that raises inside a hook, is reported
on stderr once and marked ``failed``; the CLI keeps working. ``COMFYUI_SKILL_STRICT_PLUGINS=1``
turns those reports into errors, for plugin development.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

import pluggy

from . import hookspecs
from .errors import CliError
from .extension import Command, McpTool, ServerKind, Setting, valid_name, valid_tool_name
from .records import FrozenRecord, Record

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import IO, Any, TypeVar

    T = TypeVar("T")

ENTRY_POINT_GROUP = "comfyui_skill"
CORE_DISTRIBUTION = "comfyui-skill"
#: Built-ins that stay loaded even when blocked, so a user can always repair their setup.
ESSENTIAL = frozenset({"plugins", "config"})


class PluginRecord(Record):
    """What ``plugins list`` shows about one plugin. ``status``: active, blocked or failed."""

    _fields = ("name", "module", "distribution", "version", "builtin", "status", "error", "hooks")
    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    status: str
    error: str | None
    hooks: list[str]

    def __init__(self, name: str, module: str, distribution: str | None = None, version: str | None = None,
                 builtin: bool = False, status: str = "active", error: str | None = None,
                 hooks: list[str] | None = None) -> None:
        self._set(name, module, distribution, version, builtin, status, error, [] if hooks is None else hooks)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "module": self.module, "distribution": self.distribution,
            "version": self.version, "builtin": self.builtin, "status": self.status,
            "error": self.error, "hooks": self.hooks,
        }


class LoadPolicy(FrozenRecord):
    """Which plugins to load: from ``--no-plugins``, ``-p``, env vars and the config file."""

    __slots__ = _fields = ("builtins_only", "blocked", "extra_modules", "strict", "trace")
    builtins_only: bool
    blocked: frozenset[str]
    extra_modules: tuple[str, ...]
    strict: bool
    trace: bool

    def __init__(self, builtins_only: bool = False, blocked: frozenset[str] = frozenset(),
                 extra_modules: tuple[str, ...] = (), strict: bool = False, trace: bool = False) -> None:
        self._set(builtins_only, blocked, extra_modules, strict, trace)

    @classmethod
    def from_sources(cls, *, no_plugins: bool, plugin_options: Iterable[str],
                     config_disabled: Iterable[str], environ: dict[str, str] | None = None) -> LoadPolicy:
        env = os.environ if environ is None else environ
        blocked = {name.strip() for name in env.get("COMFYUI_SKILL_DISABLE_PLUGINS", "").split(",")}
        blocked.update(config_disabled)
        extra = []
        for option in plugin_options:
            if option.startswith("no:"):
                blocked.add(option[3:])
            else:
                extra.append(option)
        blocked.discard("")
        return cls(
            builtins_only=no_plugins,
            blocked=frozenset(blocked),
            extra_modules=tuple(extra),
            strict=env.get("COMFYUI_SKILL_STRICT_PLUGINS", "") not in ("", "0"),
            trace=env.get("COMFYUI_SKILL_TRACE_PLUGINS", "") not in ("", "0"),
        )


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, quicker to register a module: pluggy inspects every attribute of a plugin
    (statically, with :func:`inspect.getattr_static`), which for a module's imported classes,
    modules and constants is wasted start-up time; those can never be hook implementations. A
    module's plain function carries its own marker: it is read directly, as pluggy would read it."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, types.ModuleType):
            value = plugin.__dict__.get(name)
            if isinstance(value, types.FunctionType):
                opts = getattr(value, f"{self.project_name}_impl", None)
                return opts if isinstance(opts, dict) else None
            if isinstance(value, (type, types.ModuleType)) or not (
                    callable(value) or isinstance(value, (classmethod, staticmethod))):
                return None
        return super().parse_hookimpl_opts(plugin, name)


class Provided(FrozenRecord):
    """An item returned by a registry hook, tagged with the plugin that provided it."""

    __slots__ = _fields = ("plugin", "item")
    plugin: str
    item: Any

    def __init__(self, plugin: str, item: Any) -> None:
        self._set(plugin, item)


class PluginHost:
    """The plugin manager plus our own bookkeeping: records, registries, isolation."""

    def __init__(self, policy: LoadPolicy | None = None, *, stderr: IO[str] | None = None) -> None:
        self.policy = policy or LoadPolicy()
        self._stderr = stderr
        self.pm = PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._registries: dict[str, dict[str, Provided]] = {}

    # ----------------------------------------------------------------- loading
    def load(self, entry_points: Iterable[Any] | None = None) -> PluginHost:
        """Register every entry point of the group (built-ins first), then ``-p`` modules."""
        if entry_points is None:
            from .entrypoints import discover

            entry_points = discover(ENTRY_POINT_GROUP)
        for ep in sorted(entry_points, key=lambda ep: (not _is_builtin(ep), ep.name)):
            self._load_entry_point(ep)
        for module in self.policy.extra_modules:
            self.load_module(module, name=module)
        return self

    def load_module(self, module_name: str, *, name: str, distribution: str | None = None,
                    version: str | None = None, builtin: bool = False) -> None:
        record = PluginRecord(name=name, module=module_name, distribution=distribution,
                              version=version, builtin=builtin)
        if name in self.records:
            existing = self.records[name]
            self._warn(f"plugin name {name!r} of {_who(record)} is already used by {_who(existing)}; "
                       f"{_who(record)} is not loaded")
            return
        self.records[name] = record
        if self._is_blocked(record):
            record.status = "blocked"
            return
        try:
            module = importlib.import_module(module_name)
            self.pm.register(module, name=name)
            self.pm.check_pending()
        except Exception as exc:  # noqa: BLE001 - any plugin failure is isolated
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(record, exc, "failed to load")
            return
        record.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(module) or ())

    def _load_entry_point(self, ep: Any) -> None:
        dist = getattr(ep, "dist", None)
        self.load_module(
            ep.value.partition(":")[0], name=ep.name,
            distribution=getattr(dist, "name", None), version=getattr(dist, "version", None),
            builtin=_is_builtin(ep),
        )

    def _is_blocked(self, record: PluginRecord) -> bool:
        if record.builtin and record.name in ESSENTIAL:
            return False
        if self.policy.builtins_only and not record.builtin:
            return True
        return bool({record.name, record.distribution} & self.policy.blocked)

    # ----------------------------------------------------------------- calling
    def _call(self, hook_name: str, impl: Any, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """Call one implementation in isolation: (True, result), or (False, None) after reporting
        the failure and unregistering the plugin."""
        if self.policy.trace:
            self._trace(f"{hook_name} -> {impl.plugin_name}")
        try:
            return True, impl.function(**kwargs)
        except Exception as exc:  # noqa: BLE001 - one plugin's failure must not spread
            record = self.records.get(impl.plugin_name)
            if record is not None:
                self._fail(record, exc, f"raised in {hook_name}")
            if self.pm.get_plugin(impl.plugin_name) is not None:
                self.pm.unregister(name=impl.plugin_name)
            return False, None

    def collect(self, hook_name: str, **kwargs: Any) -> list[Provided]:
        """Call every implementation of a registry hook separately, tagging results by plugin."""
        results: list[Provided] = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            ok, returned = self._call(hook_name, impl, kwargs)
            if ok:
                try:
                    results.extend(Provided(impl.plugin_name, item) for item in returned or ())
                except TypeError:
                    self._warn(f"plugin {impl.plugin_name!r} returned a non-iterable from {hook_name}; ignored")
        return results

    def registry(self, hook_name: str, kind: type[T], what: str) -> dict[str, Provided]:
        """A name-keyed registry built from a hook. Clashes are reported, the first plugin keeps it."""
        if hook_name in self._registries:
            return self._registries[hook_name]
        registry: dict[str, Provided] = {}
        for provided in self.collect(hook_name):
            item = provided.item
            if not isinstance(item, kind):
                self._warn(f"plugin {provided.plugin!r} returned {type(item).__name__} from {hook_name}, "
                           f"expected {kind.__name__}; ignored")
                continue
            names = [item.name, *getattr(item, "aliases", ())]
            bad = [n for n in names if not valid_name(n)]
            if bad:
                self._warn(f"plugin {provided.plugin!r}: {what} name {bad[0]!r} is not valid "
                           "(lowercase letters, digits and '-'); ignored")
                continue
            clash = next((registry[n] for n in names if n in registry), None)
            if clash is not None:
                self._conflict(what, item.name, clash.plugin, provided.plugin)
                continue
            for name in names:
                registry[name] = provided
        self._registries[hook_name] = registry
        return registry

    def commands(self) -> dict[str, Provided]:
        return self.registry("comfyui_skill_commands", Command, "command")

    def server_kinds(self) -> dict[str, Provided]:
        return self.registry("comfyui_skill_server_kinds", ServerKind, "server kind")

    def kind_providers(self) -> dict[str, frozenset[str]]:
        """Each server kind, with the names (plugin, distribution) disabling its plugin would go by."""
        def names(plugin: str) -> frozenset[str]:
            record = self.records.get(plugin)
            return frozenset(name for name in (plugin, record and record.distribution) if name)

        return {kind: names(provided.plugin) for kind, provided in self.server_kinds().items()}

    def mcp_tools(self) -> dict[str, Provided]:
        """The MCP tools of every plugin, by name (an invalid or clashing one is reported and skipped)."""
        if "comfyui_skill_mcp_tools" not in self._registries:
            tools: dict[str, Provided] = {}
            for provided in self.collect("comfyui_skill_mcp_tools"):
                item = provided.item
                if not isinstance(item, McpTool) or not valid_tool_name(item.name):
                    self._warn(f"plugin {provided.plugin!r} returned an invalid MCP tool from comfyui_skill_mcp_tools "
                               f"({getattr(item, 'name', type(item).__name__)!r}); ignored")
                elif item.name in tools:
                    self._conflict("MCP tool", item.name, tools[item.name].plugin, provided.plugin)
                else:
                    tools[item.name] = provided
            self._registries["comfyui_skill_mcp_tools"] = tools
        return self._registries["comfyui_skill_mcp_tools"]

    def settings(self) -> list[Provided]:
        if "comfyui_skill_settings" not in self._registries:
            seen: dict[tuple[str, str], Provided] = {}
            for provided in self.collect("comfyui_skill_settings"):
                item = provided.item
                if not isinstance(item, Setting):
                    continue
                key = (item.scope, item.key)
                if key in seen:
                    self._conflict("setting", item.key, seen[key].plugin, provided.plugin)
                    continue
                seen[key] = provided
            self._registries["comfyui_skill_settings"] = {f"{s}:{k}": p for (s, k), p in seen.items()}
        return list(self._registries["comfyui_skill_settings"].values())

    def call_observers(self, hook_name: str, **kwargs: Any) -> None:
        """Call an observer hook; a plugin that raises is reported once and unregistered."""
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            self._call(hook_name, impl, kwargs)

    def first_result(self, hook_name: str, **kwargs: Any) -> Any:
        """Call a firstresult hook (last registered first, as pluggy does), skipping failures."""
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            ok, result = self._call(hook_name, impl, kwargs)
            if ok and result is not None:
                return result
        return None

    # ----------------------------------------------------------------- reporting
    def _fail(self, record: PluginRecord, exc: BaseException, what: str) -> None:
        record.status = "failed"
        record.error = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line
        if self.policy.strict or (record.builtin and isinstance(exc, pluggy.PluginValidationError)):
            raise CliError(f"plugin {record.name!r} ({_who(record)}) {what}: {record.error}",
                           code="plugin") from exc
        fix = f"disable it with 'comfyui-skill plugins disable {record.name}'"
        if record.distribution and not record.builtin:
            fix += f" or remove it with 'comfyui-skill plugins uninstall {record.distribution}'"
        self._warn(f"plugin {record.name!r} ({_who(record)}) {what}: {record.error}; {fix}")

    def _conflict(self, what: str, name: str, first: str, second: str) -> None:
        message = (f"{what} {name!r} is provided by both plugin {first!r} and plugin {second!r}; "
                   f"keeping {first!r}. Disable one with 'comfyui-skill plugins disable NAME'.")
        if self.policy.strict:
            raise CliError(message, code="plugin")
        self._warn(message)

    def _warn(self, message: str) -> None:
        stream = self._stderr or sys.stderr
        print(f"comfyui-skill: warning: {message}", file=stream)

    def _trace(self, message: str) -> None:
        print(f"comfyui-skill: trace: {message}", file=self._stderr or sys.stderr)


def _is_builtin(ep: Any) -> bool:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or ""
    return name.lower().replace("_", "-") == CORE_DISTRIBUTION


def _who(record: PluginRecord) -> str:
    if record.builtin:
        return "built-in"
    if record.distribution:
        return f"{record.distribution} {record.version or ''}".strip()
    return f"module {record.module}"


def hook_names() -> list[str]:
    """Every hook of the spec, for documentation checks and ``plugins list``."""
    return sorted(name for name in dir(hookspecs) if name.startswith("comfyui_skill_"))


