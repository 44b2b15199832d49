"""Assembling the argparse tree from the plugins' commands and running one command.

Only the command the user invoked has its subparser configured (plugins' ``configure`` functions
run on demand); ``describe`` and the man page ask for the full tree. Errors of every kind end here,
mapped to a message and an exit code in one place.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

from . import helpcache
from ._version import __version__
from .config import Config
from .context import Context
from .errors import CliError, ConfigError, ExitCode, UsageError, local_file_error
from .extension import Command, resolve
from .output import MODES, Output, Result, emit_result, silence_broken_pipe
from .paths import config_path
from .plugins import LoadPolicy, PluginHost
from .records import FrozenRecord
from .terminal import terminal_columns

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import IO, Any

PROG = "comfyui-skill"
DESCRIPTION = "A command-line client for ComfyUI servers: run workflows, follow progress, fetch outputs."
EPILOG = ("Run 'comfyui-skill COMMAND --help' for a command's options. Exit codes: "
          "0 ok, 1 error, 2 usage, 3 unreachable, 4 rejected, 5 execution failed, 6 timeout, "
          "7 not found, 8 auth, 9 server error, 10 config, 11 cancelled, 12 lost, 13 payment, "
          "130 interrupted.")


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError (so JSON mode gets an envelope) instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Subcommands)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see '{self.prog} --help'")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as error:  # a value outside the choices: suggest the close ones
            from .unknown import invalid_choice

            raise invalid_choice(self, action, value, str(error)) from None

    def _get_formatter(self) -> argparse.HelpFormatter:
        # The width HelpFormatter would work out itself, without its import of shutil (and of the
        # compression modules shutil loads): argparse makes a formatter for every add_argument.
        return self.formatter_class(prog=self.prog, width=terminal_columns(80) - 2)


# argparse translates each of its phrases on every use, and gettext searches the locale folders
# anew each time (a fifth of a millisecond a call, dozens of calls per start). The answer cannot
# change within a process: remember it.
argparse._ = functools.lru_cache(maxsize=None)(argparse._)  # noqa: SLF001


class Invocation(FrozenRecord):
    """The global options, read before plugins load (they decide which plugins load).

    ``certain``: every argument before the command is a global option spelled in full (no
    abbreviation, no help): the command is certainly ``command``, so only its subparser needs building.
    """

    __slots__ = _fields = ("config", "no_plugins", "plugin_options", "command", "certain")
    config: str | None
    no_plugins: bool
    plugin_options: tuple[str, ...]
    command: str | None
    certain: bool

    def __init__(self, config: str | None, no_plugins: bool, plugin_options: tuple[str, ...], command: str | None,
                 certain: bool = False) -> None:
        self._set(config, no_plugins, plugin_options, command, certain)


GLOBAL_OPTIONS_WITH_VALUE = frozenset({"-s", "--server", "--url", "--config", "--output", "-p", "--kind"})
GLOBAL_FLAGS = frozenset({"--json", "-v", "--verbose", "-q", "--quiet", "--no-plugins"})


def pre_parse(argv: Sequence[str]) -> Invocation:
    """Find --config, --no-plugins, -p and the command name without building any parser."""
    config = None
    no_plugins = False
    plugin_options: list[str] = []
    command = None
    certain = True
    args = iter(argv)
    for arg in args:
        name, eq, inline = arg.partition("=")
        if arg == "--":
            certain = False
            break
        if name in GLOBAL_OPTIONS_WITH_VALUE:
            value = inline if eq else next(args, None)
            if name == "--config":
                config = value
            elif name == "-p" and value is not None:
                plugin_options.append(value)
        elif arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
            plugin_options.append(arg[2:])
        elif arg == "--no-plugins":
            no_plugins = True
        elif not arg.startswith("-"):
            command = arg
            break
        if not (name in GLOBAL_OPTIONS_WITH_VALUE or arg in GLOBAL_FLAGS or arg.startswith("-p")
                or (len(arg) > 1 and set(arg[1:]) <= {"v", "q"} and arg[1] != "-")):
            certain = False
    return Invocation(config, no_plugins, tuple(plugin_options), command, certain and command is not None)


def load_plugins(invocation: Invocation, *, config: Config, stderr: IO[str],
                 environ: dict[str, str]) -> PluginHost:
    try:
        disabled = config.get("plugins.disabled", []) or []
    except ConfigError:
        disabled = []  # reported by the command that needs the config
    policy = LoadPolicy.from_sources(no_plugins=invocation.no_plugins, plugin_options=invocation.plugin_options,
                                     config_disabled=[str(d) for d in disabled], environ=environ)
    host = PluginHost(policy, stderr=stderr)
    from . import core_settings

    host.pm.register(core_settings, name="core")
    return host.load()


def build_parser(host: PluginHost, *, configure: str | None | bool = None, alone: bool = False) -> ArgumentParser:
    """The full argparse tree. ``configure``: the one command to configure, or True for all.
    ``alone``: add no other command than ``configure`` when it names one (a run of that command
    needs no other subparser, and building two dozen of them is a noticeable part of start-up)."""
    parser = ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands = host.commands()
    chosen = commands.get(configure) if alone and isinstance(configure, str) else None
    for name, provided in sorted(commands.items()):
        command: Command = provided.item
        if name != command.name or (chosen is not None and provided is not chosen):
            continue  # an alias (added with its command), or not the command being run
        sub = subparsers.add_parser(command.name, help=command.help, aliases=list(command.aliases),
                                    description=command.description or command.help)
        sub.set_defaults(_command=command, _plugin=provided.plugin, handler=command.run, _parser=sub)
        if configure is True or configure == command.name or configure in command.aliases:
            if command.configure is not None:
                command.configure(sub)
            for nested in (sub, *walk_parsers(sub)):
                nested.set_defaults(_parser=nested)
                add_global_options(nested, suppress=True)
    return parser


#: The namespace attribute where the global options given so far are noted: ``{dest: (option, value)}``.
_GIVEN = "_global_options_given"


def _note_global(action: argparse.Action, namespace: argparse.Namespace, option: str | None, value: Any) -> None:
    """Remember a global option's value; the same option given before with another value is an error."""
    given = vars(namespace).setdefault(_GIVEN, {})
    if action.dest in given and not isinstance(action, argparse._CountAction):  # noqa: SLF001
        _same_value(action.dest, given[action.dest], (option, value))
    given[action.dest] = (option, value)


