"""The MCP server: the plugins' tools on the official SDK's low-level ``Server``, over stdio or HTTP.

Every call runs in-process on a worker thread (:mod:`.calls`); its events become progress
notifications; whatever goes wrong becomes a tool error and the server keeps serving.
"""

from __future__ import annotations

import hmac
import math
import socket
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server

from comfyui_skill import (CliError, ConfigError, Context, McpTool, NotFoundError, Result, UsageError, __version__,
                           did_you_mean, redact)

from .calls import ToolCall
from .progress import describe
from .results import tool_result
from .serve import ServeOptions

INSTRUCTIONS = ("comfyui-skill drives the user's ComfyUI servers. Typical flow: list_servers or server_status; "
                "workflow_parameters to see what a workflow takes; run_workflow to run it and get its outputs "
                "(or submit_workflow, then wait_for). Errors carry a code, a message and a hint saying what to do.")


class Toolbox:
    """The tools of every plugin, each one's arguments checked against its schema when it is called
    (the validator is built then: JSON Schema's machinery is not part of the start-up)."""

    def __init__(self, ctx: Context) -> None:
        self.tools: dict[str, McpTool] = {}
        self.plugins: dict[str, str] = {}
        self.validators: dict[str, Any] = {}
        for name, provided in sorted(ctx.plugins.mcp_tools().items()):
            schema = provided.item.input_schema
            if not (isinstance(schema, dict) and schema.get("type") == "object"):
                ctx.output.warn(f"MCP tool {name!r} of plugin {provided.plugin!r}: its input schema is not a JSON "
                                "Schema of type 'object'; skipped")
                continue
            self.tools[name] = provided.item
            self.plugins[name] = provided.plugin

    def listing(self) -> list[types.Tool]:
        return [types.Tool(name=tool.name, description=tool.description, input_schema=tool.input_schema,
                           annotations=types.ToolAnnotations(read_only_hint=tool.read_only))
                for tool in self.tools.values()]

    def arguments(self, name: str, given: dict[str, Any] | None) -> dict[str, Any]:
        """The call's arguments, checked against the tool's schema (a UsageError naming the first problem)."""
        import jsonschema

        if name not in self.tools:
            raise NotFoundError(f"no tool {name!r}", hint=did_you_mean(name, self.tools) or "list the tools")
        if name not in self.validators:
            schema = self.tools[name].input_schema
            validator_class = jsonschema.validators.validator_for(schema)
            try:
                validator_class.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise CliError(f"tool {name!r} of plugin {self.plugins[name]!r} has an invalid input schema: "
                               f"{exc.message}", hint="report it to the plugin's author") from None
            self.validators[name] = validator_class(schema)
        arguments = dict(given or {})
        error = jsonschema.exceptions.best_match(self.validators[name].iter_errors(arguments))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path)
            raise UsageError(f"{name}: {'argument ' + where + ': ' if where else ''}{error.message}",
                             hint="the tool's input schema (tools/list) says what it takes")
        return arguments


def secrets_of(ctx: Context, options: ServeOptions) -> list[str]:
    """Every secret a result could carry: the servers' credentials, the Comfy API key, the HTTP token."""
    found = [options.token or "", ctx.environ.get("COMFY_API_KEY", "")]
    for name in ctx.config.server_tables():
        try:
            found.extend(ctx.get_server(name).secrets())
        except ConfigError:
            continue
    return [secret for secret in found if secret]


def build_server(ctx: Context, options: ServeOptions) -> Server:
    toolbox = Toolbox(ctx)
    secrets = secrets_of(ctx, options)

    async def list_tools(request: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=toolbox.listing())

    async def call_tool(request: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            arguments = toolbox.arguments(params.name, params.arguments)
        except CliError as error:
            return tool_result(params.name, Result(exit_code=error.exit_code, error=error), secrets=secrets)
        server = arguments.pop("server", None)
        result, notes = await follow(ctx, toolbox.tools[params.name], arguments, server, request.session, secrets)
        return tool_result(params.name, result, notes=notes, secrets=secrets)

    return Server("comfyui-skill", version=__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def follow(ctx: Context, tool: McpTool, arguments: dict[str, Any], server: str | None,
                 session: Any, secrets: list[str]) -> tuple[Result, str]:
    """Run one call on a worker thread, sending its events as progress notifications; when the client
    cancels it, cancel the prompt it follows before giving up."""
    send, receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)

    def on_event(payload: dict[str, Any]) -> None:  # on the worker thread
        try:
            anyio.from_thread.run_sync(send.send_nowait, payload)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, RuntimeError):
            pass  # the call is over (cancelled): nobody listens any more

    async def notify() -> None:
        sent = 0
        async with receive:
            async for payload in receive:
                message = describe(payload)
                if message is not None:
                    sent += 1
                    await session.report_progress(sent, None, redact(message, secrets))

    call = ToolCall(ctx, tool, arguments, server, on_event)
    async with anyio.create_task_group() as group:
        group.start_soon(notify)
        try:
            result = await anyio.to_thread.run_sync(call.run, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(call.cancel)
            raise
        finally:
            send.close()
    return result, call.output.notes


def run_server(ctx: Context, options: ServeOptions) -> None:
    server = build_server(ctx, options)
    if options.port is None:
        anyio.run(_serve_stdio, server)
    else:
        anyio.run(_serve_http, server, options, listen(options.host, options.port), ctx.output.note)


async def _serve_stdio(server: Server) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: any free one), bound before the server starts so that
    its address can be told and a port in use is a clear error."""
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                         hint="choose another port, or 0 for any free one") from None


async def _serve_http(server: Server, options: ServeOptions, listener: socket.socket,
                      say: Callable[[str], None]) -> None:
    import uvicorn

    app: Any = server.streamable_http_app(host=options.host)
    if options.token is not None:
        app = BearerToken(app, options.token)
    host, port = listener.getsockname()[:2]
    say(f"serving MCP at http://{f'[{host}]' if ':' in host else host}:{port}/mcp")
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve(sockets=[listener])


class BearerToken:
    """ASGI middleware: HTTP requests must carry ``Authorization: Bearer TOKEN`` (compared in constant time)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
                return
        await self.app(scope, receive, send)
