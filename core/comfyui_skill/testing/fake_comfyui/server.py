"""``FakeComfyUI``: the server's lifecycle on a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from ..fake_manager import ManagerRuntime, ManagerState
from .app import build_app
from .catalog import Catalog
from .context import DEFAULT_MAX_UPLOAD_SIZE, Config, ServerContext
from .faults import Faults
from .files import Dirs, load_data, read_json
from .recording import RecordedRequest, RequestLog

T = TypeVar("T")
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 1.0
_server_log = logging.getLogger(__name__)
"""aiohttp's per-request error log (500s are expected here); kept out of the test output."""
_server_log.addHandler(logging.NullHandler())
_server_log.propagate = False


class _ConfigField:
    """A ``FakeComfyUI`` attribute kept in its ``Config``, which the running server reads live."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: FakeComfyUI | None, owner: type | None = None) -> Any:
        return self if instance is None else getattr(instance.config, self.name)

    def __set__(self, instance: FakeComfyUI, value: Any) -> None:
        setattr(instance.config, self.name, value)


@functools.cache
def recorded_catalog() -> dict[str, Any]:
    """The recorded ComfyUI 0.33 ``/object_info`` (shared by every instance, never mutated)."""
    return load_data("object_info.json.gz")


class FakeComfyUI:
    """A fake ComfyUI 0.33 server listening on ``127.0.0.1`` (ephemeral port) in a background thread.

    ``object_info`` is the node catalog prompts are validated against: None for the recorded
    887 classes, a dict, or a path to a ``.json``/``.json.gz`` file. ``require_token`` makes every
    request (and the WebSocket upgrade) need ``Authorization: Bearer <token>``. ``api_prefix_only``
    serves the core routes only under ``/api/...``. ``ssl_context`` serves HTTPS and ``wss://`` instead
    (``url`` and ``ws_url`` follow). ``manager`` attaches a fake ComfyUI-Manager in that dialect
    (``"4"``, ``"4-legacy"``, ``"3"``, ``"3.39"``; see ``comfyui_skill.testing.fake_manager``), whose
    knobs and state are ``self.manager``. ``port`` listens on that port instead of an ephemeral one
    (a stand-in ComfyUI started with ``--port``).
    """

    def __init__(self, object_info: dict[str, Any] | str | os.PathLike | None = None, *,
                 require_token: str | None = None, api_prefix_only: bool = False,
                 max_upload_size: int = DEFAULT_MAX_UPLOAD_SIZE, ssl_context: ssl.SSLContext | None = None,
                 manager: str | None = None, port: int = 0) -> None:
        self._ssl_context = ssl_context
        self._requested_port = port
        self.manager = ManagerState(manager) if manager is not None else None
        self._site: web.TCPSite | None = None
        if object_info is None:
            self._classes = recorded_catalog()
        else:
            self._classes = object_info if isinstance(object_info, dict) else read_json(Path(object_info))
        self.config = Config(require_token=require_token, api_prefix_only=api_prefix_only,
                             max_upload_size=max_upload_size)
        self.faults = Faults()
        self._models: dict[str, list[str]] = {name: [] for name in load_data("folder_paths.json")}
        self._requests = RequestLog()
        self._dirs: Dirs | None = None
        self._ctx: ServerContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []

    # -- knobs ---------------------------------------------------------------------------------------

    @property
    def models(self) -> dict[str, list[str]]:
        """Model file names per folder (``/models``, ``/models/{folder}``, loader combos). Mutable at
        any time; assigning a new dict replaces the contents."""
        return self._models

    @models.setter
    def models(self, value: dict[str, list[str]]) -> None:
        self._models.clear()
        self._models.update(value)

    exec_delay = _ConfigField("Seconds each executed (not cached) node takes (default 0).")
    progress_steps_delay = _ConfigField(
        "Seconds per progress tick of progress-emitting nodes (ColorTransfer, SaveImageWebsocket, KSampler; "
        "default 0.01).")
    sampler_previews = _ConfigField(
        "The live previews a sampler (KSampler, KSamplerAdvanced) sends, one per step in order, the last one again "
        "past the end (default: a small PNG whose colour changes with the step); any bytes, e.g. a JPEG or garbage.")
    preview_metadata = _ConfigField(
        "Whether a client announcing ``supports_preview_metadata`` gets type-4 preview frames (default True; "
        "False is a ComfyUI from before the flag, sending type 1 to everyone).")
    max_upload_size = _ConfigField("Request bodies larger than this get 413 (``--max-upload-size``, 100 MB).")

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> FakeComfyUI:
        if self._thread is not None:
            raise RuntimeError("FakeComfyUI is already started")
        self._dirs = Dirs.create()
        self._loop = asyncio.new_event_loop()
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._serve, name="fake-comfyui", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT):
            raise TimeoutError("the fake ComfyUI did not start")
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            self._dirs.remove()
            raise self._startup_error
        return self

    def _serve(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:
            self._startup_error = error
            loop.run_until_complete(self._shutdown())
        self._ready.set()
        if self._startup_error is None:
            loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    async def _startup(self) -> None:
        assert self._dirs is not None
        ctx = self._ctx = ServerContext(self.config, self.faults, self._requests, self._dirs, self._models,
                                        self._loaded_classes())
        if self.manager is not None:
            ctx.manager = ManagerRuntime(self.manager, ctx)
            ctx.reboot = self._reboot
        self._runner = web.AppRunner(build_app(ctx), access_log=None, logger=_server_log,
                                     shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port, ssl_context=self._ssl_context)
        await self._site.start()
        ctx.port = self._runner.addresses[0][1]
        self._tasks = [asyncio.create_task(ctx.hub.run()), asyncio.create_task(ctx.executor.run())]

    def _loaded_classes(self) -> dict[str, Any]:
        """The catalog plus the classes of the node packs the Manager has installed and enabled."""
        return {**self._classes, **self.manager.loaded_classes()} if self.manager is not None else self._classes

    async def _reboot(self) -> None:
        """A restart through the Manager: the server stops listening and drops every connection,
        ``manager.reboot_delay`` later it listens again on the same port with the node packs loaded."""
        ctx = self._context()
        assert self._site is not None and self._runner is not None and self.manager is not None
        ctx.rebooting = True
        await self._site.stop()
        await self._restart(lose_queue=True)
        await ctx.sleep(self.manager.reboot_delay)
        ctx.catalog = Catalog(self._loaded_classes(), ctx.dirs, ctx.models)
        ctx.manager.rebooted()
        self._site = web.TCPSite(self._runner, "127.0.0.1", ctx.port, ssl_context=self._ssl_context)
        await self._site.start()
        ctx.rebooting = False

    def wait_rebooted(self, timeout: float = 30) -> None:
        """Block until a reboot the Manager started has finished."""
        task = self._call(lambda ctx: ctx.manager.reboot_task)
        if task is None:
            raise RuntimeError("no reboot was requested")
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(task), timeout), self._loop).result()

    async def _shutdown(self) -> None:
        if self._ctx is not None:
            self._ctx.stopping.set()
            await self._ctx.hub.close_all()
        await _cancel(self._tasks)
        if self._runner is not None:
            await self._runner.cleanup()
        await _cancel([task for task in asyncio.all_tasks() if task is not asyncio.current_task()])

    def stop(self) -> None:
        """Stop listening, close sockets, join the thread and delete the temporary directories."""
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None
        self._ctx = None
        if self._dirs is not None:
            self._dirs.remove()

    def __enter__(self) -> FakeComfyUI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- accessors (safe from any thread) -----------------------------------------------------------

    def _context(self) -> ServerContext:
        if self._ctx is None:
            raise RuntimeError("FakeComfyUI is not running")
        return self._ctx

    def _call(self, function: Callable[[ServerContext], T]) -> T:
        """Run ``function(ctx)`` on the server's loop and wait for its result."""
        ctx = self._context()

        async def call() -> T:
            return function(ctx)
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()

    @property
    def port(self) -> int:
        return self._context().port

    @property
    def url(self) -> str:
        return f"http{'s' if self._ssl_context else ''}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:PORT/ws`` (``wss://`` with ``ssl_context``, ``.../api/ws`` with ``api_prefix_only``)."""
        return f"ws{'s' if self._ssl_context else ''}://127.0.0.1:{self.port}{'/api' if self.config.api_prefix_only else ''}/ws"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every HTTP request received so far (including WebSocket upgrades)."""
        return self._requests.snapshot()

    @property
    def ws_clients(self) -> list[str]:
        """Client ids of the sockets connected now."""
        return self._call(lambda ctx: list(ctx.hub.clients))

    @property
    def input_dir(self) -> Path:
        return self._context().dirs.input

    @property
    def output_dir(self) -> Path:
        return self._context().dirs.output

    @property
    def temp_dir(self) -> Path:
        return self._context().dirs.temp

    def history_ids(self) -> list[str]:
        """Prompt ids in history, oldest first."""
        return self._call(lambda ctx: list(ctx.queue.history))

    def queue_snapshot(self) -> dict[str, list]:
        """``{"queue_running": [...], "queue_pending": [...]}`` exactly as ``GET /queue`` shows it."""
        return self._call(lambda ctx: copy.deepcopy(ctx.queue.snapshot()))

    def peak_queued(self) -> int:
        """The most prompts that were queued or running at once since the server started."""
        return self._call(lambda ctx: ctx.queue.peak)

    def add_log(self, message: str) -> None:
        """Append a log line (pushed to sockets subscribed through ``/internal/logs/subscribe``)."""
        self._call(lambda ctx: ctx.logs.add(message))

    def wait_running(self, prompt_id: str | None = None, timeout: float = 30) -> str:
        """Block until a prompt (``prompt_id``, else any) is executing; its id. Raises TimeoutError
        otherwise. With ``faults.hold_execution`` it then stays running until released."""
        end = time.monotonic() + timeout
        while True:
            running = [item[1] for item in self.queue_snapshot()["queue_running"]]
            if running and (prompt_id is None or prompt_id in running):
                return running[0] if prompt_id is None else prompt_id
            if time.monotonic() > end:
                raise TimeoutError(f"no prompt{f' {prompt_id}' if prompt_id else ''} ran within {timeout} s")
            time.sleep(0.01)

    def wait_idle(self, timeout: float = 30) -> None:
        """Block until nothing is queued or running; raises TimeoutError otherwise."""
        if not self._context().idle.wait(timeout):
            raise TimeoutError(f"the fake ComfyUI queue did not drain within {timeout} s")

    def restart(self, lose_queue: bool = True) -> None:
        """Simulate a server restart on the same port: every socket is closed and log subscriptions end;
        with ``lose_queue`` the running prompt is dropped and the queue, history and cache are forgotten."""
        self._context()
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._restart(lose_queue), self._loop).result()

    async def _restart(self, lose_queue: bool) -> None:
        ctx = self._context()
        await ctx.hub.close_all()
        ctx.logs.subscribers.clear()
        if not lose_queue:
            return
        await _cancel(self._tasks[1:])
        ctx.executor.last_node = None
        ctx.executor.cache.clear()
        ctx.queue.pending.clear()
        ctx.queue.running.clear()
        ctx.queue.history.clear()
        ctx.idle.set()
        self._tasks[1:] = [asyncio.create_task(ctx.executor.run())]


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
