"""One ``tools/call``: the tool's handler on a worker thread, with its own context and output.

The call's events (the same ones ``run`` draws and streams as NDJSON) go to the event loop, which
turns them into MCP progress notifications. A cancellation from the client cancels the prompt the
call follows on its server (and only that one) and lets the worker end.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from comfyui_skill import CliError, Context, ExitCode, McpTool, Output, Result

#: Events after which the server has the prompt: a cancellation can reach it.
FOLLOWED = frozenset({"queued", "started", "cached", "node", "progress"})
#: Seconds a cancelled call waits for its worker to see the prompt end.
CANCEL_WAIT = 5.0


class ToolOutput(Output):
    """A call's output: nothing on stdout (the protocol's in stdio mode), notes and warnings kept
    for the result, every event handed to ``sink``."""

    def __init__(self, sink: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(mode="json", stdout=io.StringIO(), stderr=io.StringIO())
        self.sink = sink

    def event(self, payload: dict[str, Any]) -> None:
        self.sink(payload)

    @property
    def notes(self) -> str:
        return self.stderr.getvalue()


class ToolCall:
    """Runs ``tool`` with ``arguments`` for the server ``server`` chose (None: the default)."""

    def __init__(self, parent: Context, tool: McpTool, arguments: dict[str, Any], server: str | None,
                 on_event: Callable[[dict[str, Any]], None]) -> None:
        self.parent = parent
        self.tool = tool
        self.arguments = arguments
        self.server = server
        self.on_event = on_event
        self.output = ToolOutput(self._event)
        self.ctx: Context | None = None
        self._lock = threading.Lock()
        self._followed: str | None = None
        self._cancelled = False
        self._cancelled_ids: set[str] = set()
        self._finished = threading.Event()

    def run(self) -> Result:
        """The handler's result; a failure of any kind is a result with an error, never an exception."""
        ctx: Context | None = None
        try:
            ctx = self.ctx = self.parent.for_server(self.server, output=self.output)
            returned = self.tool.function()(ctx, self.arguments)
            return returned if isinstance(returned, Result) else Result(data=returned)
        except CliError as error:
            if error.hint is None and ctx is not None:
                error.hint = ctx.hint_for(error)
            return Result(exit_code=error.exit_code, error=error)
        except Exception as exc:  # noqa: BLE001 - one bad call must not end the server
            error = CliError(f"unexpected error in tool {self.tool.name!r}: {type(exc).__name__}: {exc}",
                             hint="run the same command on the command line with -v for the traceback, and report it")
            return Result(exit_code=ExitCode.ERROR, error=error)
        finally:
            self._finished.set()
            if ctx is not None:
                ctx.close()

    # ----------------------------------------------------------------- events and cancellation
    def _event(self, payload: dict[str, Any]) -> None:
        prompt_id = payload.get("prompt_id")
        cancel_now = False
        if prompt_id and payload.get("event") in FOLLOWED:
            with self._lock:
                self._followed = prompt_id
                cancel_now = self._cancelled and prompt_id not in self._cancelled_ids
                if cancel_now:
                    self._cancelled_ids.add(prompt_id)
        if cancel_now:  # cancelled before the server had it: now it has
            self._cancel_prompt(prompt_id)
        self.on_event(payload)

    def cancel(self) -> None:
        """The client cancelled the call: cancel the prompt it follows, wait briefly for the worker."""
        with self._lock:
            self._cancelled = True
            prompt_id = self._followed
            if prompt_id in self._cancelled_ids:
                prompt_id = None
            elif prompt_id is not None:
                self._cancelled_ids.add(prompt_id)
        if prompt_id is not None:
            self._cancel_prompt(prompt_id)
        self._finished.wait(CANCEL_WAIT)

    def _cancel_prompt(self, prompt_id: str) -> None:
        from comfyui_skill_run.cancel import cancel_prompts

        ctx = self.ctx
        if ctx is None:
            return
        try:
            cancel_prompts(ctx, [prompt_id])
        except CliError as exc:
            self.output.warn(f"could not cancel prompt {prompt_id}: {exc.message}")
