"""A fake of what Comfy Cloud and Serverless deployments add to Comfy API v2, in front of the real proxy.

What cannot run here (the hosted surfaces) is built from the contract and the recordings, around the
real comfy-api-proxy that serves the API itself: Bearer auth with an API key, content answered with
a 302 to signed storage on another host, and programmable trouble (402, 429 with Retry-After and
its three codes, ``deployment_stopped``, SSE 501, a wrong final SSE frame, a transient ``expired``,
an answer lost after the job was created). Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "authorization"}
SIGNATURE = "fake-signature-0f1e2d"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "details": None}}, status=status,
                             headers=headers)


class FakeSurface:
    """Comfy Cloud / a Serverless deployment in front of ``upstream`` (a comfy-api-proxy URL)."""

    def __init__(self, upstream: str, api_key: str = "comfyui-test-key-4f3e2d1c", *, lists_jobs: bool = False,
                 catalog: str | None = None) -> None:
        self.upstream = upstream
        self.catalog = catalog  # a ComfyUI whose /object_info Cloud serves at /api/object_info (X-API-Key)
        self.lists_jobs = lists_jobs  # Cloud answered the job list with 501 when it was read
        self.api_key = api_key
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.storage_requests: list[Recorded] = []
        self._throttles: list[tuple[str, str]] = []  # (code, Retry-After) answered to the next POSTs
        self.out_of_credits = False
        self.stopped = False
        self.sse_unavailable = False
        self.wrong_final_frame = False
        self.expired_reads = 0
        self.lose_answers = 0
        self.lost_jobs: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._ports = (0, 0)

    # -- programming trouble ---------------------------------------------------------------------
    def throttle(self, times: int, code: str = "queue_full", retry_after: str = "0") -> None:
        with self._lock:
            self._throttles += [(code, retry_after)] * times

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._ports[0]}"

    @property
    def storage_url(self) -> str:
        return f"http://localhost:{self._ports[1]}"

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> FakeSurface:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="fake-surface")
        self._thread.start()
        ready.wait(30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(30)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        ready.set()
        self._loop.run_forever()

    async def _startup(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        front = web.Application(client_max_size=200 * 1024 * 1024)
        front.router.add_route("*", "/{tail:.*}", self._front)
        storage = web.Application()
        storage.router.add_get("/blob/{output_id}", self._storage)
        self._runners = [web.AppRunner(front, access_log=None), web.AppRunner(storage, access_log=None)]
        ports = []
        for runner in self._runners:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            ports.append(runner.addresses[0][1])
        self._ports = (ports[0], ports[1])

    async def _shutdown(self) -> None:
        await self._session.close()
        for runner in self._runners:
            await runner.cleanup()

    # -- the API front ---------------------------------------------------------------------------
    async def _front(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            self.requests.append(Recorded(request.method, request.rel_url.raw_path, dict(request.headers), body))
        if request.path == "/api/object_info" and self.catalog is not None:
            if request.headers.get("X-API-Key") != self.api_key:
                return _error(401, "unauthorized", "Missing or invalid API key.")
            async with self._session.get(self.catalog + "/object_info") as upstream:
                return web.Response(body=await upstream.read(), content_type="application/json")
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "unauthorized", "Missing or invalid API key.")
        path = request.path
        if path == "/api/v2/health":
            return _error(404, "not_found", "Not found.")  # only the proxy has it
        if path == "/api/v2/jobs" and request.method == "POST":
            trouble = self._submit_trouble()
            if trouble is not None:
                return trouble
        if path == "/api/v2/jobs" and request.method == "GET" and not self.lists_jobs:
            return _error(501, "not_implemented", "Listing jobs is not available.")
        if re.fullmatch(r"/api/v2/jobs/[^/]+/events", path) and self.sse_unavailable:
            return _error(501, "not_implemented", "Event streams are not available.")
        if re.fullmatch(r"/api/v2/assets/[^/]+/content", path):
            output_id = path.split("/")[4]
            return web.Response(status=302, headers={
                "Location": f"{self.storage_url}/blob/{quote(output_id)}?X-Signature={SIGNATURE}"})
        if path.endswith("/events"):
            return await self._events(request)
        response = await self._forward(request, body)
        if path == "/api/v2/jobs" and request.method == "POST" and self._take("lose_answers"):
            self.lost_jobs.append(json.loads(response.body)["id"])
            request.transport.close()  # the job exists; its answer never arrives
            return response
        if re.fullmatch(r"/api/v2/jobs/[^/]+", path) and response.status == 200 and self._take("expired_reads"):
            job = json.loads(response.body)
            job["status"] = "expired"
            return web.json_response(job)
        return response

    def _take(self, counter: str) -> bool:
        with self._lock:
            if getattr(self, counter) <= 0:
                return False
            setattr(self, counter, getattr(self, counter) - 1)
            return True

    def _submit_trouble(self) -> web.Response | None:
        if self.out_of_credits:
            return _error(402, "insufficient_credits", "Insufficient credits.")
        if self.stopped:
            return _error(422, "deployment_stopped", "The deployment is stopped.")
        with self._lock:
            if not self._throttles:
                return None
            code, retry_after = self._throttles.pop(0)
        return _error(429, code, f"Try again later ({code}).", {"Retry-After": retry_after})

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = request.host  # the proxy builds its links from it: they then point here
        async with self._session.request(request.method, self.upstream + request.rel_url.raw_path, data=body,
                                         headers=headers, allow_redirects=False) as upstream:
            content = await upstream.read()
            keep = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
            return web.Response(status=upstream.status, body=content, headers=keep)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        headers = {"Host": request.host, "Accept": "text/event-stream"}
        async with self._session.get(self.upstream + request.rel_url.raw_path, headers=headers) as upstream:
            if upstream.status != 200:
                return web.Response(status=upstream.status, body=await upstream.read(),
                                    content_type="application/json")
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            async for line in upstream.content:
                if self.wrong_final_frame and line.startswith(b"data: {\"status\":\"failed\""):
                    line = b'data: {"status":"running"}\n'  # what the proxy sends when it reads too early
                await response.write(line)
            return response

    # -- the storage host ------------------------------------------------------------------------
    async def _storage(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.storage_requests.append(Recorded(request.method, request.rel_url.raw_path, dict(request.headers), b""))
        if request.query.get("X-Signature") != SIGNATURE:
            return web.Response(status=403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        url = f"{self.upstream}/api/v2/assets/{request.match_info['output_id']}/content"
        async with self._session.get(url) as upstream:
            return web.Response(status=upstream.status, body=await upstream.read(),
                                content_type=upstream.headers.get("Content-Type", "application/octet-stream"))


def headers_sent(requests: list[Recorded]) -> Iterator[tuple[str, str]]:
    for recorded in requests:
        yield from recorded.headers.items()