_GLOBAL_HINT = "a global option may come before or after the command; it means the same in both places"


def _same_value(dest: str, first: tuple[str | None, Any], second: tuple[str | None, Any],
                hint: str | None = _GLOBAL_HINT) -> None:
    if first[1] == second[1]:
        return
    from .redaction import redact

    options = "/".join(dict.fromkeys(o for o in (first[0], second[0]) if o)) or dest
    raise UsageError(f"{options} is given twice, as {redact(str(first[1]))!r} and {redact(str(second[1]))!r}: "
                     "give it once", hint=hint)


#: The namespace attribute where a command's own options are noted as given: ``{dest: (option, value)}``.
_OWN_GIVEN = "_options_given"


class _StoreOnce(argparse._StoreAction):  # noqa: SLF001 - argparse's own 'store', for every plain option
    """An option given twice with two values is a usage error: argparse would silently keep the later
    one (``deps models install --url A ... --url B``). The same value twice is harmless."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        given = vars(namespace).setdefault(_OWN_GIVEN, {})
        _same_value(self.dest, given.setdefault(self.dest, (option_string, values)), (option_string, values),
                    hint=None)
        super().__call__(parser, namespace, values, option_string)


class _GlobalValue(argparse._StoreAction):  # noqa: SLF001 - argparse's own 'store', noting the value
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        _note_global(self, namespace, option_string, values)
        super().__call__(parser, namespace, values, option_string)


class _GlobalCount(argparse._CountAction):  # noqa: SLF001 - argparse's own 'count', noting the count
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        super().__call__(parser, namespace, values, option_string)
        _note_global(self, namespace, option_string, getattr(namespace, self.dest))


class _Subcommands(argparse._SubParsersAction):  # noqa: SLF001 - argparse's own, merging the global options
    """A subcommand's parser fills a namespace of its own, which argparse then copies over ours: a
    global option given both before and after the command would silently take the later value.
    Here the two meet: the same value is fine, two values are a usage error, ``-v`` counts add up."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        outer = vars(namespace).get(_GIVEN, {})
        super().__call__(parser, namespace, values, option_string)
        inner = vars(namespace).get(_GIVEN, {})
        if inner is outer:
            return  # the subcommand was given no global option
        for dest, (option, value) in inner.items():
            if dest not in outer:
                continue
            if dest == "verbose":
                setattr(namespace, dest, outer[dest][1] + value)
            else:
                _same_value(dest, outer[dest], (option, value))
        setattr(namespace, _GIVEN, {**outer, **inner})


