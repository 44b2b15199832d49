"""A typed client for the ComfyUI REST API, speaking through the backend of one server.

Every plugin talks to servers through this class (``ctx.client``), never through urllib3 directly.
It knows the real server's quirks (see docs): action endpoints answer 200 with an empty body,
``/history/{id}`` is ``{}`` until a prompt ends, ``/object_info/X`` is ``{}`` for unknown classes,
the jobs API only exists on ComfyUI >= 0.6, ``/prompt`` rejects with a structured 400.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .backend import Backend
from .errors import AuthError, CliError, HttpError, NotFoundError, RejectedError, ServerError, UnreachableError
from .redaction import redact
from .wording import plural
from .transport.files import safe_relative_path, save_stream
from .transport.http import HttpTransport, Response
from .transport.resume import BodyCut, resumable_body

if TYPE_CHECKING:
    from .transport.ws import WebSocketStream


#: Routes every ComfyUI answers with JSON, local or Comfy Cloud: a server that has no such route, or
#: answers one with a web page, is no ComfyUI. (Other routes may be missing, or answered by a proxy's
#: catch-all page, on a real one: an extension's, a newer version's.)
COMFYUI_ROUTES = frozenset({"/system_stats", "/object_info", "/queue", "/prompt"})


def new_prompt_id() -> str:
    """A canonical lowercase UUID, the only prompt id form ComfyUI accepts."""
    return str(uuid.uuid4())


def new_client_id() -> str:
    return uuid.uuid4().hex


class ComfyClient:
    """REST and WebSocket access to one server."""

    #: True when :meth:`job` answers for every prompt the server holds, queued ones included, so a
    #: prompt it does not know is unknown without a look at the queue (Comfy API v2, whose jobs
    #: are its only record).
    jobs_are_authoritative = False

    def __init__(self, backend: Backend, transport: HttpTransport | None = None) -> None:
        self.backend = backend
        self.max_download_bytes = backend.max_download_bytes()  # checked now: before any work, not after it
        self.http = transport or HttpTransport(backend.transport_options())

    @property
    def server_name(self) -> str:
        return self.backend.name

    def close(self) -> None:
        self.http.close()

    # ----------------------------------------------------------------- plumbing
    def request(self, method: str, route: str, *, query: dict[str, Any] | None = None,
                **kwargs: Any) -> Response:
        """One request to a ComfyUI route, with this server's credentials and error wording."""
        url = self.backend.url(route, query)
        try:
            response = self.http.request(method, url, credentials=self.backend.credentials(), **kwargs)
        except UnreachableError as exc:
            exc.message = f"server {self.server_name!r}: {exc.message}"
            exc.hint = exc.hint or (self.backend.tls_hint() if exc.details.get("reason") == "tls"
                                    else f"check it with 'comfyui-skill {self.backend.server.cli_selector} server status'")
            raise
        if response.status in (401, 403):
            raise self._auth_error(response)
        if route in COMFYUI_ROUTES:
            if response.status in (404, 405, 501):
                raise self._not_comfyui(route, f"HTTP {response.status}" + (" with a web page" if _is_page(response)
                                                                            else ""), response.status)
            if 200 <= response.status < 300 and _is_page(response):
                raise self._not_comfyui(route, "a web page (HTML) where ComfyUI answers JSON", response.status)
        return response

    def get_json(self, route: str, *, query: dict[str, Any] | None = None,
                 missing_ok: bool = False, expect: type | None = None, **kwargs: Any) -> Any:
        """GET a JSON route. A 404 raises NotFoundError, or returns None with ``missing_ok``.
        With ``expect`` (``dict`` or ``list``), an answer of another JSON type is a ServerError."""
        response = self.request("GET", route, query=query, **kwargs)
        if response.status == 404 and missing_ok:
            return None
        self._raise_for_status(response)
        value = response.json()
        if expect is not None and not isinstance(value, expect):
            wanted = "an object" if expect is dict else "a list"
            raise ServerError(f"server {self.server_name!r} answered {route} with {json.dumps(value)[:60]} where "
                              f"{wanted} was expected", hint="is this URL a ComfyUI server?",
                              details={"route": route})
        return value

    def post(self, route: str, payload: Any = None, *, query: dict[str, Any] | None = None,
             **kwargs: Any) -> Response:
        """POST JSON; raises on non-2xx. Action endpoints answer an empty body: use ``.content``."""
        response = self.request("POST", route, query=query, json=payload, **kwargs)
        self._raise_for_status(response)
        return response

    def _raise_for_status(self, response: Response) -> None:
        if 200 <= response.status < 300:
            return
        error = self.http.http_error(response)
        if response.status == 404:
            raise NotFoundError(error.message, details=error.details)
        raise error

    def _not_comfyui(self, route: str, answer: str, status: int) -> ServerError:
        """The one-line error for a server that answers what no ComfyUI does (a plain web server,
        another application, a proxy's login page): every request passes :meth:`request`, so every
        command says it the same way."""
        return ServerError(
            f"server {self.server_name!r} does not look like a ComfyUI server: {route} answered {answer}",
            hint="check the URL and port (ComfyUI listens on 8188 by default); a proxy showing a login page "
                 "needs the server's credentials",
            details={"reason": "not_comfyui", "route": route, "status": status})

    def _auth_error(self, response: Response) -> AuthError:
        return AuthError(
            f"server {self.server_name!r} refused the request (HTTP {response.status}) "
            f"with {self.backend.credential_summary()}",
            hint=self.backend.auth_hint(), details={"status": response.status, "server": self.server_name},
        )

    # ----------------------------------------------------------------- server info
    def system_stats(self) -> dict[str, Any]:
        return self.get_json("/system_stats", expect=dict)

    def features(self) -> dict[str, Any]:
        return self.get_json("/features", missing_ok=True, expect=dict) or {}

    def object_info(self, class_type: str | None = None) -> dict[str, Any]:
        if class_type is None:
            return self.get_json("/object_info", expect=dict)
        found = self.get_json(f"/object_info/{quote(class_type, safe='')}", expect=dict)
        if not found:
            raise NotFoundError(f"server {self.server_name!r} has no node class {class_type!r}")
        return found

    def models(self, folder: str | None = None) -> list[Any]:
        if folder is None:
            return self.get_json("/models", expect=list)
        found = self.get_json(f"/models/{quote(folder, safe='')}", missing_ok=True, expect=list)
        if found is None:
            raise NotFoundError(f"server {self.server_name!r} has no model folder {folder!r}",
                                details={"folder": folder})
        return found

    def embeddings(self) -> list[str]:
        return self.get_json("/embeddings", expect=list)

    def node_replacements(self) -> dict[str, Any]:
        return self.get_json("/node_replacements", missing_ok=True, expect=dict) or {}

    # ----------------------------------------------------------------- prompts and queue
    def submit(self, prompt: Mapping[str, Any], *, prompt_id: str | None = None, client_id: str | None = None,
               extra_data: Mapping[str, Any] | None = None, front: bool = False,
               partial_execution_targets: Sequence[str] | None = None) -> dict[str, Any]:
        """POST /prompt. Returns the server's answer (prompt_id, number, node_errors).

        A 400 raises :class:`RejectedError` whose ``details`` hold the server's ``error`` and
        ``node_errors``. The POST is not retried after it may have reached the server: callers that
        need exactly-once should check :meth:`job` or :meth:`history` for their prompt id first.
        """
        payload: dict[str, Any] = {"prompt": prompt, "prompt_id": prompt_id or new_prompt_id()}
        if client_id:
            payload["client_id"] = client_id
        if extra_data:
            payload["extra_data"] = dict(extra_data)
        if front:
            payload["front"] = True
        if partial_execution_targets:
            payload["partial_execution_targets"] = list(partial_execution_targets)
        payload = self.backend.prompt_payload(payload)
        response = self.request("POST", "/prompt", json=payload, idempotent=False)
        if response.status == 400:
            body = _json_or_none(response)
            error = (body or {}).get("error") if isinstance(body, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise RejectedError(
                f"server {self.server_name!r} rejected the workflow: {message or response.text.strip()[:200]}",
                details={"error": error, "node_errors": (body or {}).get("node_errors") or {}},
            )
        self._raise_for_status(response)
        answer = response.json()
        if not isinstance(answer, dict) or "prompt_id" not in answer:
            raise ServerError(f"server {self.server_name!r} accepted the prompt but sent no prompt_id")
        return answer

    def queue(self) -> dict[str, Any]:
        return self.get_json("/queue", expect=dict)

    def queue_delete(self, prompt_ids: Sequence[str]) -> None:
        self.post("/queue", {"delete": list(prompt_ids)})

    def queue_clear(self) -> None:
        self.post("/queue", {"clear": True})

    def interrupt(self, prompt_id: str | None) -> None:
        """Interrupt ``prompt_id`` if it is running. ``None`` interrupts whatever runs (global)."""
        self.post("/interrupt", {"prompt_id": prompt_id} if prompt_id else {})

    def free(self, *, unload_models: bool, free_memory: bool) -> None:
        self.post("/free", {"unload_models": unload_models, "free_memory": free_memory})

    def history(self, prompt_id: str | None = None, *, max_items: int | None = None,
                offset: int | None = None) -> dict[str, Any]:
        """``/history`` or ``/history/{id}`` (``{}`` while the prompt is pending or unknown)."""
        if prompt_id is not None:
            return self.get_json(f"/history/{quote(prompt_id, safe='')}", expect=dict)
        return self.get_json("/history", query={"max_items": max_items, "offset": offset}, expect=dict)

    def history_delete(self, prompt_ids: Sequence[str]) -> None:
        self.post("/history", {"delete": list(prompt_ids)})

    # ----------------------------------------------------------------- jobs API (ComfyUI >= 0.6, cloud)
    def jobs(self, **params: Any) -> dict[str, Any] | None:
        """``GET /api/jobs``; None when the server has no jobs API."""
        return self.get_json(self._jobs_route(""), query=params, missing_ok=True, expect=dict)

    def job(self, prompt_id: str) -> dict[str, Any] | None:
        """``GET /api/jobs/{id}``; None when the server does not know the job (or has no jobs API)."""
        return self.get_json(self._jobs_route(f"/{quote(prompt_id, safe='')}"), missing_ok=True, expect=dict)

    def cancel_job(self, prompt_id: str) -> bool | None:
        """Cancel a pending or running job; True if it was, None when there is no jobs API."""
        response = self.request("POST", self._jobs_route(f"/{quote(prompt_id, safe='')}/cancel"),
                                idempotent=True)
        if response.status in (404, 405):
            return None
        self._raise_for_status(response)
        answer = _json_or_none(response)
        return bool(answer.get("cancelled")) if isinstance(answer, dict) else False

    def _jobs_route(self, tail: str) -> str:
        # The jobs routes are defined as /api/jobs on a local server, so a backend whose prefix
        # already is /api must not add it twice.
        return ("/jobs" if self.backend.route_prefix.endswith("/api") else "/api/jobs") + tail

    # ----------------------------------------------------------------- files
    def upload(self, path: Path, *, subfolder: str = "", type: str = "input", overwrite: bool = False,
               mask_original: Mapping[str, str] | None = None, name: str | None = None) -> dict[str, Any]:
        """Upload an image (or a mask onto ``mask_original``); returns the server's name for it."""
        import mimetypes

        from urllib3 import encode_multipart_formdata

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror or exc}", code="io") from None
        filename = name or path.name
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        fields: dict[str, Any] = {"image": (filename, data, content_type), "type": type, "subfolder": subfolder}
        if overwrite:
            fields["overwrite"] = "true"
        route = "/upload/image"
        if mask_original is not None:
            fields["original_ref"] = json.dumps(dict(mask_original))
            route = "/upload/mask"
        body, multipart_type = encode_multipart_formdata(fields)
        response = self.request("POST", route, body=body, headers={"Content-Type": multipart_type},
                                idempotent=True)
        if response.status == 413:
            raise RejectedError(f"{path} is larger than server {self.server_name!r} accepts")
        if response.status == 400:
            raise RejectedError(f"server {self.server_name!r} refused the upload of {path.name}"
                                f" (subfolder {subfolder!r})" + (f": {response.text.strip()}" if response.text.strip() else ""))
        self._raise_for_status(response)
        return response.json()

    def view_url(self, filename: str, subfolder: str = "", type: str = "output") -> str:
        return self.backend.url("/view", {"filename": filename, "subfolder": subfolder, "type": type})

    def download(self, filename: str, subfolder: str, type: str, root: Path, *,
                 relative: PurePosixPath | None = None, deadline: float | None = None,
                 url: str | None = None) -> Path:
        """Stream one output file into ``root`` (never outside it, never over an existing file).

        ``url``: the output's own link where the server gave one (else ``/view``); this server's
        credentials go with it only when it is on the server's own origin."""
        url = url or self.view_url(filename, subfolder, type)
        relative = relative or safe_relative_path(subfolder, filename)
        credentials = self.backend.credentials() if _same_origin(url, self.backend.base_url) else {}
        with self.http.stream("GET", url, credentials=credentials, deadline=deadline) as resp:
            final_url = getattr(resp, "geturl", lambda: url)() or url
            if resp.status in (401, 403) and _same_origin(final_url, self.backend.base_url):
                raise self._auth_error(Response(resp.status, dict(resp.headers), b"", url))
            if resp.status == 404:
                raise NotFoundError(f"server {self.server_name!r} has no {type} file {subfolder + '/' if subfolder else ''}{filename}")
            if not 200 <= resp.status < 300:
                raise HttpError(resp.status, redact(url, self.backend.secrets()))
            length = resp.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() and not resp.headers.get("Content-Encoding") else None
            body = resumable_body(self.http, resp, url, credentials=credentials, deadline=deadline)
            try:
                return save_stream(body, root, relative, expected_size=expected, deadline=deadline,
                                   max_bytes=self.max_download_bytes)
            except BodyCut as cut:
                resumed = f"; resumed {plural(cut.tries, 'time')}" if cut.tries else ""
                raise UnreachableError(f"download of {filename} from server {self.server_name!r} broke off "
                                       f"({cut}{resumed}); nothing was kept",
                                       details={"reason": "dropped", "received": cut.received}) from None

    # ----------------------------------------------------------------- logs, templates, userdata
    def logs_raw(self) -> dict[str, Any]:
        return self.get_json("/internal/logs/raw")

    def subscribe_logs(self, client_id: str, enabled: bool = True) -> None:
        response = self.request("PATCH", "/internal/logs/subscribe",
                                json={"clientId": client_id, "enabled": enabled}, idempotent=True)
        self._raise_for_status(response)

    def workflow_templates(self) -> dict[str, Any]:
        return self.get_json("/workflow_templates", missing_ok=True) or {}

    def templates_index(self) -> list[Any]:
        return self.get_json("/templates/index.json", missing_ok=True) or []

    def global_subgraphs(self, subgraph_id: str | None = None) -> Any:
        if subgraph_id is None:
            return self.get_json("/global_subgraphs", missing_ok=True) or {}
        found = self.get_json(f"/global_subgraphs/{quote(subgraph_id, safe='')}")
        if found is None:
            raise NotFoundError(f"server {self.server_name!r} has no subgraph {subgraph_id!r}")
        return found

    def userdata_list(self, directory: str) -> list[Any] | None:
        """Files of a userdata directory; None when the directory does not exist yet."""
        return self.get_json("/userdata", query={"dir": directory}, missing_ok=True)

    def userdata_tree(self, path: str | None = None) -> list[dict[str, Any]]:
        return self.get_json("/v2/userdata", query={"path": path}, missing_ok=True) or []

    def userdata_get(self, path: str) -> bytes:
        response = self.request("GET", f"/userdata/{quote(path, safe='')}")
        self._raise_for_status(response)
        return response.content

    # ----------------------------------------------------------------- WebSocket
    def job_events(self, prompt_id: str) -> Any:
        """A stream of one submitted prompt's events, for servers whose events are per job (Comfy API
        v2's SSE), or None: a ComfyUI server has only the per-client WebSocket (:meth:`open_events`).

        The stream has the WebSocket stream's ``receive(timeout)`` and ``close()``; its
        ``check_interval`` (seconds) tells the follower to ask for the job that often regardless.
        """
        return None

    def open_events(self, client_id: str) -> WebSocketStream:
        """Connect the WebSocket for ``client_id`` (do it *before* submitting that client's prompt)."""
        from .transport.ws import WebSocketStream  # websocket-client loads only for commands that follow

        options = self.backend.transport_options()
        sslopt: dict[str, Any] = {}
        if options.insecure:
            import ssl

            sslopt = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        elif options.ca_bundle:
            sslopt = {"ca_certs": options.ca_bundle}
        return WebSocketStream(
            self.backend.websocket_url(client_id), headers=self.backend.websocket_headers(),
            connect_timeout=options.connect_timeout, secrets=self.backend.secrets(), sslopt=sslopt,
        ).connect()


def _is_page(response: Response) -> bool:
    """The body is a web page (HTML), which no ComfyUI API route answers."""
    return response.content.lstrip()[:1] == b"<"


def _json_or_none(response: Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())

