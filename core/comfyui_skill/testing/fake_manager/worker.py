"""The Manager's queue worker: runs queued tasks one by one after ``queue/start`` and reports them.

4.x (default UI) sends ``cm-task-started``/``cm-task-completed`` only to the socket whose client id
is the task's ``client_id``, records each task in the history and broadcasts
``cm-queue-status {"status": "all-done"}`` at the end. 3.x and the 4.x legacy UI broadcast
``cm-queue-status`` ``in_progress`` per task and, at the end, every result in one ``done`` (3.x) or
``batch-done`` followed by ``all-done`` (4.x legacy UI, as a real 4.2.2 sends them).
"""

from __future__ import annotations

import asyncio
import copy
import datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from .state import ManagerState, Pack, Task

MODEL_TYPE_FOLDERS = {
    "checkpoint": "checkpoints", "checkpoints": "checkpoints", "lora": "loras", "loras": "loras", "vae": "vae",
    "clip": "text_encoders", "text_encoders": "text_encoders", "unet": "diffusion_models",
    "diffusion_model": "diffusion_models", "controlnet": "controlnet", "upscale": "upscale_models",
    "embeddings": "embeddings", "clip_vision": "clip_vision", "gligen": "gligen",
}
"""``save_path: "default"``: the folder a model ``type`` goes to (else ``etc``)."""
UI_TARGETS = {"install-model": "model_manager"}


class Host(Protocol):
    """What the worker needs from the fake ComfyUI (its ``ServerContext``)."""

    models: dict[str, list[str]]
    hub: Any
    dirs: Any
    logs: Any

    async def sleep(self, seconds: float) -> None: ...


def now() -> str:
    return datetime.datetime.now().isoformat()