def check_global_options(args: argparse.Namespace) -> None:
    """Global options that contradict each other."""
    url, server = getattr(args, "url", None), getattr(args, "server", None)
    if url and server:
        raise UsageError(f"--url names a one-off server and -s/--server the configured server {server!r}: "
                         "give one of them")
    output = getattr(args, "output", None)
    if getattr(args, "json", False) and output not in (None, "json"):
        raise UsageError(f"--json means --output json: it contradicts --output {output}")


#: The hidden copies of the global options, by spelling: one action serves every subparser (a
#: ``server`` run configures ten of them; making the same seven actions for each costs ~1.5 ms).
_HIDDEN_GLOBAL_OPTIONS: dict[tuple[str, ...], argparse.Action] = {}


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The global options. On subcommands they are added again (``suppress``) so they may also
    follow the command (``queue list --json``), skipping any spelling a plugin already uses."""
    default: Any = argparse.SUPPRESS if suppress else None
    taken = set(parser._option_string_actions)  # noqa: SLF001 - argparse has no public accessor

    def add(*flags: str, **kwargs: Any) -> None:
        free = tuple(flag for flag in flags if flag not in taken)
        if not free or (suppress and not any(flag.startswith("--") for flag in free)):
            return
        if not suppress:
            parser.add_argument(*free, **kwargs)
            return
        hidden = _HIDDEN_GLOBAL_OPTIONS.get(free)
        if hidden is not None:
            parser._add_action(hidden)  # noqa: SLF001 - shared, as argparse's own parents= shares actions
            return
        kwargs["default"] = argparse.SUPPRESS
        kwargs["help"] = argparse.SUPPRESS
        _HIDDEN_GLOBAL_OPTIONS[free] = parser.add_argument(*free, **kwargs)

    add("-s", "--server", dest="server", metavar="NAME", default=default, action=_GlobalValue,
        help="configured server to use (default: $COMFYUI_SKILL_SERVER or the config's default_server)")
    add("--url", dest="url", metavar="URL", default=default, action=_GlobalValue,
        help="use a one-off server at URL instead (http:// unless a scheme is given)")
    add("--kind", dest="kind", metavar="KIND", default=default, action=_GlobalValue,
        help="server kind for --url (default: local)")
    add("--json", dest="json", action="store_true", default=default if suppress else False,
        help="print one JSON document (same as --output json)")
    add("--output", dest="output", choices=MODES, default=default, action=_GlobalValue,
        help="output mode: text, json or ndjson (default: $COMFYUI_SKILL_OUTPUT or text)")
    add("-v", "--verbose", dest="verbose", action=_GlobalCount, default=default if suppress else 0,
        help="more detail on stderr (repeat for more; shows tracebacks)")
    add("-q", "--quiet", dest="quiet", action="store_true", default=default if suppress else False,
        help="only errors on stderr")
    if not suppress:
        parser.add_argument("--config", metavar="PATH", help="config file (default: $COMFYUI_SKILL_CONFIG "
                            "or the platform's config dir)")
        parser.add_argument("--no-plugins", action="store_true", help="load only the built-in plugins")
        parser.add_argument("-p", dest="plugin_options", metavar="NAME", action="append", default=[],
                            help="'-p no:NAME' disables plugin NAME; '-p MODULE' loads a module as a plugin")
        parser.add_argument("-V", "--version", action="store_true", help="show versions of core and plugins")


def walk_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every nested subparser below ``parser`` (not ``parser`` itself)."""
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            seen: set[int] = set()
            for child in action.choices.values():
                if id(child) in seen:
                    continue  # aliases share the parser
                seen.add(id(child))
                yield child
                yield from walk_parsers(child)


