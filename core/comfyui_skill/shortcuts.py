"""Shortcuts: answering a repeated command without argparse, pluggy or the plugins' command code.

A command whose answer comes from local files (``nodes list --search`` from the node-catalog cache)
still pays the CLI's whole start-up: argparse, pluggy and the plugins' registration cost several
times what Python itself needs to start. So a handler may *offer a shortcut*
(:meth:`~comfyui_skill.Context.offer_shortcut`): a function that answers the same command from a
small ``state`` (file names and settings, never secrets) with none of that loaded. Once the command
has succeeded without a warning, the CLI remembers the shortcut under a key made of everything the
ordinary path used to choose the server and read the settings:

* the installed distributions (:func:`~comfyui_skill.helpcache.install_key`),
* the config file: its path and its stat (any edit, any chmod),
* every ``COMFYUI_SKILL_*`` environment variable and those that move the config and cache folders,
* the options before the command that choose the server or config (``-s``, ``--url``, ``--kind``,
  ``--config``) and the command words, as typed.

The key is stored only as a BLAKE2 digest: a password in a URL or a token in the environment is
never written to disk. The next invocation with the same key, whatever follows the command words,
imports only this module and the shortcut's function. That function reads the arguments it is given
and returns a :class:`~comfyui_skill.Result`, or None for anything it does not fully understand (an
option it does not know, a cache past its freshness): the ordinary path then runs as if there were
no shortcut. What the function renders is held back until it has finished, so giving way leaves no
trace. An edit to any file of the offering plugin's package drops its shortcuts; ``-v``, ``-p``,
``--no-plugins``, ``COMFYUI_SKILL_NO_CACHE`` and ``COMFYUI_SKILL_TRACE_PLUGINS`` bypass them.
"""

from __future__ import annotations

import io
import marshal
import os

from .extension import resolve
from .helpcache import install_key
from .output import MODES, Output, emit_result, is_terminal, silence_broken_pipe
from .paths import cache_path, config_path, written_only_by_owner
from .records import FrozenRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import IO, Any

