"""The hooks a plugin can implement.

Mark implementations with ``comfyui_skill.hookimpl``. Call signatures never change once released: a
new capability gets a new hook. Every hook here is documented in docs/plugins.md (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .context import Context
    from .events import Event
    from .extension import Command, McpTool, ServerKind, Setting

hookspec = pluggy.HookspecMarker("comfyui_skill")


@hookspec
def comfyui_skill_commands() -> Iterable[Command]:
    """Return the command groups this plugin adds to the ``comfyui-skill`` command line.

    Each name must be unique across all plugins; a clash is reported naming both plugins and the
    later one is dropped.
    """


@hookspec
def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
    """Return the kinds of server this plugin can talk to (``local``, ``cloud``, ...).

    A configured server's ``kind`` selects one of them by name.
    """


@hookspec
def comfyui_skill_settings() -> Iterable[Setting]:
    """Return the configuration keys this plugin reads, with type, default, help and env var.

    ``config set`` validates against them and ``config list`` shows them (secrets masked).
    """


@hookspec
def comfyui_skill_event(ctx: Context, event: Event) -> None:
    """Observe an execution event (queued, started, node, progress, output, done, failed...).

    Called for every event a command follows, in order, on the thread that follows it. Keep it
    fast; an exception is reported once and the plugin is not called again for that command.
    """


@hookspec(firstresult=True)
def comfyui_skill_error_hint(ctx: Context, error: BaseException) -> str | None:
    """Return a one-line hint for an error this plugin recognises, or None.

    The first non-None answer is shown under the error message (and as ``error.hint`` in JSON).
    """


@hookspec(firstresult=True)
def comfyui_skill_resolve_workflow(ctx: Context, reference: str) -> Any:
    """Resolve a WORKFLOW argument that is not a file path (a stored name, ``template:x``, a URL).

    Return the workflow as a dict (API or editor format), or None if this plugin does not know the
    reference. The first plugin that recognises it wins.
    """


@hookspec(firstresult=True)
def comfyui_skill_workflow_preparer(ctx: Context) -> Any:
    """Return a function that turns a loaded workflow into the API-format graph ``run`` submits, or None.

    The function is ``prepare(workflow, reference, parameters, extra_args) -> dict``: ``workflow``
    is the loaded document (API or editor format), ``parameters`` the ``--args``/``--set`` values
    by name, ``extra_args`` the undeclared ``--NAME VALUE`` options. It converts, binds and checks,
    and raises a ``CliError`` (e.g. ``RejectedError``) for what is wrong. The first answer wins.
    """


@hookspec(firstresult=True)
def comfyui_skill_workflow_parameters(ctx: Context) -> Any:
    """Return a function that describes a workflow's named parameters (``run WORKFLOW --help``), or None.

    The function is ``describe(reference) -> Result``: ``data`` is ``{"workflow", "parameters"}``,
    ``text`` lists them. It runs outside the hook call, so the ``CliError`` it raises (an unreadable
    workflow, an unreachable server) reaches the caller. The first answer wins.
    """


@hookspec
def comfyui_skill_mcp_tools() -> Iterable[McpTool]:
    """Return the tools this plugin adds to the MCP server (``comfyui-skill mcp serve``).

    Each name must be unique across all plugins; a clash is reported naming both plugins and the
    later one is dropped. The built-in tools come through this same hook.
    """