def version_lines(host: PluginHost) -> list[str]:
    lines = [f"{PROG} {__version__} (Python {sys.version.split()[0]})"]
    for record in sorted(host.records.values(), key=lambda r: (not r.builtin, r.name)):
        origin = "built-in" if record.builtin else f"{record.distribution or '-'} {record.version or ''}".strip()
        status = "" if record.status == "active" else f" [{record.status}]"
        lines.append(f"  {record.name}: {origin} ({record.module}){status}")
    return lines


def output_mode(args: argparse.Namespace, environ: dict[str, str]) -> str:
    if getattr(args, "json", False):
        return "json"
    mode = getattr(args, "output", None) or environ.get("COMFYUI_SKILL_OUTPUT") or "text"
    if mode not in MODES:
        raise UsageError(f"COMFYUI_SKILL_OUTPUT must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def run(argv: Sequence[str], *, host: PluginHost | None = None, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None, stdin: IO[str] | None = None,
        environ: dict[str, str] | None = None) -> int:
    """Parse ``argv``, run the command, print its result; return the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    env = dict(os.environ) if environ is None else environ
    invocation = pre_parse(argv)
    output = Output(mode="json" if "--json" in argv else "text", stdout=stdout, stderr=stderr,
                    verbose=argv.count("-v") + argv.count("--verbose"))
    command_path = invocation.command or ""
    ctx: Context | None = None
    try:
        config = Config(config_path(invocation.config, env))
        if host is None:
            host = load_plugins(invocation, config=config, stderr=stderr, environ=env)
        loaded = host  # what every write of the config file is checked against (see Config.edit)
        config.check_against(lambda: [provided.item for provided in loaded.settings()], loaded.kind_providers)
        # Not certain which word is the command (an abbreviated option before it may have taken
        # it as a value): configure every command, as argparse will decide.
        configure = invocation.command if invocation.certain or invocation.command is None else True
        parser = build_parser(host, configure=configure, alone=invocation.certain)
        if tuple(argv) in helpcache.FORMS:
            return _cached_top_level(argv, parser, host, stdout)
        args, extra = _parse(parser, argv, host, invocation, config, env)
        args.extra_args = extra
        check_global_options(args)
        output.mode = output_mode(args, env)
        output.quiet = bool(getattr(args, "quiet", False))
        output.verbose = int(getattr(args, "verbose", 0) or 0)
        if args.version:
            for line in version_lines(host):
                output.line(line)
            return ExitCode.OK
        if args.command is None:
            parser.print_help(stdout)
            return ExitCode.USAGE
        command_path = _command_path(args)
        ctx = Context(config=config, output=output, plugins=host, command=command_path, args=args,
                      stdin=stdin, environ=env)
        handler = getattr(args, "handler", None)
        if handler is None:
            args._parser.print_help(stdout)  # noqa: SLF001 - a bare group: show its subcommands
            return ExitCode.USAGE
        warning = config.exposed_secrets_warning(ctx.secret_keys()) if config.exists else None
        if warning:
            output.warn(warning)
        function = resolve(handler)
        _resume_collector()
        returned = function(ctx, args)
        result = returned if isinstance(returned, Result) else Result(data=returned)
        unused = ctx.unused_server_options() if result.exit_code == ExitCode.OK else []
        if unused:
            output.warn(f"{' and '.join(unused)} not used: '{command_path}' talks to no selected server")
        code = emit_result(output, command_path, result)
        if ctx.shortcut is not None and code == ExitCode.OK and not output.warned:
            from . import shortcuts

            shortcuts.remember(argv, command_path, *ctx.shortcut)
        return code
    except CliError as error:
        if error.hint is None and ctx is not None:
            error.hint = ctx.hint_for(error)
        command_parser = getattr(ctx.args, "_parser", None) if ctx is not None else None
        if command_parser is not None and error.details.get("unknown_options"):
            from .unknown import add_options_hint

            add_options_hint(error, command_parser)
        return emit_result(output, command_path, Result(exit_code=error.exit_code, error=error))
    except KeyboardInterrupt:
        error = CliError("interrupted", code="interrupted")
        return emit_result(output, command_path, Result(exit_code=ExitCode.INTERRUPTED, error=error))
    except SystemExit as exit_:  # argparse's own --help at a nested level
        return int(exit_.code or 0)
    except BrokenPipeError:
        silence_broken_pipe(stdout)
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        local = local_file_error(exc)
        if local is not None:
            return emit_result(output, command_path, Result(exit_code=local.exit_code, error=local))
        if output.verbose:
            import traceback  # only for this last line of defence

            traceback.print_exc(file=stderr)
        plugin = _plugin_of(exc, host)
        blame = f" in plugin {plugin!r}" if plugin else ""
        error = CliError(f"unexpected error{blame}: {type(exc).__name__}: {exc}",
                         hint="run again with -v for the traceback, and report it" +
                         (f" to the plugin's author (or disable it: 'comfyui-skill plugins disable {plugin}')"
                          if plugin else ""))
        return emit_result(output, command_path, Result(exit_code=ExitCode.ERROR, error=error))
    finally:
        if ctx is not None:
            ctx.close()


def _parse(parser: ArgumentParser, argv: Sequence[str], host: PluginHost, invocation: Invocation, config: Config,
           environ: dict[str, str]) -> tuple[argparse.Namespace, list[str]]:
    """``argv`` parsed; what no parser knows is a usage error (an unknown command or option, with the
    close real ones) unless the command takes undeclared options (``run W --seed 42``)."""
    try:
        args, extra = parser.parse_known_args(argv)
    except UsageError as error:
        command = error.details.get("unknown_command")
        if command is None:
            raise
        from . import unknown

        before_command = unknown.unknown_global_options(parser, argv)  # '--bogus 3 run': 3 is not the command
        if before_command:
            raise unknown.global_option_error(parser, before_command) from None
        raise unknown.unavailable_command(command, host, plugin_options=invocation.plugin_options, config=config,
                                          environ=environ) or error from None
    if extra:
        from . import unknown

        before_command = unknown.unknown_global_options(parser, argv)
        if before_command:
            raise unknown.global_option_error(parser, before_command)
        if not getattr(args, "accepts_extra_args", False):
            raise unknown.unrecognized(getattr(args, "_parser", parser), extra)
    return args, extra


def _resume_collector() -> None:
    """Start-up runs with the garbage collector paused (see :mod:`comfyui_skill.cli`): the command's
    own work runs with it on, start-up's objects (modules, parsers, plugins) frozen out of its scans."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _cached_top_level(argv: Sequence[str], parser: ArgumentParser, host: PluginHost, stdout: IO[str]) -> int:
    """Answer top-level ``--help``/``--version`` and remember the text for the fast path."""
    if helpcache.FORMS[tuple(argv)] == "help":
        text = parser.format_help()
    else:
        text = "\n".join(version_lines(host)) + "\n"
    modules = [sys.modules.get(record.module) for record in host.records.values()]
    files = [__file__, helpcache.__file__] + [m.__file__ for m in modules if m is not None and m.__file__]
    helpcache.store(argv, text, files)
    stdout.write(text)
    return ExitCode.OK


def _command_path(args: argparse.Namespace) -> str:
    parser = getattr(args, "_parser", None)
    prog = parser.prog if parser is not None else PROG
    return prog[len(PROG):].strip() if prog.startswith(PROG) else prog


def _plugin_of(exc: BaseException, host: PluginHost | None) -> str | None:
    """The plugin whose code raised an unexpected exception (the innermost plugin frame)."""
    if host is None:
        return None
    packages = {record.module.split(".")[0]: record.name for record in host.records.values()}
    tb = exc.__traceback__
    plugin = None
    while tb is not None:
        package = str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0]
        plugin = packages.get(package, plugin)
        tb = tb.tb_next
    return plugin
