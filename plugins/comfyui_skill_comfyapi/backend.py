"""The ``comfy-api`` backend: where a Comfy API v2 server is and which credential it gets.

One API, three surfaces, told apart by the host: Comfy Cloud (``cloud.comfy.org``), a Serverless
deployment (``<id>.run.comfy.app``) and anything else, a self-hosted ``comfy-api-proxy`` in front of
a ComfyUI. The key is a Bearer token: the server's own ``token`` (``server add --token-stdin``) or
``api_key``; a Comfy-hosted surface may also take it from ``COMFY_API_KEY`` /
``COMFYUI_SKILL_API_KEY``, but those are never sent to a self-hosted proxy, which has a token of
its own and no business with the user's comfy.org key.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from comfyui_skill import Backend, ComfyClient

from . import SURFACE

#: Environment variables holding a comfy.org API key, tried after the server's own settings.
KEY_VARIABLES = ("COMFYUI_SKILL_API_KEY", "COMFY_API_KEY")
CLOUD_HOST = "cloud.comfy.org"
DEPLOYMENT_DOMAIN = ".run.comfy.app"
#: The surfaces and how they are named to people.
SURFACES = {"cloud": "Comfy Cloud", "deployment": "Serverless deployment", "self-hosted": "self-hosted comfy-api-proxy"}


def deployment_url(deployment_id: str) -> str:
    """The base URL of the Serverless deployment ``deployment_id``."""
    return f"https://{deployment_id}{DEPLOYMENT_DOMAIN}"


def surface_of(url: str) -> str:
    """``cloud``, ``deployment`` or ``self-hosted``: which of the three surfaces serves ``url``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host == CLOUD_HOST:
        return "cloud"
    if parts.scheme == "https" and host.endswith(DEPLOYMENT_DOMAIN) and host != DEPLOYMENT_DOMAIN[1:]:
        return "deployment"
    return "self-hosted"


class ComfyApiBackend(Backend):
    """Comfy API v2 (``/api/v2``): Comfy Cloud, Serverless deployments, a self-hosted proxy."""

    route_prefix = "/api/v2"
    #: Cloud and deployments answer content with a 302 to signed storage on another host.
    signed_downloads = True

    @property
    def surface(self) -> str:
        """The ``surface`` setting, else what the host says (a custom domain may need the setting)."""
        chosen = SURFACE.value_of(self.server)
        return chosen if chosen in SURFACES else surface_of(self.base_url)  # "auto"

    @property
    def surface_name(self) -> str:
        return SURFACES[self.surface]

    def make_client(self) -> ComfyClient:
        from .client import ComfyApiClient

        return ComfyApiClient(self)

    def api_key(self) -> tuple[str | None, str]:
        """The Bearer key and where it came from (``""`` when there is none)."""
        for key in ("token", "api_key"):
            value = self.server.get(key)
            if value:
                return str(value), f"servers.{self.name}.{key}"
        if self.surface != "self-hosted":
            for variable in KEY_VARIABLES:
                if os.environ.get(variable):
                    return os.environ[variable], variable
        return None, ""

    def credential_summary(self) -> str:
        return super().credential_summary() if self.api_key()[0] else "no API key"

    def credentials(self) -> dict[str, str]:
        headers = self.custom_headers()
        key, _source = self.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _auth_hint(self) -> str:
        if self.surface == "self-hosted":
            return (f"give the proxy's --token with 'comfyui-skill config set servers.{self.name}.token --stdin' "
                    f"(or the environment variable COMFYUI_SKILL_SERVER_{self.name.upper()}_TOKEN)")
        return (f"create a key at https://platform.comfy.org and store it with 'comfyui-skill config set "
                f"servers.{self.name}.api_key --stdin', or set COMFY_API_KEY")

    def websocket_url(self, client_id: str) -> str:  # pragma: no cover - v2 has no WebSocket
        raise NotImplementedError("Comfy API v2 streams job events over SSE, not a WebSocket")
