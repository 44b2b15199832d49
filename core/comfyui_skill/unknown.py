"""What to say about a word of the command line the CLI does not know: a mistyped command, option or
choice gets the close real ones; a command of a disabled or broken plugin says so and how to get it back.

Loaded only when parsing fails (start-up never imports it).
"""

from __future__ import annotations

import argparse

from .errors import CliError, ConfigError, UsageError
from .wording import close_matches, did_you_mean

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from .config import Config
    from .plugins import PluginHost, PluginRecord


def invalid_choice(parser: argparse.ArgumentParser, action: argparse.Action, value: Any,
                   message: str) -> UsageError:
    """A value outside ``action``'s choices: an unknown command or subcommand, or a bad option value
    (``message`` is argparse's own, which lists the choices)."""
    choices = [str(choice) for choice in action.choices or ()]
    hint = did_you_mean(str(value), choices)
    see = f"see '{parser.prog} --help'"
    details: dict[str, Any] = {"value": value, "suggestions": close_matches(str(value), choices)}
    if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - argparse has no public name for it
        words = parser.prog.split()
        if len(words) == 1:
            details["unknown_command"] = value
            message = f"unknown command {value!r}"
        else:
            message = f"{' '.join(words[1:])!r} has no subcommand {value!r}"
    return UsageError(message, hint=f"{hint} ({see})" if hint else see, details=details)


def close_options(typed: str, options: Iterable[str]) -> list[str]:
    """The option strings close to ``typed``, compared without their dashes (``--jsn`` -> ``--json``);
    of two spellings of one option the long one is shown."""
    bare: dict[str, str] = {}
    for option in sorted(options, key=len, reverse=True):
        bare.setdefault(option.lstrip("-"), option)
    return [bare[name] for name in close_matches(typed.partition("=")[0].lstrip("-"), bare)]


def options_hint(typed: Sequence[str], parser: argparse.ArgumentParser) -> str | None:
    """``did you mean '--json'?`` for each unknown option close to an option of ``parser`` (hidden
    global options included), or None."""
    known = list(parser._option_string_actions)  # noqa: SLF001 - argparse has no public accessor
    hints = []
    for option in typed:
        close = close_options(option, known)
        if close:
            listed = ", ".join(f"'{c}'" for c in close)
            phrase = f"did you mean {listed}?" if len(close) == 1 else f"did you mean one of {listed}?"
            hints.append(phrase if len(typed) == 1 else f"{option}: {phrase}")
    return "; ".join(hints) or None


def unrecognized(parser: argparse.ArgumentParser, extra: Sequence[str]) -> UsageError:
    """Arguments the command does not take: its unknown options with the close real ones (the
    words after an unknown option are probably its value, so only options are named when any)."""
    options = [arg.partition("=")[0] for arg in extra if arg.startswith("-") and arg != "-"]
    see = f"see '{parser.prog} --help'"
    if not options:
        return UsageError(f"unexpected argument{'s' if len(extra) > 1 else ''}: {' '.join(extra)}", hint=see)
    hint = options_hint(options, parser)
    return UsageError(f"unknown option{'s' if len(options) > 1 else ''} {', '.join(options)}",
                      hint=f"{hint} ({see})" if hint else see, details={"unknown_options": options})


def unknown_global_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """The options before the command word that the top-level ``parser`` does not know (as argparse
    reads them: ``--name=value``, ``-sNAME``, unique abbreviations of long options)."""
    table = parser._option_string_actions  # noqa: SLF001
    unknown = []
    args = iter(argv)
    for arg in args:
        if arg in ("-", "--") or not arg.startswith("-"):
            break  # the command (or the end of the options)
        name, eq, _ = arg.partition("=")
        action = table.get(name)
        if action is None and name.startswith("--"):
            matches = {table[option] for option in table if option.startswith(name)}
            action = matches.pop() if len(matches) == 1 else None
        elif action is None and len(arg) > 2:
            action, eq = table.get(arg[:2]), "attached"  # -sNAME, -pno:x, -vq
        if action is None:
            unknown.append(name)
        elif action.nargs != 0 and not eq:
            next(args, None)  # its value
    return unknown


