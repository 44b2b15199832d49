"""The aiohttp application: ComfyUI's route layout (every core route twice, ``/internal`` once)."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from . import routes_files, routes_info, routes_internal, routes_jobs, routes_prompt, routes_userdata, websocket
from .context import CONTEXT, ServerContext
from .middlewares import MIDDLEWARES

CORE_ROUTES = (websocket.routes, routes_prompt.routes, routes_jobs.routes, routes_files.routes, routes_info.routes,
               routes_userdata.routes)


def _prefixed(tables: Iterable[web.RouteTableDef], prefix: str) -> list[web.RouteDef]:
    return [web.RouteDef(route.method, prefix + route.path, route.handler, route.kwargs)
            for table in tables for route in table if isinstance(route, web.RouteDef)]


def build_app(ctx: ServerContext) -> web.Application:
    # debug=False even in an asyncio debug loop: ComfyUI's 500 bodies never carry a traceback.
    app = web.Application(middlewares=MIDDLEWARES, handler_args={"debug": False})
    app[CONTEXT] = ctx
    if not ctx.config.api_prefix_only:
        app.add_routes(_prefixed(CORE_ROUTES, ""))
    app.add_routes(_prefixed(CORE_ROUTES, "/api"))
    app.add_routes(_prefixed([routes_internal.routes], "/internal"))
    if ctx.manager is not None:
        from ..fake_manager.routes import route_table

        app.add_routes(route_table(ctx.manager.state))
    app.add_routes(routes_info.static_routes)
    return app
