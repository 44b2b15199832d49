"""The Manager's HTTP routes in its three dialects (see ``docs`` section 4 of cloud-and-manager).

* ``4``: ``/v2/...`` (and ``/api/v2/...``), the task API: ``queue/task``, ``queue/install_model``, history.
* ``4-legacy``: ``/v2/...`` with the 3.x body shapes, only through ``queue/batch`` (which starts the queue).
* ``3`` / ``3.39``: unprefixed ``/manager/...`` and ``/customnode/...``; ``queue/start``, ``queue/reset`` and
  ``reboot`` are POST from 3.40 on and GET before. Security denials are 403 (404 for risky packs)
  with a generic text; 4.x accepts the task and fails it in the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..fake_comfyui.context import CONTEXT
from .state import SECURITY_ERROR, ManagerState, Task
from .worker import Worker, git_url, model_folder, risk_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TASK_KINDS = ("install", "uninstall", "update", "update-comfyui", "fix", "disable", "enable", "install-model")
INSTALL_DEFAULTS = {"id": None, "version": None, "ui_id": None, "selected_version": None, "repository": None,
                    "pip": None, "mode": None, "channel": None, "skip_post_install": None}
"""Fields the 4.x pydantic ``InstallPackParams`` fills in (as they appear in the history)."""
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
LEGACY_QUEUES = {"install": "install", "install_model": "install-model", "uninstall": "uninstall",
                 "update": "update", "disable": "disable", "fix": "fix"}
"""3.x queue route / batch key -> task kind."""


def manager(request: web.Request) -> Any:
    return request.app[CONTEXT].manager


def _state(request: web.Request) -> ManagerState:
    return manager(request).state


def _worker(request: web.Request) -> Worker:
    return manager(request).worker


def text(body: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain")


def security_denied(status: int = 403) -> web.Response:
    return text(SECURITY_ERROR, status)


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPInternalServerError(text="Internal server error") from None


# -- routes every dialect has ---------------------------------------------------------------------

async def version(request: web.Request) -> web.Response:
    return text(_state(request).version)


async def is_legacy_manager_ui(request: web.Request) -> web.Response:
    return web.json_response({"is_legacy_manager_ui": _state(request).dialect == "4-legacy"})


async def installed(request: web.Request) -> web.Response:
    return web.json_response({name: pack.installed_entry() for name, pack in _state(request).installed.items()})


async def getmappings(request: web.Request) -> web.Response:
    if "mode" not in request.rel_url.query:
        raise web.HTTPInternalServerError()  # request.rel_url.query["mode"]: KeyError
    return web.json_response(_state(request).mappings)


async def external_models(request: web.Request) -> web.Response:
    """3.x (and 4.x legacy UI) ``model-list.json``; ``installed`` is a string."""
    if "mode" not in request.rel_url.query:
        raise web.HTTPInternalServerError()
    models = request.app[CONTEXT].models
    return web.json_response({"models": [
        {**entry, "installed": str(entry.get("filename") in models.get(model_folder(entry), []))}
        for entry in _state(request).model_list]})


async def queue_status(request: web.Request) -> web.Response:
    state, worker = _state(request), _worker(request)
    running = 1 if state.running else 0
    status: dict[str, Any] = {}
    if state.dialect == "4":  # the legacy UI keeps the 3.x shape (of its current batch)
        client_id = request.rel_url.query.get("client_id")
        if client_id:
            status["client_id"] = client_id
        status.update(total_count=len(state.pending) + running, done_count=state.done_count,
                      in_progress_count=running, pending_count=len(state.pending))
    else:
        status.update(total_count=state.done_count + running + len(state.pending), done_count=state.done_count,
                      in_progress_count=running)
    status["is_processing"] = worker.is_processing
    return web.json_response(status)


def no_body(handler: Handler) -> Handler:
    """The CSRF guard of the no-body POSTs: form and text Content-Types are refused."""
    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and request.content_type in FORM_TYPES:
            return text("Invalid Content-Type for this endpoint. Use application/json or omit body.", 400)
        return await handler(request)
    return guarded


async def queue_reset(request: web.Request) -> web.Response:
    state = _state(request)
    state.pending.clear()
    if not state.is_v4:
        state.done_count = 0
    return web.Response()


async def queue_start(request: web.Request) -> web.Response:
    return web.Response(status=200 if _worker(request).start() else 201)


async def reboot(request: web.Request) -> web.Response:
    """Refused by the security level, else the process restarts: no response, the connection drops."""
    ctx = request.app[CONTEXT]
    if _state(request).denial("middle") is not None:
        return web.json_response({"error": "security_level"}, status=403)
    if _state(request).reboot_ignored:
        return web.Response()
    ctx.manager.reboot_task = asyncio.create_task(ctx.reboot())
    if request.transport is not None:
        request.transport.close()
    return web.Response()


# -- 4.x default UI: the task API -----------------------------------------------------------------

def _pydantic_missing(body: dict[str, Any], fields: list[str]) -> str:
    errors = "".join(f"\n{name}\n  Field required [type=missing, input_value={body!r}, input_type=dict]\n"
                     f"    For further information visit https://errors.pydantic.dev/2.14/v/missing"
                     for name in fields)
    count = f"{len(fields)} validation error{'s' if len(fields) != 1 else ''}"
    return f"Invalid task data: {count} for QueueTaskItem{errors}"


async def queue_task(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict):
        return text("Invalid task data: input should be a valid dictionary", 400)
    missing = [name for name in ("ui_id", "client_id", "kind", "params") if name not in body]
    if missing:
        return text(_pydantic_missing(body, missing), 400)
    if body["kind"] not in TASK_KINDS or not isinstance(body["params"], dict):
        return text(f"Invalid task data: kind {body['kind']!r} or params {body['params']!r} not valid", 400)
    params = body["params"]
    if body["kind"] == "install":
        params = {**INSTALL_DEFAULTS, **params}
    _state(request).pending.append(Task(str(body["ui_id"]), body["kind"], params, str(body["client_id"])))
    return web.Response()


async def queue_install_model(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if not isinstance(body, dict):
        return text("Invalid model data: input should be a valid dictionary", 400)
    for name in ("client_id", "ui_id"):
        if not body.get(name):
            return text(f"Missing required field: {name}", 400)
    missing = [name for name in ("name", "type", "url", "filename") if not isinstance(body.get(name), str)]
    if missing:
        return text(f"Invalid model data: missing {', '.join(missing)}", 400)
    params = {key: body.get(key) for key in ("name", "type", "base", "save_path", "url", "filename")}
    params["save_path"] = params["save_path"] or "default"
    params["ui_id"] = body["ui_id"]
    _state(request).pending.append(Task(str(body["ui_id"]), "install-model", params, str(body["client_id"])))
    return web.Response()


async def queue_history(request: web.Request) -> web.Response:
    state, query = _state(request), request.rel_url.query
    if "ui_id" in query:
        return web.json_response({"history": state.history.get(query["ui_id"], {})})
    items = state.history
    if "client_id" in query:
        items = {key: item for key, item in items.items() if item["client_id"] == query["client_id"]}
    return web.json_response({"history": items})


async def queue_history_list(request: web.Request) -> web.Response:
    return web.json_response({"ids": _state(request).batch_ids})


# -- 3.x body shapes (3.x routes, 4.x legacy batch) -----------------------------------------------

def legacy_check(state: ManagerState, kind: str, item: Any) -> tuple[int, str] | None:
    """What the 3.x routes refuse before queueing: ``(status, text)``, or None to queue ``item``."""
    if not isinstance(item, dict):
        return 400, "Invalid request"
    if kind == "install":
        if any(key not in item for key in ("version", "channel", "mode")):
            return 500, "500 Internal Server Error\n\nServer got itself in trouble"
        if item["version"] != "unknown" and item.get("selected_version") == "unknown":
            return 400, "Invalid installation request"
    if kind == "install-model":
        if any(key not in item for key in ("save_path", "base", "filename")):
            return 500, "500 Internal Server Error\n\nServer got itself in trouble"
        listed = any(all(entry.get(key) == item.get(key) for key in ("save_path", "base", "filename"))
                     for entry in state.model_list)
        if not listed:
            return 400, "Invalid model install request is detected"
    risk = risk_of(state, Task("", kind, item))
    if state.denial(risk) is not None:
        return (404 if risk.startswith("high") else 403), SECURITY_ERROR
    return None


def legacy_enqueue(request: web.Request, kind: str, item: dict[str, Any]) -> None:
    """Queue a 3.x item (an ``enable`` of a disabled pack through install+skip_post_install is done at once)."""
    state = _state(request)
    ui_id = str(item.get("ui_id") or item.get("id") or git_url(item))
    pack = state.installed.get(str(item.get("id")))
    if kind == "install" and item.get("skip_post_install") and pack is not None and not pack.enabled:
        pack.enabled = True
        hub = request.app[CONTEXT].hub
        hub.send("cm-queue-status", {"status": "in_progress", "target": ui_id, "ui_target": "nodepack_manager",
                                     "total_count": 1, "done_count": 0})
        hub.send("cm-queue-status", {"status": "done", "nodepack_result": {ui_id: "success"}, "model_result": {},
                                     "total_count": 1, "done_count": 1})
        return
    state.pending.append(Task(ui_id, kind, item))


def legacy_queue(kind: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        item = await _json_body(request)
        refused = legacy_check(_state(request), kind, item)
        if refused is not None:
            return text(refused[1], refused[0])
        legacy_enqueue(request, kind, item)
        return web.Response()
    return handler


async def queue_batch(request: web.Request) -> web.Response:
    """4.x legacy UI: every list at once; refused items are named in ``failed``; the queue starts."""
    body = await _json_body(request)
    failed = []
    for key, kind in LEGACY_QUEUES.items():
        for item in (body.get(key) or []) if isinstance(body, dict) else []:
            if legacy_check(_state(request), kind, item) is None:
                legacy_enqueue(request, kind, item)
            else:
                failed.append(item.get("id") if isinstance(item, dict) else item)  # x['id'], as 4.2.2 does
    _worker(request).start()
    return web.json_response({"failed": failed})


# -- the route table of a dialect ------------------------------------------------------------------

def route_table(state: ManagerState) -> list[web.RouteDef]:
    action = "POST" if state.posts_actions else "GET"
    common: list[tuple[str, str, Handler]] = [
        ("GET", "/manager/version", version),
        ("GET", "/customnode/installed", installed),
        ("GET", "/customnode/getmappings", getmappings),
        ("GET", "/manager/queue/status", queue_status),
        (action, "/manager/queue/reset", no_body(queue_reset)),
        (action, "/manager/queue/start", no_body(queue_start)),
        (action, "/manager/reboot", no_body(reboot)),
    ]
    if state.dialect == "4":
        common += [("GET", "/manager/is_legacy_manager_ui", is_legacy_manager_ui),
                   ("POST", "/manager/queue/task", queue_task),
                   ("POST", "/manager/queue/install_model", queue_install_model),
                   ("GET", "/manager/queue/history", queue_history),
                   ("GET", "/manager/queue/history_list", queue_history_list)]
    elif state.dialect == "4-legacy":
        common += [("GET", "/manager/is_legacy_manager_ui", is_legacy_manager_ui),
                   ("GET", "/externalmodel/getlist", external_models),
                   ("POST", "/manager/queue/batch", queue_batch)]
    else:
        common += [("GET", "/externalmodel/getlist", external_models)]
        common += [("POST", f"/manager/queue/{name}", legacy_queue(kind)) for name, kind in LEGACY_QUEUES.items()]
    prefixes = [state.prefix, "/api" + state.prefix] if state.is_v4 else [state.prefix]
    return [web.RouteDef(method, prefix + path, handler, {}) for prefix in prefixes
            for method, path, handler in common]

