"""The ``local`` server kind: a ComfyUI server you run yourself (on this machine or another).

It speaks the standard ComfyUI protocol of :class:`comfyui_skill.Backend`: routes at the server's
root, the WebSocket at ``/ws``, and optional bearer token, basic auth or extra headers for servers
behind a reverse proxy.
"""

from __future__ import annotations

from collections.abc import Iterable

from comfyui_skill import ServerKind, hookimpl


@hookimpl
def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
    return [ServerKind(
        name="local",
        description="a ComfyUI server you run (http:// or https://, optional token or basic auth)",
        factory="comfyui_skill:Backend",
        default_url="http://127.0.0.1:8188",
    )]
