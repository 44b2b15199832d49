"""What commands print: text for people, one JSON document or NDJSON lines for programs.

A handler returns a :class:`Result` (or plain data). In ``json`` mode the CLI prints one envelope
(:data:`SCHEMA`) on stdout: ``{"schema", "ok", "command", "data", "error"}``. In ``ndjson`` mode
events stream as lines while the command runs and the envelope is the last line. In ``text`` mode
the result's ``text`` renderer prints a readable form; decorations (progress bars, colour) only
appear when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys

from .records import Record
from .terminal import terminal_columns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import IO, Any

    from .errors import CliError

SCHEMA = "comfyui-skill/1"
MODES = ("text", "json", "ndjson")


class Result(Record):
    """What a command hands back: ``data`` for JSON, ``text`` (a string or a function of the
    :class:`Output`) for people, and an exit code with the error that explains it, if any."""

    _fields = ("data", "text", "exit_code", "error")
    data: Any
    text: str | Callable[[Output], None] | None
    exit_code: int
    error: CliError | None

    def __init__(self, data: Any = None, text: str | Callable[[Output], None] | None = None,
                 exit_code: int = 0, error: CliError | None = None) -> None:
        self._set(data, text, exit_code, error)


class Output(Record):
    """The streams and mode of one command invocation (default streams: the process's)."""

    _fields = ("mode", "stdout", "stderr", "quiet", "verbose")
    mode: str
    stdout: IO[str]
    stderr: IO[str]
    quiet: bool
    verbose: int

    def __init__(self, mode: str = "text", stdout: IO[str] | None = None, stderr: IO[str] | None = None,
                 quiet: bool = False, verbose: int = 0) -> None:
        self._set(mode, sys.stdout if stdout is None else stdout, sys.stderr if stderr is None else stderr,
                  quiet, verbose)
        self.warned = False  #: whether a warning was printed (not a field: it takes no part in equality)
        #: What the command asks a display plugin to draw in the terminal (``run --show``): None, or
        #: ``{"outputs": bool | None, "previews": bool | None, "size": int | None}`` (None: as the
        #: ``display.show`` setting says; ``size``: columns)
        self.display: dict[str, Any] | None = None
        #: Paths a display plugin already printed on stdout (under their picture): listings skip them
        self.shown: set[str] = set()

    @property
    def is_text(self) -> bool:
        return self.mode == "text"

    @property
    def decorated(self) -> bool:
        """True when progress displays and colour may be drawn (stderr is a terminal)."""
        return self.mode == "text" and is_terminal(self.stderr) and os.environ.get("TERM") != "dumb"

    @property
    def width(self) -> int:
        return terminal_columns(100)

    @property
    def columns(self) -> int | None:
        """How wide a line of stdout may be: the terminal's width, or None (no limit) when stdout is
        not a terminal, so that a pipe or a file gets every character."""
        return self.width if is_terminal(self.stdout) else None

    def line(self, text: str = "") -> None:
        """A line of the command's text output (stdout)."""
        print(text, file=self.stdout)

    def note(self, text: str) -> None:
        """Information for people on stderr; silent with ``-q`` and in machine modes' stdout."""
        if not self.quiet:
            print(text, file=self.stderr)

    def warn(self, text: str) -> None:
        self.warned = True
        print(f"comfyui-skill: warning: {text}", file=self.stderr)

    def debug(self, text: str) -> None:
        if self.verbose:
            print(f"comfyui-skill: {text}", file=self.stderr)

    def event(self, payload: dict[str, Any]) -> None:
        """One NDJSON line (only in ndjson mode)."""
        if self.mode == "ndjson":
            import json

            self.stdout.write(json.dumps(payload, default=str) + "\n")
            self.stdout.flush()

    def table(self, rows: Sequence[Sequence[Any]], headers: Sequence[str], *,
              shrink: Iterable[int] = ()) -> None:
        for line in render_table(rows, headers, width=self.columns, shrink=shrink):
            self.line(line)


def envelope(command: str, *, data: Any = None, error: CliError | None = None) -> dict[str, Any]:
    """The versioned JSON result document."""
    return {
        "schema": SCHEMA,
        "ok": error is None,
        "command": command,
        "data": data,
        "error": error.to_json() if error is not None else None,
    }


def emit_result(output: Output, command: str, result: Result) -> int:
    """Print a result in the current mode; return its exit code."""
    error = result.error
    if error is None and result.exit_code:
        from .errors import CliError  # the enum of exit codes is not needed to print a success

        error = CliError(f"{command} did not succeed", code="internal")
    if output.mode in ("json", "ndjson"):
        import json  # not needed by a text result: kept off the start-up path

        document = envelope(command, data=result.data, error=error)
        text = json.dumps(document, default=str, indent=2 if output.mode == "json" else None)
        output.stdout.write(text + "\n")
        output.stdout.flush()
    elif result.text is not None:
        if callable(result.text):
            result.text(output)
        elif result.text:
            output.line(result.text)
    elif result.data is not None:
        import json

        output.line(json.dumps(result.data, indent=2, default=str))
    if error is not None and (output.mode == "text" or result.exit_code):
        print(f"comfyui-skill: error: {error.message}", file=output.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=output.stderr)
    return int(result.exit_code)


def silence_broken_pipe(stdout: IO[str]) -> None:
    """After the reader of stdout went away (``| head``): send what is still buffered nowhere, so
    the flush at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def render_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], *, width: int | None = 100,
                 shrink: Iterable[int] = ()) -> list[str]:
    """Aligned columns that fit ``width`` (None: any width, nothing is cut). Only the ``shrink``
    columns (default: all) are cut, with an ellipsis rather than wrapped, and the widest of them
    gives up space first: a short column is never cut while a longer one has room to spare."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    gap = 2
    if width is not None:
        excess = sum(widths) + gap * (len(widths) - 1) - width
        _narrow(widths, [min(widths[i], max(len(headers[i]), 8)) for i in range(len(widths))],
                list(shrink) or range(len(widths)), excess)
    lines = [_join(headers, widths, gap)]
    lines.extend(_join(row, widths, gap) for row in cells)
    return lines


def _narrow(widths: list[int], floors: Sequence[int], columns: Iterable[int], excess: int) -> None:
    """Take ``excess`` characters off ``columns``, one at a time from the widest, none below its floor."""
    columns = list(columns)
    while excess > 0:
        cuttable = [i for i in columns if widths[i] > floors[i]]
        if not cuttable:
            return
        widest = max(cuttable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1


def _join(values: Sequence[str], widths: Sequence[int], gap: int) -> str:
    parts = []
    for value, size in zip(values, widths):
        if len(value) > size:
            value = value[: max(size - 1, 0)] + "…"
        parts.append(value.ljust(size))
    return (" " * gap).join(parts).rstrip()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\n", " ")


def human_bytes(count: float | None) -> str:
    if count is None:
        return "-"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