def global_option_error(parser: argparse.ArgumentParser, unknown: Sequence[str]) -> UsageError:
    """An unknown option before the command: a usage error naming it (not a value for the command)."""
    hint = options_hint(unknown, parser)
    see = f"see '{parser.prog} --help' for the global options"
    return UsageError(f"unknown global option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                      hint=f"{hint} ({see})" if hint else see, details={"unknown_options": list(unknown)})


def add_options_hint(error: CliError, parser: argparse.ArgumentParser) -> None:
    """A handler of a command that takes undeclared options (``run W --seed 42``) names those it did
    not understand in ``details["unknown_options"]``: put the command's close options in the hint."""
    close = options_hint(error.details.get("unknown_options") or (), parser)
    if close:
        error.hint = f"{close} (an option of '{parser.prog}')" + (f"; or {error.hint}" if error.hint else "")


# ----------------------------------------------------------------- commands of plugins not loaded
def unavailable_command(command: str, host: PluginHost, *, plugin_options: Sequence[str], config: Config,
                        environ: dict[str, str]) -> UsageError | None:
    """The error for ``command`` when a disabled (blocked) or broken (failed) plugin provides it:
    which plugin, and how to get it back. None when no such plugin does."""
    record = _provider(command, host)
    if record is None:
        return None
    details = {"unknown_command": command, "plugin": record.name, "plugin_status": record.status}
    if record.status == "failed":
        remove = (f", or remove it with 'comfyui-skill plugins uninstall {record.distribution}'"
                  if record.distribution and not record.builtin else "")
        return UsageError(f"command {command!r} belongs to plugin {record.name!r}, which failed to load: "
                          f"{record.error}", details=details,
                          hint=f"fix or upgrade the plugin ('comfyui-skill plugins list' shows its status){remove}")
    fixes = _how_to_enable(record, host, plugin_options=plugin_options, config=config, environ=environ)
    return UsageError(f"command {command!r} belongs to plugin {record.name!r}, which is disabled",
                      hint="to use it, " + " and ".join(fixes), details=details)


def _provider(command: str, host: PluginHost) -> PluginRecord | None:
    """The plugin not loaded that provides ``command``: one named so, else a blocked plugin whose
    commands (loaded aside, nothing of it registered here) include it."""
    idle = [r for r in host.records.values() if r.status in ("blocked", "failed")]
    named = next((r for r in idle if r.name == command), None)
    if named is not None:
        return named
    return next((r for r in idle if r.status == "blocked" and command in _commands_of(r)), None)


def _commands_of(record: PluginRecord) -> set[str]:
    """The command names a blocked plugin would provide, from a throw-away host (its warnings dropped)."""
    import io

    from .plugins import PluginHost

    probe = PluginHost(stderr=io.StringIO())
    try:
        probe.load_module(record.module, name=record.name, distribution=record.distribution,
                          builtin=record.builtin)
        return set(probe.commands())
    except Exception:  # noqa: BLE001 - a plugin that cannot even tell its commands provides none here
        return set()


def _how_to_enable(record: PluginRecord, host: PluginHost, *, plugin_options: Sequence[str], config: Config,
                   environ: dict[str, str]) -> list[str]:
    """Each way ``record`` was blocked, as what to do about it."""
    names = {record.name, record.distribution} - {None}
    fixes = []
    if host.policy.builtins_only and not record.builtin:
        fixes.append("drop --no-plugins")
    fixes += [f"drop '-p {option}'" for option in plugin_options
              if option.startswith("no:") and option[3:] in names]
    variable = "COMFYUI_SKILL_DISABLE_PLUGINS"
    fixes += [f"remove {name!r} from ${variable}" for name in
              sorted(names & {n.strip() for n in environ.get(variable, "").split(",")})]
    try:
        disabled = {str(name) for name in config.get("plugins.disabled", []) or []}
    except ConfigError:  # reported by the commands that need the config
        disabled = set()
    fixes += [f"run 'comfyui-skill plugins enable {name}'" for name in sorted(names & disabled)]
    return fixes or [f"run 'comfyui-skill plugins enable {record.name}'"]
