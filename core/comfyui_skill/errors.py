"""Errors a command can raise, with their stable error codes and exit codes.

Every failure a user can cause or meet (bad input, a server that is down, a workflow the server
rejects, ...) is a :class:`CliError`. The CLI turns it into a one-line message on stderr (or the
``error`` member of the JSON result) and a documented exit code; no traceback reaches the user.
The table below is the single source of truth: README, man page and ``describe`` render it.
"""

from __future__ import annotations

import enum

TYPE_CHECKING = False  # ``typing`` is not needed at run time
if TYPE_CHECKING:
    from typing import Any


class ExitCode(enum.IntEnum):
    """Process exit codes. Scripts may rely on them; they never change meaning."""

    OK = 0
    ERROR = 1  #: an unexpected failure (a bug, or an error no other code describes)
    USAGE = 2  #: bad command line, or input that is malformed before any server is involved
    UNREACHABLE = 3  #: the server could not be reached (refused, DNS, TLS, timeout while connecting)
    REJECTED = 4  #: the server or our own validation rejected the workflow or its arguments
    EXECUTION_FAILED = 5  #: the workflow ran and failed on the server (or some batch items failed)
    TIMEOUT = 6  #: the overall deadline passed (the prompt is left running)
    NOT_FOUND = 7  #: a named prompt, file, server, workflow, node class ... does not exist
    AUTH = 8  #: the server refused our credentials (401/403), or they are missing
    SERVER_ERROR = 9  #: the server answered with an error or with something we cannot read
    CONFIG = 10  #: the configuration file is malformed or a setting is invalid
    CANCELLED = 11  #: the prompt was cancelled or interrupted on the server
    LOST = 12  #: the server forgot the prompt (e.g. it restarted) before it finished
    PAYMENT = 13  #: the account has no credits left or paid nodes were not allowed
    INTERRUPTED = 130  #: the user pressed Ctrl-C


#: Stable error code strings (the ``error.code`` of JSON results) and what they map to.
ERROR_CODES: dict[str, tuple[ExitCode, str]] = {
    "internal": (ExitCode.ERROR, "An unexpected failure inside comfyui-skill or a plugin."),
    "usage": (ExitCode.USAGE, "The command line or an input file is malformed."),
    "unreachable": (ExitCode.UNREACHABLE, "The server could not be reached."),
    "rejected": (ExitCode.REJECTED, "The workflow or its arguments were rejected."),
    "execution_failed": (ExitCode.EXECUTION_FAILED, "The workflow failed while running."),
    "timeout": (ExitCode.TIMEOUT, "The deadline passed before the work finished."),
    "not_found": (ExitCode.NOT_FOUND, "The named thing does not exist."),
    "auth": (ExitCode.AUTH, "Credentials are missing or were refused."),
    "server_error": (ExitCode.SERVER_ERROR, "The server failed or answered something unreadable."),
    "rate_limited": (ExitCode.SERVER_ERROR, "The server asked us to slow down (429) too often."),
    "config": (ExitCode.CONFIG, "The configuration is malformed or a setting is invalid."),
    "io": (ExitCode.ERROR, "A local file could not be read or written."),
    "plugin": (ExitCode.ERROR, "A plugin failed to load (strict plugin mode)."),
    "cancelled": (ExitCode.CANCELLED, "The prompt was cancelled or interrupted on the server."),
    "lost": (ExitCode.LOST, "The server no longer knows the prompt."),
    "payment_required": (ExitCode.PAYMENT, "Out of credits, or paid nodes were not allowed."),
    "interrupted": (ExitCode.INTERRUPTED, "Interrupted by the user (Ctrl-C)."),
}


class CliError(Exception):
    """A failure reported to the user as a message, an error code and an exit code.

    ``message`` says what went wrong in plain words; ``hint`` says what to do about it;
    ``details`` carries structured data for ``--json`` consumers (never secrets).
    """

    code = "internal"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}
        if code is not None:
            if code not in ERROR_CODES:
                raise ValueError(f"unknown error code {code!r}")
            self.code = code

    @property
    def exit_code(self) -> ExitCode:
        return ERROR_CODES[self.code][0]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hint": self.hint, "details": self.details}


class UsageError(CliError):
    code = "usage"


class UnsupportedError(UsageError):
    """The server cannot do what was asked: its kind of API has no such endpoint (exit 2).

    Code that can do without (a check that needs the node catalog) catches it; anywhere else it
    reaches the user as one line naming the limitation."""


class ConfigError(CliError):
    code = "config"


class NotFoundError(CliError):
    code = "not_found"


class RejectedError(CliError):
    code = "rejected"


class UnreachableError(CliError):
    code = "unreachable"


class AuthError(CliError):
    code = "auth"


class ServerError(CliError):
    code = "server_error"


class TimeoutExpired(CliError):
    code = "timeout"


class ExecutionFailed(CliError):
    code = "execution_failed"


class PromptCancelled(CliError):
    code = "cancelled"


class PromptLost(CliError):
    code = "lost"


class PaymentRequired(CliError):
    code = "payment_required"


class HttpError(ServerError):
    """A non-success HTTP status. ``code`` follows the status (401/403 auth, 404 not found...)."""

    def __init__(self, status: int, url: str, body: Any = None, *, message: str | None = None,
                 hint: str | None = None) -> None:
        self.status = status
        self.url = url
        self.body = body
        super().__init__(
            message or f"HTTP {status} from {url}",
            hint=hint,
            details={"status": status, "url": url},
            code=_code_for_status(status),
        )


def local_file_error(exc: BaseException) -> CliError | None:
    """An OSError about a local file (it names one) as an ``io`` error, or None for anything else.

    The last line of defence uses it: a file that cannot be read or written is the user's
    environment, never "an unexpected error" to report to a plugin's author."""
    if not isinstance(exc, OSError) or exc.filename is None:
        return None
    return CliError(f"cannot access {exc.filename}: {exc.strerror or exc}", code="io",
                    details={"path": str(exc.filename), "errno": exc.errno})


def _code_for_status(status: int) -> str:
    if status in (401, 403):
        return "auth"
    if status == 402:
        return "payment_required"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    if status in (400, 409, 413, 422):
        return "rejected"
    return "server_error"
