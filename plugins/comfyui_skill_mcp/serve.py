"""The ``mcp serve`` handler: its options as typed values, the checks made before anything starts."""

from __future__ import annotations

import argparse
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from comfyui_skill import ConfigError, Context, Result, UsageError

TOKEN_VARIABLE = "COMFYUI_SKILL_MCP_TOKEN"
DEFAULT_HOST = "127.0.0.1"
INSTALL = "'mcp serve' needs the MCP SDK; install it with: pip install 'comfyui-skill[mcp]'"


@dataclass(frozen=True)
class ServeOptions:
    """How to serve: stdio (``port`` None) or streamable HTTP on ``host:port`` with an optional token."""

    roots: tuple[Path, ...]
    host: str = DEFAULT_HOST
    port: int | None = None
    token: str | None = None


def serve(ctx: Context, args: argparse.Namespace) -> Result | None:
    host, port = parse_listen(args.mcp_http) if args.mcp_http else (DEFAULT_HOST, None)
    token = None
    if port is not None:
        token = ctx.read_secret("token") if args.mcp_token_stdin else ctx.environ.get(TOKEN_VARIABLE) or None
        if token is None and not is_loopback(host):
            raise UsageError(f"refusing to serve MCP on {host}, which is not a loopback address, without a token",
                             hint=f"set {TOKEN_VARIABLE} or pass --token-stdin (clients then send "
                                  "'Authorization: Bearer TOKEN'), or serve on 127.0.0.1")
    elif args.mcp_token_stdin:
        raise UsageError("--token-stdin goes with --http (a stdio server has no network clients)")
    options = ServeOptions(roots=allowed_roots(ctx, args.mcp_roots or ()), host=host, port=port, token=token)
    try:
        import mcp.server.lowlevel  # noqa: F401 - the optional SDK, imported only by 'mcp serve'
    except ImportError:
        raise UsageError(INSTALL) from None
    from .server import run_server

    ctx.roots = options.roots
    run_server(ctx, options)
    return None


def parse_listen(text: str) -> tuple[str, int]:
    """``PORT``, ``HOST:PORT`` or ``[IPv6]:PORT``."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]") if sep else DEFAULT_HOST
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 <= port < 65536 or (sep and not host):
        raise UsageError(f"--http takes [HOST:]PORT with a port from 0 (any free one) to 65535, not {text!r}")
    return host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_roots(ctx: Context, given: tuple[str, ...] | list[str]) -> tuple[Path, ...]:
    """``--root`` folders, else the current folder and every configured output folder."""
    if given:
        roots = [Path(text).expanduser() for text in given]
        missing = [str(root) for root in roots if not root.is_dir()]
        if missing:
            raise UsageError(f"--root {missing[0]} is not a folder")
    else:
        configured = [ctx.setting("output_dir")]
        for name in ctx.config.server_tables():
            try:
                configured.append(ctx.get_server(name).get("output_dir"))
            except ConfigError:
                continue  # a broken server table: reported by the tools that use that server
        roots = [Path.cwd(), *(Path(str(folder)).expanduser() for folder in configured if folder)]
    return tuple(dict.fromkeys(root.resolve() for root in roots))
