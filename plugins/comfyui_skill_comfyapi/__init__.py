"""The ``comfy-api`` server kind: Comfy API v2 on Comfy Cloud, Serverless deployments and a
self-hosted ``comfy-api-proxy``, behind the same commands as every other kind of server."""

from __future__ import annotations

from collections.abc import Iterable

from comfyui_skill import ServerKind, Setting, hookimpl


@hookimpl
def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
    return [ServerKind(
        name="comfy-api",
        description="Comfy API v2: Comfy Cloud, a Serverless deployment (https://ID.run.comfy.app) or a "
                    "self-hosted comfy-api-proxy (Bearer API key)",
        factory="comfyui_skill_comfyapi.backend:ComfyApiBackend",
        default_url="https://cloud.comfy.org",
    )]


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    return [Setting("surface", str, "auto", "Which Comfy API v2 surface serves a comfy-api server: cloud, "
                    "deployment or self-hosted (auto: told by the host name).", scope="server",
                    choices=("auto", "cloud", "deployment", "self-hosted")),
            Setting("comfyui_url", str, None, "URL of the ComfyUI behind a self-hosted comfy-api-proxy: its node "
                    "catalog (object_info) serves editor workflows, named parameters and the paid-node check.",
                    scope="server")]
