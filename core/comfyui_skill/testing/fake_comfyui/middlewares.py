"""Request pipeline: record, inject faults, check the bearer token, then ComfyUI's CSRF guard."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from .context import CONTEXT


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@web.middleware
async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log every request with its body; bodies over ``max_upload_size`` get aiohttp's 413."""
    ctx = request.app[CONTEXT]
    request = request.clone(client_max_size=ctx.config.max_upload_size)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        ctx.requests.add(request, b"")
        raise
    ctx.requests.add(request, body)
    return await handler(request)


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    delay, late, response = ctx.faults.take(request.method, request.rel_url.raw_path)
    await ctx.sleep(delay)
    while ctx.faults.holds(request.rel_url.raw_path) and not ctx.stopping.is_set():
        await ctx.sleep(0.01)
    answer = response if response is not None else await handler(request)
    await ctx.sleep(late)
    return answer


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app[CONTEXT].config.require_token
    if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
        raise web.HTTPUnauthorized()
    return await handler(request)


@web.middleware
async def origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ComfyUI's default CSRF guard (no ``--enable-cors-header``), which also answers OPTIONS."""
    host = request.headers.get("Host", "").lower()
    if _is_loopback(urlsplit("//" + host).hostname):
        origin = request.headers.get("Origin")
        if (origin is not None and urlsplit(origin).netloc.lower() != host) \
                or request.headers.get("Sec-Fetch-Site") == "cross-site":
            return web.Response(status=403)
    if request.method == "OPTIONS":
        return web.Response()
    return await handler(request)


@web.middleware
async def rebooting(request: web.Request, handler: Handler) -> web.StreamResponse:
    """While a Manager reboot has the server down, a kept-alive connection is simply closed."""
    if request.app[CONTEXT].rebooting:
        if request.transport is not None:
            request.transport.close()
        raise web.HTTPServiceUnavailable()
    return await handler(request)


MIDDLEWARES = [record, rebooting, inject_faults, require_token, origin_only]
