"""Running the slow programs of an install (git, venv, pip): their output is shown as it comes
(on stderr, so ``--json`` stays clean) and written to the install log; a failure ends with the
last lines and the cause in words."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from comfyui_skill import CliError, Context

from . import logfile

LOG_TAIL = 15
#: (what the output says, the cause in words, what to do, the error code)
_CAUSES = (
    (re.compile(r"Could not resolve host|Temporary failure in name resolution|Name or service not known|"
                r"Failed to establish a new connection|Network is unreachable|nodename nor servname",
                re.IGNORECASE), "the network could not be reached", "check the connection (or a proxy) and run the "
     "same command again: it goes on where it stopped", "unreachable"),
    (re.compile(r"No space left on device", re.IGNORECASE), "the disk is full",
     "free some space and run the same command again: it goes on where it stopped", "io"),
    (re.compile(r"ensurepip is not available|No module named venv|No module named ensurepip"),
     "this Python cannot create virtual environments",
     "install its venv module (Debian, Ubuntu: 'apt install python3-venv'), or give another --python", "io"),
    (re.compile(r"Could not find a version that satisfies the requirement|No matching distribution found"),
     "a package is not available for this Python or system",
     "ComfyUI supports Python 3.10 to 3.13: give another interpreter with --python", "io"),
    (re.compile(r"not a git repository|does not appear to be a git repository|Repository not found|"
                r"repository '[^']*' does not exist",
                re.IGNORECASE), "the source is not a git repository", "give a git URL or a clone's folder with --from",
     "usage"),
    (re.compile(r"did not match any file\(s\) known to git|pathspec .* did not match|unknown revision",
                re.IGNORECASE), "the --ref is not in that repository", "give a tag, branch or commit it has", "usage"),
)


class Steps:
    """Numbered steps of one install or update, logged to ``log`` (started afresh)."""

    def __init__(self, ctx: Context, log: Path, total: int) -> None:
        self.ctx = ctx
        self.log = log
        self.total = total
        self.number = 0
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(b"")

    def begin(self, text: str) -> None:
        self.number += 1
        self.ctx.output.note(f"[{self.number}/{self.total}] {text}")
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(f"== {text}\n")

    def skip(self, text: str) -> None:
        self.number += 1
        self.ctx.output.note(f"[{self.number}/{self.total}] {text}")

    def run(self, command: Sequence[str], *, cwd: Path | None = None, what: str) -> str:
        """Run ``command``; its output streams to stderr (text mode, not -q) and to the log. Returns
        the output; a failure raises a CliError naming ``what`` failed and why."""
        show = self.ctx.output.is_text and not self.ctx.output.quiet
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "GIT_TERMINAL_PROMPT": "0"}
        try:
            child = subprocess.Popen(list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        except OSError as exc:
            raise CliError(f"cannot run {command[0]}: {exc.strerror}", code="io") from None
        captured = bytearray()
        assert child.stdout is not None
        with open(self.log, "ab") as log:
            while chunk := child.stdout.read1(8192):  # type: ignore[attr-defined]
                captured += chunk
                log.write(chunk)
                log.flush()
                if show:
                    self.ctx.output.stderr.write(chunk.decode("utf-8", errors="replace"))
                    self.ctx.output.stderr.flush()
        code = child.wait()
        text = captured.decode("utf-8", errors="replace")
        if code != 0:
            self.failed(what, code)
        return text

    def failed(self, what: str, code: int) -> None:
        tail = logfile.last_lines(self.log, LOG_TAIL)
        text = "\n".join(tail)
        cause, hint, error_code = next(((c, h, e) for pattern, c, h, e in _CAUSES if pattern.search(text)),
                                       (f"it exited with code {code}", f"the lines above, from {self.log}, say why",
                                        "io"))
        if self.ctx.output.is_text and self.ctx.output.quiet:  # nothing was shown while it ran
            for line in tail:
                print(f"  | {line}", file=self.ctx.output.stderr)
        raise CliError(f"{what} failed: {cause}", hint=hint, code=error_code,
                       details={"log": str(self.log), "log_tail": tail, "exit_code": code})