FILE_NAME = "shortcuts.marshal"
MAX_ENTRIES = 32  #: shortcuts kept (the oldest go first)
MAX_COMMAND_WORDS = 3
#: options before the command that decide which server and config the command uses, by spelling
SELECTING = {"-s": "--server", "--server": "--server", "--url": "--url", "--kind": "--kind", "--config": "--config"}
QUIET_FLAGS = frozenset({"-q", "--quiet"})
#: the output options by spelling, and whether each takes a value
OUTPUT_OPTIONS = {"--json": False, "-q": False, "--quiet": False, "--output": True}
FOLDER_ENV = frozenset({"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "APPDATA", "LOCALAPPDATA"})
BYPASS_ENV = ("COMFYUI_SKILL_NO_CACHE", "COMFYUI_SKILL_TRACE_PLUGINS")


class Shortcut(FrozenRecord):
    """What a shortcut function receives: the arguments after the command words, the ``state`` its
    handler offered, and the :class:`~comfyui_skill.Output` its result will be printed on (the
    output options ``--json``, ``--output`` and ``-q`` are already applied to it)."""

    __slots__ = _fields = ("args", "state", "output")
    args: tuple[str, ...]
    state: Any
    output: Output

    def __init__(self, args: Iterable[str], state: Any, output: Output) -> None:
        self._set(tuple(args), state, output)

    def parse(self, *, values: Mapping[str, str] | None = None, flags: Mapping[str, str] | None = None,
              positional: bool = False) -> tuple[dict[str, Any], list[str]] | None:
        """``args`` read as the plain subset of argparse a shortcut can be sure of.

        ``values`` and ``flags`` map each spelling to the key it sets (``{"-n": "limit", "--limit":
        "limit"}``); the output options are known too, and skipped. Returns ``(options, words)``,
        or None whenever argparse might read the arguments differently or reject them: an option
        not listed (abbreviations and ``-h`` included), one given twice, a value that looks like an
        option, ``--``, words where ``positional`` is false or in two runs, or no word where it is
        true.
        """
        values, flags = values or {}, flags or {}
        options: dict[str, Any] = {}
        words: list[str] = []
        words_ended = False
        args = iter(self.args)
        for arg in args:
            if arg == "--":
                return None
            if len(arg) < 2 or not arg.startswith("-"):
                if not positional or (words and words_ended):
                    return None
                words.append(arg)
                words_ended = False
                continue
            words_ended = bool(words)
            name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if name in OUTPUT_OPTIONS:
                if equals and not OUTPUT_OPTIONS[name]:
                    return None  # '--json=x': argparse refuses it
                if not equals and OUTPUT_OPTIONS[name]:
                    next(args, None)  # its value (checked by answer())
                continue
            if name in values:
                key, value = values[name], inline if equals else next(args, None)
                if value is None or (not equals and value.startswith("-")):
                    return None
            elif name in flags and not equals:
                key, value = flags[name], True
            else:
                return None
            if key in options:
                return None
            options[key] = value
        if positional and not words:
            return None
        return options, words


def answer(argv: Sequence[str], *, stdout: IO[str], stderr: IO[str]) -> int | None:
    """Answer ``argv`` through a remembered shortcut and return the exit code; None when there is
    none for it, or the shortcut gave way (nothing was printed)."""
    if any(os.environ.get(name) for name in BYPASS_ENV):
        return None
    entries = _load()
    invocation = _split(argv) if entries else None
    if invocation is None:
        return None
    selecting, output_args, rest = invocation
    commands = {entry.get("words") for entry in entries.values()}  # only these need a key worked out
    for count in range(1, min(MAX_COMMAND_WORDS, len(rest)) + 1):
        words = tuple(rest[:count])
        entry = entries.get(_key(selecting, words)) if words in commands else None
        if entry is not None:
            break
    else:
        return None
    if _mtimes(entry.get("files") or {}) != entry.get("files"):
        return None
    output_options = _output_options([*output_args, *rest[count:]])
    if output_options is None:
        return None
    mode, quiet = output_options
    held = Output(mode, _Held(stdout), _Held(stderr), quiet=quiet)
    try:
        result = resolve(entry["handler"])(Shortcut(rest[count:], entry["state"], held))
        if result is None:
            return None
        code = emit_result(held, entry["command"], result)
    except Exception:  # noqa: BLE001 - a failing shortcut gives way; the ordinary path reports properly
        return None
    try:
        for held_stream, stream in ((held.stdout, stdout), (held.stderr, stderr)):
            stream.write(held_stream.getvalue())
            stream.flush()
    except BrokenPipeError:
        silence_broken_pipe(stdout)
    return code


def remember(argv: Sequence[str], command: str, handler: str, state: Any) -> None:
    """Keep ``handler`` as the shortcut for invocations like ``argv`` of ``command`` (which has
    just succeeded). Nothing is kept for an invocation :func:`answer` would not take."""
    invocation = None if any(os.environ.get(name) for name in BYPASS_ENV) else _split(argv)
    if invocation is None:
        return
    selecting, _, rest = invocation
    count = len(command.split())
    words = rest[:count]
    if len(words) != count or any(word.startswith("-") for word in words):
        return  # e.g. 'nodes --json list': an option among the command words
    entry = {"command": command, "words": tuple(words), "handler": handler, "state": state,
             "files": _package_files(handler)}
    key = _key(selecting, words)
    entries = _load()
    if entries.get(key) == entry:
        return
    entries.pop(key, None)
    entries[key] = entry
    for oldest in list(entries)[:-MAX_ENTRIES]:
        del entries[oldest]
    from .config import atomic_write

    try:
        atomic_write(shortcut_file(), marshal.dumps(entries), mode=0o600)
    except OSError:
        pass  # a read-only cache: no shortcut


def shortcut_file() -> str:
    return os.path.join(cache_path(), FILE_NAME)


class _Held(io.StringIO):
    """Output held back until the shortcut has finished, answering ``isatty`` for the real stream."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.terminal = is_terminal(stream)

    def isatty(self) -> bool:
        return self.terminal


def _split(argv: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], list[str], list[str]] | None:
    """The options before the command words, parted into those choosing the server or config and
    the output options, and the rest from the command words on. None when an option before the
    command is one a shortcut cannot honour (``-v``, ``-p``, ``--no-plugins``, ``--help``...)."""
    selecting: list[tuple[str, str]] = []
    output_args: list[str] = []
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        arg = argv[index]
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in SELECTING or name == "--output":
            if not equals:
                index += 1
                if index == len(argv):
                    return None
                value = argv[index]
            if name in SELECTING:
                selecting.append((SELECTING[name], value))
            else:
                output_args.append(f"--output={value}")
        elif arg in QUIET_FLAGS or arg == "--json":
            output_args.append(arg)
        else:
            return None
        index += 1
    return tuple(selecting), output_args, list(argv[index:])


def _output_options(argv: Sequence[str]) -> tuple[str, bool] | None:
    """The output mode and quietness the whole command line asks for (``--json`` wins over
    ``--output``, which wins over ``$COMFYUI_SKILL_OUTPUT``); None for a mode argparse would refuse."""
    mode = None
    json = quiet = False
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return None  # what follows is not options: leave it to argparse
        if arg == "--json":
            json = True
        elif arg in QUIET_FLAGS:
            quiet = True
        elif arg == "--output" or arg.startswith("--output="):
            mode = arg.partition("=")[2] if "=" in arg else next(args, None)
            if mode not in MODES:
                return None  # missing or unknown: argparse's message
    mode = "json" if json else mode or os.environ.get("COMFYUI_SKILL_OUTPUT") or "text"
    return (mode, quiet) if mode in MODES else None


def _key(selecting: tuple[tuple[str, str], ...], words: Sequence[str]) -> bytes:
    config = config_path(dict(selecting).get("--config"))
    environment = sorted((name, value) for name, value in os.environ.items()
                         if name.startswith("COMFYUI_SKILL_") or name in FOLDER_ENV)
    try:
        stat = os.stat(config)
        config_state: tuple | None = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino, stat.st_mode)
    except OSError:
        config_state = None
    material = repr((install_key(), config, config_state, environment, selecting, tuple(words)))
    try:
        from _blake2 import blake2b  # hashlib's own BLAKE2, without hashlib's loading of OpenSSL
    except ImportError:  # another Python implementation
        from hashlib import blake2b
    return blake2b(material.encode("utf-8", "surrogateescape"), digest_size=20).digest()


def _load() -> dict[bytes, dict[str, Any]]:
    """The remembered shortcuts by key (a damaged file counts as none: it is rewritten)."""
    try:
        with open(shortcut_file(), "rb") as handle:
            if not written_only_by_owner(handle):
                return {}  # it names modules to import: only a file nobody else could have written
            entries = marshal.loads(handle.read())  # marshal.load(handle) reads in small pieces: slower
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {key: entry for key, entry in entries.items() if isinstance(entry, dict)}


def _package_files(handler: str) -> dict[str, int | None]:
    """Every Python file of the package the shortcut function is in, with its mtime."""
    from importlib.util import find_spec

    package = handler.partition(":")[0].split(".")[0]
    spec = find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if spec is not None and spec.origin and not folders:
        return _mtimes({spec.origin: None})  # a single-module plugin
    files = [os.path.join(root, name) for folder in folders for root, _, names in os.walk(folder)
             for name in sorted(names) if name.endswith(".py")]
    return _mtimes(dict.fromkeys(files))


def _mtimes(files: Mapping[str, int | None]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for path in files:
        try:
            found[path] = os.stat(path).st_mtime_ns
        except OSError:
            found[path] = None
    return found
