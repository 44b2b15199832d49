"""How to reach one configured server: route prefix, credentials, WebSocket URL, downloads.

A server *kind* (a :class:`~comfyui_skill.extension.ServerKind` from a plugin) builds a
:class:`Backend` for a configured server. This base class speaks to a plain ComfyUI: routes at the
root, optional bearer token / basic auth / extra headers (for a reverse proxy), WebSocket at
``/ws``. Other kinds subclass it and override what differs (Comfy Cloud: ``/api`` prefix, an
``X-API-Key`` header, signed-URL downloads).

Credentials returned by :meth:`credentials` are only ever sent to this server's own origin: the
transport keeps them apart from other headers, never replays them on a redirect, and the client
never attaches them to a URL on another host.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from .config import CORE_SERVER_SETTINGS, server_env_var
from .redaction import mask

if TYPE_CHECKING:
    from .client import ComfyClient
    from .config import ServerConfig
    from .transport.http import TransportOptions


#: Environment variables holding secrets that any server's requests may carry.
SECRET_ENVIRONMENT = ("COMFY_API_KEY", "COMFYUI_SKILL_API_KEY")


class Backend:
    """The standard ComfyUI server protocol; subclass it for other kinds of server."""

    #: Prefix put before every ComfyUI route ("/api" on Comfy Cloud).
    route_prefix = ""
    #: True when ``/view`` may redirect to storage on another host (fetched without credentials).
    signed_downloads = False

    def __init__(self, server: ServerConfig) -> None:
        self.server = server

    def make_client(self) -> ComfyClient:
        """The client every command uses to talk to this server.

        A kind whose server speaks another protocol than ComfyUI's (Comfy API v2: jobs, SSE,
        assets) returns a :class:`~comfyui_skill.ComfyClient` subclass that maps the same calls onto
        it, so the commands stay the same for every kind.
        """
        from .client import ComfyClient

        return ComfyClient(self)

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def base_url(self) -> str:
        return self.server.url

    @property
    def origin(self) -> tuple[str, str]:
        """(scheme, host:port) of the server: the only place credentials may go."""
        parts = urlsplit(self.base_url)
        return parts.scheme, parts.netloc.lower()

    def url(self, route: str, query: dict[str, Any] | None = None) -> str:
        """The full URL of a ComfyUI route such as ``/prompt`` (``/internal/...`` has no prefix)."""
        prefix = "" if route.startswith("/internal/") else self.route_prefix
        url = f"{self.base_url}{prefix}{route}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        return url

    def custom_headers(self) -> dict[str, str]:
        """The server's ``headers`` setting (a table in the file, JSON in the environment), checked as
        ``config set`` checks it: every kind sends them with its own credentials."""
        extra = CORE_SERVER_SETTINGS["headers"].value_of(self.server) or {}
        return {str(k): str(v) for k, v in extra.items()}

    def credentials(self) -> dict[str, str]:
        """Headers that authenticate us to this server (HTTP and the WebSocket upgrade)."""
        headers = self.custom_headers()
        token = self.server.get("token")
        username = self.server.get("username")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif username:
            pair = f"{username}:{self.server.get('password') or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def api_key(self) -> tuple[str | None, str]:
        """A kind that authenticates with an API key returns it and where it came from (else ``(None, "")``);
        it is then redacted like every secret and named (masked) in auth errors."""
        return None, ""

    def credential_summary(self) -> str:
        """Which credential we send, masked (for auth error messages)."""
        key, source = self.api_key()
        if key:
            return f"API key {mask(key)} (from {source})"
        token = self.server.get("token")
        if token:
            return f"bearer token {mask(token)}"
        if self.server.get("username"):
            return f"basic auth as {self.server.get('username')!r}"
        if self.server.get("headers"):
            return "custom headers " + ", ".join(sorted(self.custom_headers()))
        return "no credentials"

    def _settings_hint(self, hint: str) -> str:
        """``hint`` (which sets ``servers.NAME...``), preceded for a ``--url`` server by how to name it."""
        if not self.server.one_off:
            return hint
        return (f"a --url server has no settings: add it first with 'comfyui-skill server add NAME "
                f"{self.base_url}', then {hint.replace(f'servers.{self.name}.', 'servers.NAME.')}")

    def auth_hint(self) -> str:
        return self._settings_hint(self._auth_hint())

    def _auth_hint(self) -> str:
        if self.server.get("username") and not self.server.get("token"):
            key = "password"
        elif self.server.get("headers") and not self.server.get("token"):
            return (f"check the headers the proxy expects: 'comfyui-skill config set servers.{self.name}.headers "
                    "--stdin' (a JSON table)")
        else:
            key = "token"
        return (f"set the {key} with 'comfyui-skill config set servers.{self.name}.{key} --stdin' or the "
                f"environment variable {server_env_var(self.name, key)}")

    def tls_hint(self) -> str:
        """What to do when the server's certificate cannot be verified."""
        return self._settings_hint(
            f"if server {self.name!r} uses a private CA or a self-signed certificate, trust it with "
            f"'comfyui-skill config set servers.{self.name}.ca_bundle /path/to/ca.pem'")

    def websocket_url(self, client_id: str) -> str:
        scheme, netloc = self.origin
        path = urlsplit(self.base_url).path.rstrip("/")
        ws_scheme = "wss" if scheme == "https" else "ws"
        return f"{ws_scheme}://{netloc}{path}/ws?" + urlencode({"clientId": client_id})

    def websocket_headers(self) -> dict[str, str]:
        return self.credentials()

    def secrets(self) -> tuple[str, ...]:
        """Every secret value this backend may send, for redaction."""
        values = list(self.server.secrets())
        values.extend(v.split(" ", 1)[-1] for v in self.credentials().values() if " " in v)
        # Comfy API keys from the environment may go into a prompt's extra_data (partner nodes)
        values.extend(os.environ.get(name, "") for name in SECRET_ENVIRONMENT)
        values.append(self.api_key()[0] or "")
        return tuple(v for v in values if v)

    def transport_options(self) -> TransportOptions:
        from .transport.http import TransportOptions

        return TransportOptions(
            connect_timeout=CORE_SERVER_SETTINGS["connect_timeout"].value_of(self.server),
            read_timeout=CORE_SERVER_SETTINGS["read_timeout"].value_of(self.server),
            ca_bundle=self.server.get("ca_bundle"),
            insecure=CORE_SERVER_SETTINGS["insecure"].value_of(self.server),
            secrets=self.secrets(),
        )

    def max_download_bytes(self) -> int:
        """The ``max_download_gib`` setting in bytes: the most one downloaded file may have."""
        value = CORE_SERVER_SETTINGS["max_download_gib"].value_of(self.server)
        return max(1, int(value * 1024 ** 3))

    #: ``sort_by`` names of ``GET /api/jobs`` for our sort keys (local ComfyUI >= 0.6 spelling).
    jobs_sort_names = {"created": "created_at", "duration": "execution_duration"}

    def jobs_query(self, *, status: str | None = None, limit: int | None = None, sort: str | None = None,
                   order: str | None = None) -> dict[str, Any]:
        """Query parameters of ``GET /api/jobs``; ``sort`` is ``created`` or ``duration``.

        Local ComfyUI and Comfy Cloud spell the sort keys differently (``created_at`` vs
        ``create_time``); a backend only overrides :attr:`jobs_sort_names`.
        """
        query: dict[str, Any] = {"status": status, "limit": limit, "sort_order": order}
        if sort is not None:
            if sort not in self.jobs_sort_names:
                raise ValueError(f"unknown jobs sort {sort!r} (known: {', '.join(self.jobs_sort_names)})")
            query["sort_by"] = self.jobs_sort_names[sort]
        return {key: value for key, value in query.items() if value is not None}

    def prompt_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Adjust a POST /prompt body for this kind of server (the default sends it unchanged)."""
        return payload
