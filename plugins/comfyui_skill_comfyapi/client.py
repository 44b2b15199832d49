"""The client of a Comfy API v2 server: the calls every command makes, mapped onto jobs and assets.

``run``, ``submit``, ``status``, ``wait``, ``cancel`` and ``upload`` speak to every server through
:class:`comfyui_skill.ComfyClient`; this subclass answers its calls from the v2 API, in the shapes a
local ComfyUI gives (a job reads like the jobs API of ComfyUI >= 0.6, its outputs like a history
entry), so the run logic stays the same for every kind:

* ``submit`` is ``POST /jobs`` with the caller's prompt id as ``Idempotency-Key`` (and, where the
  surface keeps it, as the job's ``metadata``, so a submission whose answer was lost can be found);
* a job reported ``expired`` is read as unknown: the proxy reports a job it lost track of for a
  moment (or a queued one we cancelled) that way, and the follower's "unknown three times" rule
  and the journal sort out which it was;
* outputs are downloaded through the links the job gives (a 302 to signed storage is followed
  without credentials, as for every download);
* what the API has no endpoint for (node catalog, models, logs, the server's queue on Cloud ...)
  is refused with one line naming the limitation.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urljoin

from comfyui_skill import (CliError, ComfyClient, NotFoundError, PaymentRequired, RejectedError, ServerError,
                           UnreachableError, UnsupportedError, UsageError, new_prompt_id)

from . import COMFYUI_URL, assets
from .backend import ComfyApiBackend
from .events import JobEvents

#: Job statuses of v2 as the jobs API of a local ComfyUI spells them (what ``probe`` reads).
_STATUS = {"queued": "pending", "running": "in_progress", "canceling": "in_progress", "succeeded": "completed",
           "failed": "failed", "canceled": "cancelled"}
#: Output types of v2 and the history key a local ComfyUI files them under.
_KINDS = {"image": "images", "video": "video", "audio": "audio", "text": "text", "latent": "latents"}
#: What a job's ``metadata`` says when comfyui-skill submitted it (a self-hosted proxy keeps it).
TAG = "comfyui-skill:"
#: Jobs looked through for a lost submission.
FIND_LIMIT = 100


class ComfyApiClient(ComfyClient):
    """REST access to one Comfy API v2 server."""

    backend: ComfyApiBackend
    jobs_are_authoritative = True

    # ----------------------------------------------------------------- plumbing
    def api(self, method: str, route: str, **kwargs: Any) -> Any:
        """One v2 request: its JSON answer, or the CliError its error envelope stands for."""
        response = self.request(method, route, **kwargs)
        if 200 <= response.status < 300:
            return response.json() if response.content else None
        raise self._error(response.status, response.content, dict(response.headers))

    def _error(self, status: int, content: bytes, headers: Mapping[str, str]) -> CliError:
        code, message, details = _envelope(content)
        name = self.server_name
        said = f"server {name!r}: {message or f'HTTP {status}'}"
        info = {"status": status, "code": code}
        if status == 402:
            return PaymentRequired(f"{said} (insufficient credits)", details=info,
                                   hint="add credits at https://platform.comfy.org, then run again")
        if status == 404:
            return NotFoundError(said, details=info)
        if code == "invalid_workflow":
            return RejectedError(f"server {name!r} rejected the workflow: {message}",
                                 details={"error": {"type": code, "message": message},
                                          "node_errors": (details or {}).get("node_errors") or {}})
        if code == "workflow_format_ui":
            return UsageError(said, hint="comfyui-skill converts editor workflows itself: give the file to "
                                         "'comfyui-skill run', or convert it with 'comfyui-skill workflow convert'")
        if code == "deployment_stopped":
            return ServerError(f"server {name!r}: the Serverless deployment is stopped",
                               hint="start it again in the Comfy dashboard, then run again", details=info)
        if status == 429:
            wait = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
            error = ServerError(f"{said}" + (f"; it asks to retry after {wait} s" if wait else ""),
                                code="rate_limited", details={**info, "retry_after": wait})
            return error
        if status in (400, 409, 413, 422):
            return RejectedError(said, details=info)
        return ServerError(said, details=info)

    def _unsupported(self, what: str) -> UnsupportedError:
        surface = self.backend.surface_name
        return UnsupportedError(f"server {self.server_name!r} ({surface}, Comfy API v2) cannot {what}: "
                          "the v2 API has no endpoint for it",
                          details={"surface": self.backend.surface, "unsupported": what})

    # ----------------------------------------------------------------- server info
    def system_stats(self) -> dict[str, Any]:
        """What ``server status`` shows: the surface and whether our key is accepted.

        The proxy has a health route; elsewhere a job that cannot exist is asked for: 404 says the
        key was accepted (401/403 raise AuthError) at the cost of nothing."""
        surface = self.backend.surface
        info: dict[str, Any] = {"surface": surface, "surface_name": self.backend.surface_name, "api": "v2"}
        if surface == "self-hosted":
            health = self.api("GET", "/health")
            info["health"] = health.get("status") if isinstance(health, dict) else None
        try:
            self.api("GET", f"/jobs/{new_prompt_id()}")
        except NotFoundError:
            pass
        info["credential"] = self.backend.credential_summary()
        return {"system": {"comfy_api": info}, "devices": [], "surface": surface}

    def features(self) -> dict[str, Any]:
        return {}

    def object_info(self, class_type: str | None = None) -> dict[str, Any]:
        """The node catalog, where one can be had: Comfy Cloud serves it on its ComfyUI-compatible
        route with the same key; a self-hosted proxy's ComfyUI may be named by ``comfyui_url``."""
        surface = self.backend.surface
        catalog_url = COMFYUI_URL.value_of(self.backend.server)
        if surface == "cloud":
            key = self.backend.api_key()[0]
            url, credentials = f"{self.backend.base_url}/api/object_info", ({"X-API-Key": key} if key else {})
        elif catalog_url:
            url, credentials = f"{str(catalog_url).rstrip('/')}/object_info", {}
        else:
            error = self._unsupported("describe its node classes")
            error.hint = (f"name a ComfyUI with the same nodes: 'comfyui-skill config set "
                          f"servers.{self.server_name}.comfyui_url URL' (a self-hosted proxy's own ComfyUI)")
            raise error
        if class_type is not None:
            url += "/" + quote(class_type, safe="")
        response = self.http.request("GET", url, credentials=credentials)
        if response.status in (401, 403):
            raise self._auth_error(response)
        if not 200 <= response.status < 300:
            raise self.http.http_error(response)
        found = response.json()
        if class_type is not None and not found:
            raise NotFoundError(f"server {self.server_name!r} has no node class {class_type!r}")
        return found

    def models(self, folder: str | None = None) -> list[Any]:
        raise self._unsupported("list its model files")

    def embeddings(self) -> list[str]:
        raise self._unsupported("list its embeddings")

    def node_replacements(self) -> dict[str, Any]:
        return {}

    def logs_raw(self) -> dict[str, Any]:
        raise self._unsupported("show its log")

    def subscribe_logs(self, client_id: str, enabled: bool = True) -> None:
        raise self._unsupported("stream its log")

    def workflow_templates(self) -> dict[str, Any]:
        raise self._unsupported("list workflow templates")

    def templates_index(self) -> list[Any]:
        raise self._unsupported("list workflow templates")

    def global_subgraphs(self, subgraph_id: str | None = None) -> Any:
        raise self._unsupported("list subgraphs")

    def userdata_list(self, directory: str) -> list[Any] | None:
        raise self._unsupported("list its stored workflows")

    def userdata_tree(self, path: str | None = None) -> list[dict[str, Any]]:
        raise self._unsupported("list its stored workflows")

    def userdata_get(self, path: str) -> bytes:
        raise self._unsupported("read its stored workflows")

    def free(self, *, unload_models: bool, free_memory: bool) -> None:
        raise self._unsupported("free memory or unload models")

    def interrupt(self, prompt_id: str | None) -> None:
        if prompt_id is None:
            raise self._unsupported("interrupt whatever runs (name the job to cancel)")
        self.cancel_job(prompt_id)

    def queue_delete(self, prompt_ids: Sequence[str]) -> None:
        for prompt_id in prompt_ids:
            self.cancel_job(prompt_id)

    def queue_clear(self) -> None:
        raise self._unsupported("clear its whole queue (cancel jobs by id)")

    def history_delete(self, prompt_ids: Sequence[str]) -> None:
        raise self._unsupported("delete history entries")

    # ----------------------------------------------------------------- jobs
    def submit(self, prompt: Mapping[str, Any], *, prompt_id: str | None = None, client_id: str | None = None,
               extra_data: Mapping[str, Any] | None = None, front: bool = False,
               partial_execution_targets: Sequence[str] | None = None) -> dict[str, Any]:
        """``POST /jobs`` with ``prompt_id`` as the Idempotency-Key; answers with the server's job id.

        A reused key (our earlier POST of this very submission reached the server though its answer
        was lost) is answered by finding that job; when it cannot be found the outcome is unknown
        and said so, with the key, instead of risking a second job."""
        if front or partial_execution_targets:
            raise self._unsupported("put a job at the head of the queue or run only some outputs")
        key = prompt_id or new_prompt_id()
        body: dict[str, Any] = {"workflow": dict(prompt)}
        allowed = {k: v for k, v in (extra_data or {}).items() if k == "api_key_comfy_org"}
        if allowed:
            body["extra_data"] = allowed
        if self.backend.surface == "self-hosted":
            body["metadata"] = TAG + key
        try:
            job = self.api("POST", "/jobs", json=body, headers={"Idempotency-Key": key}, idempotent=False)
        except RejectedError as exc:
            if exc.details.get("code") != "idempotency_key_reuse":
                raise
            found = self.find_submission(key)
            if found is None:
                raise ServerError(
                    f"server {self.server_name!r} already had a submission with Idempotency-Key {key}, whose job "
                    "cannot be found: it may or may not have been created", code="server_error",
                    hint="look for it with 'comfyui-skill jobs list' before submitting again",
                    details={"idempotency_key": key, "outcome": "unknown"}) from None
            return {"prompt_id": found, "number": None, "node_errors": {}, "recovered": True}
        if not isinstance(job, dict) or not isinstance(job.get("id"), str):
            raise ServerError(f"server {self.server_name!r} accepted the job but sent no id")
        return {"prompt_id": job["id"], "number": None, "node_errors": {}, "idempotency_key": key}

    def find_submission(self, key: str) -> str | None:
        """The id of the job submitted with Idempotency-Key ``key``, where the surface can tell."""
        if self.backend.surface != "self-hosted":
            return None
        try:
            listed = self.api("GET", "/jobs", query={"limit": FIND_LIMIT})
        except CliError:
            return None
        jobs = listed.get("jobs") if isinstance(listed, dict) else listed
        return next((job["id"] for job in jobs or [] if isinstance(job, dict) and job.get("metadata") == TAG + key
                     and isinstance(job.get("id"), str)), None)

    def job(self, prompt_id: str) -> dict[str, Any] | None:
        """The job as the jobs API of a local ComfyUI would give it; None when the server does not
        know it (or reports it ``expired``: see the module's docstring)."""
        try:
            job = self.api("GET", f"/jobs/{quote(prompt_id, safe='')}")
        except NotFoundError:
            return None
        except RejectedError:  # a malformed id (400): no such job
            return None
        return self._as_local_job(job) if isinstance(job, dict) else None

    def v2_job(self, prompt_id: str) -> dict[str, Any]:
        """The job exactly as the server reports it."""
        return self.api("GET", f"/jobs/{quote(prompt_id, safe='')}")

    def jobs(self, **params: Any) -> dict[str, Any] | None:
        """``GET /jobs`` in the local jobs API's shape; None where the surface has no job list."""
        query = {"limit": params.get("limit") or FIND_LIMIT}
        status = params.get("status")
        if status:
            query["status"] = ",".join(_v2_statuses(str(status)))
        try:
            listed = self.api("GET", "/jobs", query=query)
        except (NotFoundError, ServerError) as exc:
            if isinstance(exc, NotFoundError) or exc.details.get("status") == 501:
                return None
            raise
        jobs = listed.get("jobs") if isinstance(listed, dict) else listed
        return {"jobs": [self._as_local_job(job) for job in jobs or [] if isinstance(job, dict)],
                "pagination": {"has_more": False}}

    def cancel_job(self, prompt_id: str) -> bool | None:
        """``POST /jobs/{id}/cancel``: True when the job was queued or running (it is being cancelled)."""
        try:
            job = self.api("POST", f"/jobs/{quote(prompt_id, safe='')}/cancel", idempotent=True)
        except NotFoundError:
            return False
        return isinstance(job, dict) and job.get("status") in ("canceling", "canceled", "expired")

    def queue(self) -> dict[str, Any]:
        """The running and queued jobs, as ComfyUI's ``/queue`` lists them (from the job list)."""
        listed = self.jobs(status="pending,in_progress")
        if listed is None:
            raise self._unsupported("list its queue")
        running, pending = [], []
        for job in listed["jobs"]:
            if job["status"] == "in_progress":
                running.append([0, job["id"], {}, {}, []])
            elif job["status"] == "pending":
                pending.append([job.get("queue_position") or len(pending) + 1, job["id"], {}, {}, []])
        return {"queue_running": running, "queue_pending": pending}

    def history(self, prompt_id: str | None = None, *, max_items: int | None = None,
                offset: int | None = None) -> dict[str, Any]:
        """v2 keeps no ComfyUI history: the job is the record (``probe`` then reads :meth:`job`)."""
        raise NotFoundError(f"server {self.server_name!r} (Comfy API v2) keeps no history; its jobs are the record")

    def open_events(self, client_id: str) -> Any:
        """v2 has no WebSocket: the follower polls, and reads each job's SSE stream (:meth:`job_events`)."""
        raise UnreachableError(f"server {self.server_name!r} (Comfy API v2) has no WebSocket",
                               details={"reason": "no_websocket"})

    def job_events(self, prompt_id: str) -> JobEvents | None:
        """The job's SSE stream, or None where there is none (501, too many streams, any failure):
        the follower then polls, as the contract says it may."""
        stack = ExitStack()
        try:
            response = stack.enter_context(self.http.stream(
                "GET", self.backend.url(f"/jobs/{quote(prompt_id, safe='')}/events"),
                credentials=self.backend.credentials(), headers={"Accept": "text/event-stream"}))
        except CliError:
            stack.close()
            return None
        if response.status != 200 or "text/event-stream" not in response.headers.get("Content-Type", ""):
            stack.close()
            return None

        def close() -> None:
            with suppress(RuntimeError, OSError):  # RuntimeError: the stream had ended and let go already
                response.shutdown()  # unblocks the reader thread at once
            response.close()
            stack.close()

        lines = (line.decode("utf-8", "replace") for line in _lines(response))
        return JobEvents(prompt_id, lines, close)

    def _as_local_job(self, job: dict[str, Any]) -> dict[str, Any] | None:
        status = job.get("status")
        if status == "expired":
            return None
        local: dict[str, Any] = {"id": job.get("id"), "status": _STATUS.get(str(status), status),
                                 "outputs": self._outputs(job.get("outputs")), "v2": job}
        if status == "queued":
            local["queue_position"] = job.get("queue_position")
        error = job.get("error")
        if isinstance(error, dict):
            local["execution_error"] = {
                "node_id": error.get("node_id"), "node_type": error.get("class_type"),
                "exception_type": error.get("code"), "exception_message": str(error.get("message") or "").strip(),
                "traceback": error.get("traceback") or []}
        return local

    def _outputs(self, outputs: Any) -> dict[str, Any]:
        """v2 outputs as a history entry's ``outputs`` (node -> kind -> files), their links remembered."""
        by_node: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict) or not isinstance(output.get("name"), str) or not output.get("url"):
                continue
            kind = _KINDS.get(str(output.get("type")), "files")
            entry = {"filename": PurePosixPath(output["name"]).name, "subfolder": "",
                     "type": _proxy_file_type(output.get("id")), "asset_id": output.get("id"),
                     "content_type": output.get("content_type"),
                     "url": urljoin(self.backend.base_url + "/", str(output["url"]))}  # links may be host-relative
            by_node.setdefault(str(output.get("node_id")), {}).setdefault(kind, []).append(entry)
        return by_node

    # ----------------------------------------------------------------- files
    def view_url(self, filename: str, subfolder: str = "", type: str = "output") -> str:
        """v2 has no ``/view``: outputs are fetched through the links their job gives."""
        raise NotFoundError(f"server {self.server_name!r} (Comfy API v2) serves outputs only through their "
                            f"job's links, and none was given for {filename!r}",
                            hint="download the job's outputs with 'comfyui-skill wait ID --download'")

    def upload(self, path: Path, *, subfolder: str = "", type: str = "input", overwrite: bool = False,
               mask_original: Mapping[str, str] | None = None, name: str | None = None) -> dict[str, Any]:
        """Create an asset of ``path`` (skipping the upload when the server has its blob already)."""
        if mask_original is not None:
            raise self._unsupported("apply a mask to an uploaded image")
        file_path = "/".join(p for p in (subfolder.strip("/"), name or path.name) if p)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        asset = assets.create(self, path, file_path=file_path, content_type=content_type)
        reference = {"__type": "core/ASSET", "info": {"id": asset["id"]}}
        return {"name": asset.get("name") or path.name, "subfolder": "", "type": "input", "asset_id": asset["id"],
                "hash": asset.get("hash"), "deduplicated": asset.get("deduplicated", False), "input_value": reference}


def _lines(response: Any) -> Any:
    """The raw lines of a streamed response, as they arrive."""
    pending = b""
    for chunk in response.stream(1024, decode_content=True):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def _envelope(content: bytes) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """``(code, message, details)`` of a v2 error body (``{"error": {...}}``)."""
    try:
        body = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", "replace").strip()[:200]
        return None, text or None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, None
    details = error.get("details")
    return (str(error.get("code") or "") or None, str(error.get("message") or "").strip() or None,
            details if isinstance(details, dict) else None)


def _v2_statuses(local: str) -> list[str]:
    """The v2 statuses of a comma-separated list of local ones (``pending,in_progress``)."""
    wanted = {s.strip() for s in local.split(",")}
    return [v2 for v2, mine in _STATUS.items() if mine in wanted] or sorted(wanted)


def _proxy_file_type(output_id: Any) -> str:
    """``temp`` for a preview, else ``output``. comfy-api-proxy's output ids are signed tokens whose
    first part is base64url JSON naming the file's folder (``t``); any other id is an output."""
    try:
        head = str(output_id).split(".", 1)[0]
        token = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        return "output"
    return "temp" if isinstance(token, dict) and token.get("t") == "temp" else "output"
