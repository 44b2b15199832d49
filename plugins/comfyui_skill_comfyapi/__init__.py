"""The ``comfy-api`` server kind: Comfy API v2 on Comfy Cloud, Serverless deployments and a
self-hosted ``comfy-api-proxy``, behind the same commands as every other kind of server."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, ServerKind, Setting, hookimpl

#: The settings of a comfy-api server, declared once: ``config set`` and the readers check them alike.
SURFACE = Setting("surface", str, "auto", "Which Comfy API v2 surface serves a comfy-api server: cloud, deployment "
                  "or self-hosted (auto: told by the host name).", scope="server",
                  choices=("auto", "cloud", "deployment", "self-hosted"))
COMFYUI_URL = Setting("comfyui_url", str, None, "URL of the ComfyUI behind a self-hosted comfy-api-proxy: its node "
                      "catalog (object_info) serves editor workflows, named parameters and the paid-node check.",
                      scope="server", check=lambda url: None if url.startswith(("http://", "https://"))
                      else "must start with http:// or https://")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="deployment_command", metavar="SUBCOMMAND")
    add = sub.add_parser("add", help="add a Serverless deployment as a server (kind comfy-api)")
    add.add_argument("deployment_name", metavar="NAME", help="the server's name in comfyui-skill")
    add.add_argument("deployment_id", metavar="ID", help="the deployment's id (its URL is https://ID.run.comfy.app)")
    add.add_argument("--key-stdin", dest="deployment_key_stdin", action="store_true",
                     help="read the API key from standard input (else COMFY_API_KEY is used)")
    add.add_argument("--default", dest="deployment_default", action="store_true", help="make it the default server")
    add.add_argument("--force", dest="deployment_force", action="store_true", help="replace a server of that name")
    add.set_defaults(handler="comfyui_skill_comfyapi.commands:add_deployment")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("deployment", "Comfy Serverless deployments (Comfy API v2): add one as a server",
                    configure=configure)]


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
    return [SURFACE, COMFYUI_URL]
