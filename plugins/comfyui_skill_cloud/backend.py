"""The Comfy Cloud backend: ``/api`` routes, ``X-API-Key``, ``token=`` on the WebSocket, signed downloads."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from comfyui_skill import Backend

#: Environment variables holding the API key, in the order they are tried after the server's own key.
KEY_VARIABLES = ("COMFYUI_SKILL_API_KEY", "COMFY_API_KEY")
KEY_HEADER = "X-API-Key"


class CloudBackend(Backend):
    """Comfy Cloud's ComfyUI-compatible API (https://cloud.comfy.org)."""

    route_prefix = "/api"
    signed_downloads = True
    jobs_sort_names = {"created": "create_time", "duration": "execution_time"}

    def api_key(self) -> tuple[str | None, str]:
        """The API key and where it came from."""
        key = self.server.get("api_key")
        if key:
            return str(key), f"servers.{self.name}.api_key"
        for variable in KEY_VARIABLES:
            if os.environ.get(variable):
                return os.environ[variable], variable
        return None, ""

    def credential_summary(self) -> str:
        return super().credential_summary() if self.api_key()[0] else "no API key"

    def credentials(self) -> dict[str, str]:
        headers = super().credentials()
        key, _source = self.api_key()
        if key:
            headers[KEY_HEADER] = key
        return headers

    def websocket_url(self, client_id: str) -> str:
        url = super().websocket_url(client_id)
        key, _source = self.api_key()
        return f"{url}&{urlencode({'token': key})}" if key else url

    def websocket_headers(self) -> dict[str, str]:
        # the key travels as token= in the URL; X-API-Key belongs to REST calls only
        return super().credentials()

    def auth_hint(self) -> str:
        return (f"create a key at https://platform.comfy.org and store it with "
                f"'printenv COMFY_KEY | comfyui-skill cloud login {self.name}', or set COMFY_API_KEY")
