"""The queue worker: runs prompts one at a time and emits ComfyUI's messages in ComfyUI's order."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .files import annotated_path
from .nodes import NodeCall, run_node
from .plan import ExecutionPlan, is_link
from .prompt_queue import QueueItem
from .validation import exception_type

if TYPE_CHECKING:
    from .context import ServerContext

ALWAYS_RERUN = {"SaveImageWebsocket"}
"""Classes whose ``IS_CHANGED`` differs on every run (never served from cache)."""
FILE_INPUT_CLASSES = {"LoadImage", "LoadImageMask", "LoadImageOutput"}
"""Classes whose ``IS_CHANGED`` hashes the file they load."""


class Interrupted(Exception):
    """``/interrupt`` (or a jobs-API cancel) landed while a node ran."""


class NodeFailure(Exception):
    def __init__(self, node_id: str, class_type: str, error: Exception, inputs: dict[str, Any]) -> None:
        super().__init__(str(error))
        self.node_id, self.class_type, self.error, self.inputs = node_id, class_type, error, inputs


@dataclass
class CacheEntry:
    outputs: tuple
    ui: dict[str, Any] | None


def now_ms() -> int:
    return int(time.time() * 1000)


def _format_value(value: Any) -> Any:
    """How ``execution_error.current_inputs`` shows a value."""
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


class Executor:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.cache: dict[str, CacheEntry] = {}
        self.interrupted = False
        self.client_id: str | None = None
        """``client_id`` of the running prompt."""
        self.last_node: str | None = None
        """The node running now (sent to a socket reconnecting with the running prompt's client id)."""

    async def run(self) -> None:
        """The worker loop (one task, restarted by :meth:`FakeComfyUI.restart`)."""
        queue = self.ctx.queue
        while True:
            task, item = await queue.get()
            started = time.perf_counter()
            self.client_id = item.extra_data.get("client_id")
            run = PromptRun(self.ctx, self, item)
            try:
                status = await run.execute()
            finally:
                self.last_node = None
            outputs, meta = (run.ui, run.meta()) if status["completed"] else ({}, {})
            queue.task_done(task, outputs, meta, status)
            if self.client_id is not None:
                self.ctx.hub.send("executing", {"node": None, "prompt_id": item.prompt_id}, self.client_id)
            self.ctx.logs.info(f"\x1b[32mPrompt executed in {time.perf_counter() - started:.2f} seconds\x1b[0m")

    def interrupt(self) -> None:
        self.interrupted = True


class PromptRun:
    """One execution of a queued prompt."""

    def __init__(self, ctx: ServerContext, executor: Executor, item: QueueItem) -> None:
        self.ctx, self.executor, self.item = ctx, executor, item
        self.prompt_id = item.prompt_id
        self.prompt = item.prompt
        self.client_id = executor.client_id
        self.messages: list[list[Any]] = []
        self.progress: dict[str, dict[str, Any]] = {}
        self.executed: list[str] = []
        self.ui: dict[str, dict[str, Any]] = {}
        self.signatures: dict[str, str] = {}

    # -- messages ------------------------------------------------------------------------------------

    def add_message(self, event: str, data: dict[str, Any], broadcast: bool) -> None:
        """A message kept in history ``status.messages``; sent only to the client unless ``broadcast``."""
        data = {**data, "timestamp": now_ms()}
        self.messages.append([event, data])
        if self.client_id is not None or broadcast:
            self.ctx.hub.send(event, data, self.client_id)

    def to_client(self, event: str, data: dict[str, Any]) -> None:
        if self.client_id is not None:
            self.ctx.hub.send(event, data, self.client_id)

    def set_progress(self, node_id: str, value: float, maximum: float, state: str) -> None:
        self.progress[node_id] = {"value": value, "max": maximum, "state": state, "node_id": node_id,
                                  "prompt_id": self.prompt_id, "display_node_id": node_id,
                                  "parent_node_id": None, "real_node_id": node_id}
        self.ctx.hub.send("progress_state", {"prompt_id": self.prompt_id, "nodes": self.progress}, self.client_id)

    def finish_progress(self, node_id: str) -> None:
        maximum = self.progress.get(node_id, {}).get("max", 1)
        self.set_progress(node_id, maximum, maximum, "finished")

    def check_interrupt(self) -> None:
        if self.executor.interrupted:
            raise Interrupted

    def meta(self) -> dict[str, Any]:
        return {node: {"node_id": node, "display_node": node, "parent_node": None, "real_node_id": node}
                for node in self.ui}

    # -- execution -----------------------------------------------------------------------------------

    async def execute(self) -> dict[str, Any]:
        """Run the prompt; returns the history ``status``."""
        self.executor.interrupted = False
        self.add_message("execution_start", {"prompt_id": self.prompt_id}, broadcast=False)
        for node in self.prompt:
            self._signature(node, frozenset())
        cache = self.executor.cache
        for stale in set(cache) - set(self.signatures.values()):
            del cache[stale]
        cached = [node for node in self.prompt if self.signatures[node] in cache]
        self.add_message("execution_cached", {"nodes": cached, "prompt_id": self.prompt_id}, broadcast=False)
        plan = ExecutionPlan(self.prompt, self.ctx.catalog.is_output, lambda node: self.signatures[node] in cache)
        for output in self.item.outputs:
            plan.add(output)
        try:
            while (node := plan.next()) is not None:
                await self._execute_node(node)
                plan.done(node)
        except Interrupted:
            self.add_message("execution_interrupted", {
                "prompt_id": self.prompt_id, "node_id": self.executor.last_node,
                "node_type": self.prompt[self.executor.last_node]["class_type"], "executed": self.executed,
            }, broadcast=True)
            return self._status(False)
        except NodeFailure as failure:
            self._report(failure)
            return self._status(False)
        self.add_message("execution_success", {"prompt_id": self.prompt_id}, broadcast=False)
        return self._status(True)

    def _status(self, success: bool) -> dict[str, Any]:
        return {"status_str": "success" if success else "error", "completed": success, "messages": self.messages}

    def _report(self, failure: NodeFailure) -> None:
        frames = self.ctx.tracebacks["execution"]
        self.ctx.logs.add(f"\x1b[31m[ERROR]\x1b[0m !!! Exception during processing !!! {failure.error}")
        self.add_message("execution_error", {
            "prompt_id": self.prompt_id, "node_id": failure.node_id, "node_type": failure.class_type,
            "executed": self.executed, "exception_message": f"{failure.error}\n",
            "exception_type": exception_type(failure.error),
            "traceback": frames["node"] + frames.get(failure.class_type, []),
            "current_inputs": {name: [_format_value(value)] for name, value in failure.inputs.items()},
            "current_outputs": list(self.prompt),
        }, broadcast=False)

    def _signature(self, node_id: str, visiting: frozenset[str]) -> str:
        """The cache key: class, ``IS_CHANGED`` and inputs, with links replaced by their source's key
        (memoized in ``self.signatures``; unvalidated orphans may be cyclic or malformed)."""
        if node_id in self.signatures:
            return self.signatures[node_id]
        node = self.prompt[node_id]
        parts: Any = node
        if node_id not in visiting and isinstance(node.get("inputs"), dict):
            parts = [node["class_type"], self._is_changed(node)]
            for name, value in sorted(node["inputs"].items()):
                if is_link(value) and value[0] in self.prompt:
                    value = [self._signature(value[0], visiting | {node_id}), value[1]]
                parts.append([name, value])
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        return self.signatures.setdefault(node_id, digest)

    def _is_changed(self, node: dict[str, Any]) -> str | None:
        if node["class_type"] in ALWAYS_RERUN:
            return uuid.uuid4().hex
        if node["class_type"] in FILE_INPUT_CLASSES:
            path = annotated_path(self.ctx.dirs, str(node["inputs"].get("image")))
            return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        return None

    def _inputs(self, node_id: str) -> dict[str, Any]:
        resolved = {}
        for name, value in self.prompt[node_id]["inputs"].items():
            if is_link(value) and value[0] in self.prompt:
                value = self.executor.cache[self.signatures[value[0]]].outputs[int(value[1])]
            resolved[name] = value
        return resolved

    async def _execute_node(self, node_id: str) -> None:
        class_type = self.prompt[node_id]["class_type"]
        entry = self.executor.cache.get(self.signatures[node_id])
        if entry is not None:
            self.to_client("executed", {"node": node_id, "display_node": node_id,
                                        "output": entry.ui, "prompt_id": self.prompt_id})
            if entry.ui is not None:
                self.ui[node_id] = entry.ui
            self.finish_progress(node_id)
            return
        self.set_progress(node_id, 0.0, 1.0, "running")
        self.to_client("executing", {"node": node_id, "display_node": node_id, "prompt_id": self.prompt_id})
        self.executor.last_node = node_id
        while self.ctx.faults.hold_execution and not self.executor.interrupted and not self.ctx.stopping.is_set():
            await self.ctx.sleep(0.01)
        self.check_interrupt()
        inputs = self._inputs(node_id)
        await self.ctx.sleep(self.ctx.config.exec_delay)

        async def progress(value: int, maximum: int, preview: bytes | None) -> None:
            await self._tick(node_id, value, maximum, preview)

        call = NodeCall(node_id, class_type, inputs, self.ctx.catalog.output_types(class_type), self.prompt,
                        self.item.extra_data.get("extra_pnginfo"), self.ctx.dirs, progress,
                        tuple(self.ctx.config.sampler_previews or ()))
        try:
            result = await run_node(call)
        except Interrupted:
            raise
        except Exception as error:
            raise NodeFailure(node_id, class_type, error, inputs) from error
        self.executor.cache[self.signatures[node_id]] = CacheEntry(result.outputs, result.ui)
        self.executed.append(node_id)
        if result.ui is not None:
            self.ui[node_id] = result.ui
            self.to_client("executed", {"node": node_id, "display_node": node_id,
                                        "output": result.ui, "prompt_id": self.prompt_id})
        self.finish_progress(node_id)

    async def _tick(self, node_id: str, value: int, maximum: int, preview: bytes | None) -> None:
        """A ProgressBar update: ``progress_state``, then ``progress`` (with preview frames around it)."""
        await self.ctx.sleep(self.ctx.config.progress_steps_delay)
        self.check_interrupt()
        self.set_progress(node_id, value, maximum, "running")
        hub = self.ctx.hub
        metadata = {"node_id": node_id, "prompt_id": self.prompt_id, "display_node_id": node_id,
                    "parent_node_id": None, "real_node_id": node_id,
                    "image_type": "image/jpeg" if preview and preview.startswith(b"\xff\xd8") else "image/png"}
        if preview is not None:
            hub.send_preview(preview, metadata, self.client_id, with_metadata=True)
        hub.send("progress", {"value": value, "max": maximum, "prompt_id": self.prompt_id, "node": node_id},
                 self.client_id)
        if preview is not None:
            hub.send_preview(preview, metadata, self.client_id, with_metadata=False)

