"""Comfy Cloud: the ``cloud`` server kind, ``cloud login``/``logout`` and error hints (its ``api_key``
setting is the core's; ``max_concurrent`` is the run plugin's, which reads it).

Every command works against Comfy Cloud as against a local server; the differences live in
:mod:`comfyui_skill_cloud.backend`: routes under ``/api``, the API key in an ``X-API-Key`` header on
REST calls only (and as ``token=`` in the WebSocket URL, redacted everywhere), downloads through a
signed storage URL fetched without any credential.

The API key is looked up in this order: the server's ``api_key`` setting (the config file, 0600, or
``COMFYUI_SKILL_SERVER_<NAME>_API_KEY``), then ``COMFYUI_SKILL_API_KEY``, then ``COMFY_API_KEY``.
Store it with ``printenv KEY | comfyui-skill cloud login NAME`` (standard input, never argv).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, ServerKind, hookimpl

TYPE_CHECKING = False  # ``typing`` costs start-up time
if TYPE_CHECKING:
    from comfyui_skill import Context

DEFAULT_URL = "https://cloud.comfy.org"
HANDLERS = "comfyui_skill_cloud.login"


@hookimpl
def comfyui_skill_server_kinds() -> Iterable[ServerKind]:
    return [ServerKind(
        name="cloud",
        description="Comfy Cloud (API key from 'cloud login', COMFYUI_SKILL_API_KEY or COMFY_API_KEY)",
        factory="comfyui_skill_cloud.backend:CloudBackend",
        default_url=DEFAULT_URL,
    )]


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cloud_command", metavar="SUBCOMMAND")
    login = sub.add_parser("login", help="store a Comfy Cloud API key (read from standard input)",
                           description="Read an API key from standard input and store it as the server's "
                                       "api_key (config file mode 0600). A server of that name is added "
                                       f"(kind cloud, {DEFAULT_URL}) if there is none. Example: "
                                       "'printenv COMFY_KEY | comfyui-skill cloud login cloud'.")
    login.add_argument("cloud_name", metavar="NAME", nargs="?", default="cloud",
                       help="the cloud server's name (default: cloud)")
    login.set_defaults(handler=f"{HANDLERS}:login")
    logout = sub.add_parser("logout", help="forget the stored API key of a cloud server")
    logout.add_argument("cloud_name", metavar="NAME", nargs="?", default="cloud",
                        help="the cloud server's name (default: cloud)")
    logout.set_defaults(handler=f"{HANDLERS}:logout")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("cloud", "Comfy Cloud API key (login, logout)", configure=configure)]


@hookimpl
def comfyui_skill_error_hint(ctx: Context, error: BaseException) -> str | None:
    from .hints import hint

    return hint(ctx, error)
