"""The Manager's HTTP API in the detected dialect: what is installed, the queue, and its payloads.

Payloads are complete, as the Manager's own UI sends them (a missing ``version``/``channel``/``mode``
is a 500 on 3.x), and every item carries a unique ``ui_id``; 4.x also needs our WebSocket ``client_id``.
Refusals while queueing (403, 404 for risky packs, 400) mark the item failed with the server's words.
"""

from __future__ import annotations

from typing import Any

from comfyui_skill import AuthError, ComfyClient, NotFoundError, ServerError, UnreachableError

from .dialect import Dialect
from .items import Item

CHANNEL = "default"
MODE = "cache"
SECURITY_TEXT = "A security error has occurred"
LEGACY_BATCH_KEYS = {"install": "install", "install-model": "install_model", "uninstall": "uninstall",
                     "update": "update", "disable": "disable", "enable": "install"}


class ManagerClient:
    def __init__(self, client: ComfyClient, dialect: Dialect, client_id: str) -> None:
        self.client = client
        self.dialect = dialect
        self.client_id = client_id
        self._batch: dict[str, list[dict[str, Any]]] = {}
        self._batched: list[Item] = []

    def route(self, tail: str) -> str:
        return self.dialect.prefix + tail

    @property
    def task_api(self) -> bool:
        """4.x default UI: tasks, per-client WebSocket events and a history."""
        return self.dialect.name == "4"

    # -- reading

    def installed(self) -> dict[str, Any]:
        """Installed node packs: directory name -> ``{ver, cnr_id, aux_id, enabled}``."""
        return self.client.get_json(self.route("/customnode/installed"), expect=dict)

    def mappings(self) -> dict[str, Any]:
        """Node pack (registry id or git URL) -> ``[[class names], {...}]``, from the Manager's local database."""
        found = self.client.get_json(self.route("/customnode/getmappings"), query={"mode": "local"},
                                     missing_ok=True)
        return found if isinstance(found, dict) else {}

    def model_list(self) -> list[dict[str, Any]]:
        """3.x and 4.x legacy UI: the models the Manager may install (``model-list.json``)."""
        found = self.client.get_json(self.route("/externalmodel/getlist"), query={"mode": "cache"},
                                     missing_ok=True)
        models = found.get("models") if isinstance(found, dict) else None
        return [m for m in models or [] if isinstance(m, dict)]

    def status(self) -> dict[str, Any]:
        return self.client.get_json(self.route("/manager/queue/status"), query={"client_id": self.client_id}
                                    if self.task_api else None, expect=dict)

    def history(self, ui_id: str) -> dict[str, Any] | None:
        """4.x: the finished task ``ui_id`` (None while it is not finished)."""
        found = self.client.get_json(self.route("/manager/queue/history"), query={"ui_id": ui_id}, missing_ok=True)
        entry = found.get("history") if isinstance(found, dict) else None
        return entry if isinstance(entry, dict) and entry.get("ui_id") == ui_id else None

    # -- the queue

    def action(self, tail: str) -> Any:
        """``queue/start``, ``queue/reset``, ``reboot``: POST without a body (GET up to Manager 3.39)."""
        return self.client.request("POST" if self.dialect.posts_actions else "GET", self.route(tail),
                                   idempotent=False)  # never repeated: a second reboot would hit the new process

    def reset(self) -> None:
        self._check(self.action("/manager/queue/reset"), "/manager/queue/reset")

    def start(self) -> None:
        """Start the worker (a 4.x legacy batch starts it itself when it is sent)."""
        if self.dialect.name == "4-legacy":
            self._send_batch()
            return
        self._check(self.action("/manager/queue/start"), "/manager/queue/start")

    def enqueue(self, item: Item) -> None:
        """Queue ``item``; a refusal marks it failed (4.x legacy: collected, sent by :meth:`start`)."""
        if self.dialect.name == "4-legacy":
            self._batch.setdefault(LEGACY_BATCH_KEYS[item.kind], []).append(self._legacy_payload(item))
            self._batched.append(item)
            item.status = "queued"
            return
        if self.task_api and item.is_model:
            route, payload = "/manager/queue/install_model", {"client_id": self.client_id, "ui_id": item.ui_id,
                                                              **item.model}
        elif self.task_api:
            route, payload = "/manager/queue/task", {"ui_id": item.ui_id, "client_id": self.client_id,
                                                     "kind": item.kind, "params": self._task_params(item)}
        else:
            route = "/manager/queue/" + ("install" if item.kind == "enable" else item.kind.replace("-", "_"))
            payload = self._legacy_payload(item)
        try:
            response = self.client.request("POST", self.route(route), json=payload)
        except AuthError:  # 403: ComfyClient words it as a credentials problem; here it is the Manager's policy
            item.fail(f"the Manager refused to queue it (HTTP 403: {SECURITY_TEXT.lower()})", denied=True)
            return
        if 200 <= response.status < 300:
            item.status = "queued"
            return
        text = response.text.strip()[:300]
        denied = response.status in (403, 404) and SECURITY_TEXT in text
        item.fail(f"the Manager refused to queue it (HTTP {response.status}: {text or 'no reason given'})",
                  denied=denied)

    def _send_batch(self) -> None:
        if not self._batch:
            return
        route = self.route("/manager/queue/batch")
        answer = self.client.post(route, self._batch)
        body = answer.json() if answer.content else {}
        if not isinstance(body, dict):
            raise ServerError(f"the Manager answered {route} with {answer.text.strip()[:60]} where an object "
                              "was expected", details={"route": route})
        failed = body.get("failed")
        refused = {str(x) for x in failed or []}
        for item in self._batched:
            if item.ui_id in refused or str(item.pack.get("id")) in refused:
                item.fail("the Manager refused to queue it (listed as failed by queue/batch: its security "
                          "policy or an invalid request)", denied=None)
        self._batch, self._batched = {}, []

    def _check(self, response: Any, route: str) -> None:
        if not 200 <= response.status < 300:
            raise ServerError(f"the Manager answered {route} with HTTP {response.status}: "
                              f"{response.text.strip()[:200]}", details={"status": response.status})

    # -- payloads

    def _task_params(self, item: Item) -> dict[str, Any]:
        pack = item.pack
        if item.kind == "install":
            if pack.get("repository"):
                return {"id": pack["id"], "version": "nightly", "selected_version": "nightly",
                        "repository": pack["repository"], "mode": MODE, "channel": CHANNEL}
            return {"id": pack["id"], "version": "latest", "selected_version": "latest", "mode": MODE,
                    "channel": CHANNEL}
        if item.kind == "enable":
            return {"cnr_id": pack["id"]}
        if item.kind == "update":
            return {"node_name": pack["id"], "node_ver": pack.get("version")}
        return {"node_name": pack["id"], "is_unknown": not pack.get("cnr", True)}

    def _legacy_payload(self, item: Item) -> dict[str, Any]:
        """The 3.x body: the pack object the Manager's UI posts, plus its UI fields."""
        if item.is_model:  # "id": what a 4.x legacy batch names a refused item by
            return {**item.model, "ui_id": item.ui_id, "id": item.ui_id}
        pack = item.pack
        body: dict[str, Any] = {"id": pack["id"], "ui_id": item.ui_id, "channel": CHANNEL, "mode": MODE}
        if pack.get("repository"):
            body.update(version="unknown", selected_version="unknown", files=[pack["repository"]])
        else:
            body.update(version=pack.get("version") or "latest", selected_version="latest")
        if item.kind in ("install", "enable"):
            body["skip_post_install"] = item.kind == "enable"
        return body

    # -- reboot

    def reboot(self) -> bool:
        """Ask the Manager to restart ComfyUI; True when it was refused by the security policy.
        The process restarts at once, so a dropped connection (or no answer) is the normal outcome."""
        try:
            response = self.action("/manager/reboot")
        except AuthError:
            return True
        except (UnreachableError, ServerError):
            return False
        if response.status == 403:
            return True
        if response.status == 404 or response.status == 405:
            raise NotFoundError(f"the Manager has no {self.route('/manager/reboot')} route (HTTP {response.status})")
        return False