class Worker:
    def __init__(self, state: ManagerState, host: Host) -> None:
        self.state = state
        self.host = host
        self._task: asyncio.Task | None = None
        self._results: dict[str, dict[str, str]] = {"nodepack_result": {}, "model_result": {}}

    @property
    def is_processing(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start the worker (False: it is already running). It stops once the queue is empty."""
        if self.is_processing:
            return False
        self._results = {"nodepack_result": {}, "model_result": {}}
        self.state.batch_total = self.state.done_count + len(self.state.pending)
        self._task = asyncio.create_task(self._run(self.state.next_batch_id()))
        return True

    async def _run(self, batch_id: str) -> None:
        state = self.state
        while state.pending:
            task = state.running = state.pending.pop(0)
            self._report_started(task)
            await self.host.sleep(state.task_delay)
            result, status = await self._execute(task)
            state.running = None
            state.done_count += 1
            self._report_completed(task, result, status, batch_id)
        if state.dialect == "4-legacy":  # as 4.2.2's legacy UI: the batch's results, then all-done
            self.host.hub.send("cm-queue-status", {"status": "batch-done", **self._results, **self._counts(),
                                                   "batch_id": None, "remaining_batch_count": 1})
        elif not state.is_v4:
            self.host.hub.send("cm-queue-status", {"status": "done", **self._results, **self._counts()})
        if state.is_v4:
            self.host.hub.send("cm-queue-status", {"status": "all-done"})

    def _counts(self) -> dict[str, int]:
        return {"total_count": self.state.batch_total, "done_count": self.state.done_count}

    def _snapshot(self) -> dict[str, Any]:
        state = self.state
        return {"history": copy.deepcopy(state.history),
                "running_queue": [_task_dict(state.running)] if state.running else [],
                "pending_queue": [_task_dict(task) for task in state.pending],
                "installed_packs": {name: pack.installed_entry() for name, pack in state.installed.items()}}

    def _report_started(self, task: Task) -> None:
        if self.state.dialect == "4":
            self.host.hub.send("cm-task-started", {"ui_id": task.ui_id, "kind": task.kind, "timestamp": now(),
                                                   "state": self._snapshot()}, sid=task.client_id)
        else:
            self.host.hub.send("cm-queue-status", {"status": "in_progress", "target": task.ui_id,
                                                   "ui_target": UI_TARGETS.get(task.kind, "nodepack_manager"),
                                                   **self._counts()})

    def _report_completed(self, task: Task, result: str, status: dict[str, Any], batch_id: str) -> None:
        if not self.state.results_reported:
            return
        timestamp = now()
        self.state.history[task.ui_id] = {
            "ui_id": task.ui_id, "client_id": task.client_id, "kind": task.kind, "timestamp": timestamp,
            "result": result, "status": status, "batch_id": batch_id, "end_time": timestamp, "params": task.params,
            **self.state.history_fields}
        if self.state.dialect == "4":
            self.host.hub.send("cm-task-completed", {"ui_id": task.ui_id, "result": result, "kind": task.kind,
                                                     "status": status, "timestamp": timestamp,
                                                     "state": self._snapshot()}, sid=task.client_id)
        else:
            key = "model_result" if task.kind == "install-model" else "nodepack_result"
            self._results[key][task.ui_id] = result

    async def _execute(self, task: Task) -> tuple[str, dict[str, Any]]:
        """``(result, status)``: ``"success"``, an error text, or a bare ``"failed"`` for a security denial
        (whose reason Manager 4 only logs)."""
        if self.state.dialect == "4":
            denial = self.state.denial(risk_of(self.state, task))
            if denial is not None:
                self.host.logs.add(denial)
                return "failed", {"status_str": "error", "completed": True, "messages": ["failed"]}
        action = {"install": self._install, "install-model": self._install_model, "uninstall": self._uninstall,
                  "disable": self._set_enabled, "enable": self._set_enabled, "update": self._update}.get(task.kind)
        error = await action(task) if action else f"Unsupported task kind: {task.kind}"
        if error is None:
            return "success", {"status_str": "success", "completed": True, "messages": []}
        return error, {"status_str": "error", "completed": True, "messages": [error]}

    async def _install(self, task: Task) -> str | None:
        params = task.params
        url = git_url(params)
        if url is not None:
            pack = self.state.repositories.get(url)
            if pack is None:
                return f"Install(git-clone) error[2]: {url} / Cmd('git') failed due to: exit code(128)"
        else:
            target = f"{params.get('id')}@{params.get('selected_version') or 'latest'}"
            pack = self.state.registry.get(str(params.get("id"))) if self.state.registry_online else None
            if pack is None:
                return f"Cannot resolve install target: '{target}'"
        installed = self.state.installed.get(pack.id)
        if installed is not None and not installed.enabled and params.get("skip_post_install"):
            installed.enabled = True
            return None
        self.state.installed[pack.id] = copy.deepcopy(pack)
        return None

    async def _install_model(self, task: Task) -> str | None:
        params = task.params
        url, filename = str(params.get("url")), str(params.get("filename"))
        folder = model_folder(params)
        try:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                response.raise_for_status()
                content = await response.read()
        except (aiohttp.ClientError, ValueError, OSError):
            return f"Model installation error: {url}"
        target = Path(self.host.dirs.base) / "models" / folder / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files = self.host.models.setdefault(folder, [])
        if filename not in files:
            files.append(filename)
        return None

    def _pack(self, task: Task) -> Pack | None:
        params = task.params
        name = params.get("node_name") or params.get("cnr_id") or params.get("id")
        return self.state.installed.get(str(name))

    async def _uninstall(self, task: Task) -> str | None:
        pack = self._pack(task)
        if pack is None:
            return f"Node pack not installed: {task.params}"
        del self.state.installed[pack.id]
        return None

    async def _set_enabled(self, task: Task) -> str | None:
        pack = self._pack(task)
        if pack is None:
            return f"Node pack not installed: {task.params}"
        pack.enabled = task.kind == "enable"
        return None

    async def _update(self, task: Task) -> str | None:
        pack = self._pack(task)
        if pack is None:
            return f"Node pack not installed: {task.params}"
        latest = self.state.registry.get(pack.id) if self.state.registry_online else None
        if pack.cnr and latest is None:
            return f"Cannot resolve install target: '{pack.id}@latest'"
        if latest is not None:
            pack.version = latest.version
        return None


def _task_dict(task: Task | None) -> dict[str, Any]:
    assert task is not None
    return {"ui_id": task.ui_id, "client_id": task.client_id, "kind": task.kind, "params": task.params}


def git_url(params: dict[str, Any]) -> str | None:
    """The git URL an install task clones from (nightly with a repository, or a 3.x ``files`` entry)."""
    if params.get("selected_version") == "nightly" and params.get("repository"):
        return str(params["repository"])
    files = params.get("files")
    if params.get("version") == "unknown" and isinstance(files, list) and files:
        return str(files[0])
    return None


def model_folder(params: dict[str, Any]) -> str:
    save_path = str(params.get("save_path") or "default")
    if save_path != "default":
        return "etc" if save_path.startswith("/") or ".." in save_path else save_path
    return MODEL_TYPE_FOLDERS.get(str(params.get("type")).lower(), "etc")


def risk_of(state: ManagerState, task: Task) -> str:
    """The security risk the Manager assigns to a task (``is_allowed_security_level``)."""
    if task.kind == "install":
        url = git_url(task.params)
        if url is not None and url not in state.mappings:
            return "high+" if state.is_v4 else "high"
        return "middle+" if state.is_v4 else "middle"
    if task.kind == "install-model":
        return "middle+" if state.is_v4 else "middle"
    return "middle"
