"""A fake Comfy Cloud for tests: an API-key front on a :class:`FakeComfyUI`, plus a signed-URL storage host.

What it adds to the fake ComfyUI behind it (which it runs with ``api_prefix_only=True``):

* every REST route needs ``X-API-Key: <api_key>`` (``/api/system_stats`` is public); a missing or
  wrong key gets ``401 {"code", "message"}``;
* the WebSocket at ``/ws?clientId=&token=<api_key>`` (401 without the token). Like Comfy Cloud it
  ignores ``clientId``: every socket receives every message of the account, so clients must filter
  on ``prompt_id``;
* ``GET /api/view`` answers ``302`` to a signed URL on ``storage_url`` (``localhost`` where the cloud
  is ``127.0.0.1``: another host to an HTTP client), whose server records what it receives;
* the jobs API speaks the cloud's sort names (``create_time|execution_time``; the local names get a
  400) and sends ``create_time`` in seconds, as ``openapi-cloud.yaml`` documents it;
* there is no ``GET /api/history`` (the cloud has none), ``foreign_jobs`` answer 403 "Job does not
  belong to user", ``out_of_credits`` makes ``POST /api/prompt`` answer 402 and
  :meth:`rate_limit` answers 429 with ``Retry-After`` and a JSON message;
* ``job_statuses`` renames job statuses in the jobs API's answers (``{"in_progress": "waiting_for_gpu"}``),
  to play a cloud whose status vocabulary grew.

``requests`` and ``storage_requests`` list what each host received (method, path, query, headers).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from .fake_comfyui import FakeComfyUI, RecordedRequest

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "x-api-key"}
CLOUD_SORT = {"create_time": "created_at", "execution_time": "execution_duration"}
SIGNATURE = "fake-signature"
ACCOUNT_CLIENT = "cloud-account"
RATE_LIMITED = "Rate limit exceeded. Please try again later."


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)


class FakeCloud:
    """Start with ``with FakeCloud() as cloud:``; point a ``cloud`` kind server at ``cloud.url``."""

    def __init__(self, api_key: str = "ck-test-0123456789abcdef", object_info: Any = None) -> None:
        self.api_key = api_key
        self.comfy = FakeComfyUI(object_info, api_prefix_only=True)
        self.out_of_credits = False
        self.foreign_jobs: set[str] = set()
        self.job_statuses: dict[str, str] = {}
        self._rate_limited = 0
        self._retry_after: str | None = "0"
        self._rate_message = RATE_LIMITED
        self._rate_path: str | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._storage_requests: list[RecordedRequest] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._ports: tuple[int, int] = (0, 0)
        self._startup_error: Exception | None = None
        self._runners: list[web.AppRunner] = []
        self._pump: asyncio.Task | None = None
        self._upstream: aiohttp.ClientWebSocketResponse | None = None

    # -- knobs and records ---------------------------------------------------------------------------

    def rate_limit(self, times: int, retry_after: str | None = "0", message: str = RATE_LIMITED,
                   path: str | None = None) -> None:
        """Answer the next ``times`` REST requests (to ``path`` only, if given) with 429, this
        ``Retry-After`` (None: no header) and ``{"code": "rate_limited", "message": message}`` (the
        cloud's ambiguous 429: a rate limit, or an inactive subscription's "Payment required - User
        has not paid")."""
        with self._lock:
            self._rate_limited, self._retry_after, self._rate_message = times, retry_after, message
            self._rate_path = path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._ports[0]}"

    @property
    def storage_url(self) -> str:
        return f"http://localhost:{self._ports[1]}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def storage_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._storage_requests)

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> FakeCloud:
        self.comfy.start()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-cloud", daemon=True)
        self._thread.start()
        if not ready.wait(30):  # a safety net: it starts at once unless the machine is in trouble
            self.comfy.stop()
            raise RuntimeError("the fake cloud did not start within 30 s")
        if self._startup_error is not None:
            self._thread.join()
            self.comfy.stop()
            raise self._startup_error
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join()
        self.comfy.stop()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._startup())
        except Exception as error:  # reported by __enter__
            self._startup_error = error
            self._loop.run_until_complete(self._shutdown())
            ready.set()
            return
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _startup(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        front = web.Application(client_max_size=200 * 1024 * 1024)
        front.router.add_route("*", "/{tail:.*}", self._front)
        storage = web.Application()
        storage.router.add_get("/bucket/{type}/{name:.*}", self._storage)
        self._runners = [web.AppRunner(front, access_log=None), web.AppRunner(storage, access_log=None)]
        ports = []
        for runner in self._runners:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            ports.append(runner.addresses[0][1])
        self._ports = (ports[0], ports[1])
        self._upstream = await self._session.ws_connect(f"{self.comfy.url}/api/ws?clientId={ACCOUNT_CLIENT}")
        self._pump = asyncio.create_task(self._broadcast())

    async def _shutdown(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        for ws in list(self._sockets):
            await ws.close()
        if self._upstream is not None:
            await self._upstream.close()
        await self._session.close()
        for runner in self._runners:
            await runner.cleanup()

    # -- the cloud front -----------------------------------------------------------------------------

    def _record(self, log: list[RecordedRequest], request: web.Request, body: bytes) -> None:
        with self._lock:
            log.append(RecordedRequest(request.method, request.rel_url.raw_path, dict(request.query.items()),
                                       dict(request.headers.items()), body))

    def _take_rate_limit(self, path: str) -> web.Response | None:
        with self._lock:
            if self._rate_limited <= 0 or self._rate_path not in (None, path):
                return None
            self._rate_limited -= 1
            headers = {} if self._retry_after is None else {"Retry-After": self._retry_after}
            return _error(429, "rate_limited", self._rate_message, headers)

    async def _front(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self._record(self._requests, request, body)
        path = request.path
        if path == "/ws":
            return await self._websocket(request)
        if path != "/api/system_stats" and request.headers.get("X-API-Key") != self.api_key:
            return _error(401, "unauthorized", "Invalid or missing API key")
        limited = self._take_rate_limit(path)
        if limited is not None:
            return limited
        if path == "/api/prompt" and request.method == "POST":
            if self.out_of_credits:
                return _error(402, "insufficient_credits", "Insufficient credits")
            return await self._forward(request, _account_prompt(body))
        if path.startswith("/api/history") and request.method == "GET":
            return _error(404, "not_found", "Not found")
        if path == "/api/view" and "channel" not in request.query:
            return self._signed_redirect(request)
        if path.startswith("/api/jobs"):
            return await self._jobs(request, body)
        return await self._forward(request, body)

    async def _forward(self, request: web.Request, body: bytes, query: Any = None, path: str | None = None
                       ) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with self._session.request(request.method, self.comfy.url + (path or request.path),
                                         params=request.query if query is None else query, data=body,
                                         headers=headers, allow_redirects=False) as upstream:
            content = await upstream.read()
            keep = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
            return web.Response(status=upstream.status, body=content, headers=keep)

    async def _jobs(self, request: web.Request, body: bytes) -> web.Response:
        query = dict(request.query)
        if "sort_by" in query:
            if query["sort_by"] not in CLOUD_SORT:
                return _error(400, "invalid_request", "sort_by must be 'create_time' or 'execution_time'")
            query["sort_by"] = CLOUD_SORT[query["sort_by"]]
        job_id = request.path.split("/")[3] if request.path.count("/") >= 3 else None
        if job_id in self.foreign_jobs:  # the spec: 403 to read it, 404 to cancel it
            if request.method == "GET":
                return _error(403, "forbidden", "Job does not belong to user")
            return _error(404, "not_found", "Job not found")
        # ComfyUI registers /api/jobs and then prefixes every route with /api once more
        response = await self._forward(request, body, query, "/api" + request.path)
        if response.status != 200 or request.method != "GET":
            return response
        answer = json.loads(response.body)
        for job in answer.get("jobs", [answer]):
            if isinstance(job.get("create_time"), int):
                job["create_time"] //= 1000
            job["status"] = self.job_statuses.get(job.get("status"), job.get("status"))
        return web.json_response(answer)

    def _signed_redirect(self, request: web.Request) -> web.Response:
        query = request.query
        subfolder = query.get("subfolder", "")
        name = f"{subfolder}/{query.get('filename', '')}" if subfolder else query.get("filename", "")
        location = (f"{self.storage_url}/bucket/{quote(query.get('type', 'output'))}/{quote(name)}"
                    f"?X-Goog-Expires=600&X-Goog-Signature={SIGNATURE}")
        return web.Response(status=302, headers={"Location": location})

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("token") != self.api_key:
            return _error(401, "unauthorized", "Invalid or missing API key")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}},
                                                       "sid": request.query.get("clientId")}})
        self._sockets.add(ws)
        try:
            async for _frame in ws:
                pass
        finally:
            self._sockets.discard(ws)
        return ws

    async def _broadcast(self) -> None:
        """Every message of the account goes to every socket (Comfy Cloud ignores ``clientId``)."""
        async for frame in self._upstream:
            for ws in list(self._sockets):
                if frame.type == aiohttp.WSMsgType.TEXT:
                    await ws.send_str(frame.data)
                elif frame.type == aiohttp.WSMsgType.BINARY:
                    await ws.send_bytes(frame.data)

    # -- the storage host ----------------------------------------------------------------------------

    async def _storage(self, request: web.Request) -> web.StreamResponse:
        self._record(self._storage_requests, request, b"")
        if request.query.get("X-Goog-Signature") != SIGNATURE:
            return web.Response(status=403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        roots = {"output": self.comfy.output_dir, "temp": self.comfy.temp_dir, "input": self.comfy.input_dir}
        root = roots.get(request.match_info["type"])
        path = root / request.match_info["name"] if root is not None else None
        if path is None or ".." in request.match_info["name"] or not path.is_file():
            return web.Response(status=404, text="<Error><Code>NoSuchKey</Code></Error>")
        return web.FileResponse(path)


def _account_prompt(body: bytes) -> bytes:
    """Run the prompt for the account's socket, whatever client id the caller gave."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if isinstance(payload, dict):
        payload["client_id"] = ACCOUNT_CLIENT
    return json.dumps(payload).encode()


def iter_headers(requests: list[RecordedRequest]) -> Iterator[tuple[str, str]]:
    """Every (header, value) pair of every request, for "the key never went there" assertions."""
    for recorded in requests:
        yield from recorded.headers.items()
