"""The ``hello-proxy`` server kind: ComfyUI behind an authenticating reverse proxy.

The proxy forwards only ComfyUI's ``/api/...`` routes (ComfyUI serves every route there too) and
the WebSocket, and lets a request through only with the ``X-Proxy-Token`` header. A subclass of
``comfyui_skill.Backend`` overrides just what differs; everything else (timeouts, TLS, bearer
token or basic auth for ComfyUI itself, downloads) is inherited.
"""

from __future__ import annotations

from comfyui_skill import Backend


class ProxyBackend(Backend):
    """Every route under ``/api`` and an ``X-Proxy-Token`` header on every request."""

    route_prefix = "/api"

    def credentials(self) -> dict[str, str]:
        """Sent only to this server's own origin, and redacted from every message and log."""
        headers = super().credentials()
        token = self.server.get("proxy_token")
        if token:
            headers["X-Proxy-Token"] = str(token)
        return headers

    def credential_summary(self) -> str:
        own = "a proxy token" if self.server.get("proxy_token") else "no proxy token"
        return f"{own}, {super().credential_summary()}"
