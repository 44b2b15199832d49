"""Which ComfyUI-Manager the server runs, if any: 4.x default UI, 4.x legacy UI, or 3.x.

ComfyUI's frontend answers unknown GETs with 404 or, behind some proxies, with a 200 HTML page, and
unknown POSTs with 405: only a JSON ``is_legacy_manager_ui`` or a ``V<major>.<minor>`` version text
counts as a Manager. A 405 proves nothing, so no POST is ever used to probe.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from comfyui_skill import ComfyClient, NotFoundError

VERSION_TEXT = re.compile(r"^V(\d+)\.(\d+)(?:\.\d+)*$")
FIRST_POST_VERSION = (3, 40)
"""Manager 3.40 turned ``queue/start``, ``queue/reset`` and ``reboot`` from GET into POST."""
ENABLE_HINT = ("start ComfyUI with --enable-manager (ComfyUI-Manager 4: pip install comfyui-manager in ComfyUI's "
               "environment), or install ComfyUI-Manager 3 into custom_nodes; then restart ComfyUI")


@dataclass(frozen=True)
class Dialect:
    name: str
    """``4`` (default UI, task API), ``4-legacy`` (``--enable-manager-legacy-ui``, batch API) or ``3``."""
    version: str
    """As the Manager reports it, e.g. ``V4.2.2``."""
    prefix: str
    """``/v2`` for 4.x, nothing for 3.x."""
    posts_actions: bool
    """``queue/start``, ``queue/reset`` and ``reboot`` are POST (else GET, Manager <= 3.39)."""

    @property
    def label(self) -> str:
        ui = {"4": " (task API)", "4-legacy": " (legacy UI)"}.get(self.name, "")
        return f"ComfyUI-Manager {self.version.lstrip('V')}{ui}"

    def to_json(self) -> dict[str, Any]:
        return {"dialect": self.name, "version": self.version}


def _content_type(headers: Any) -> str:
    return next((str(value).lower() for key, value in headers.items() if key.lower() == "content-type"), "")


def _json_object(client: ComfyClient, route: str) -> dict[str, Any] | None:
    response = client.request("GET", route)
    if response.status != 200 or "json" not in _content_type(response.headers):
        return None
    try:
        value = json.loads(response.content)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _version(client: ComfyClient, route: str) -> tuple[str, tuple[int, int]] | None:
    response = client.request("GET", route)
    if response.status != 200 or "html" in _content_type(response.headers):
        return None
    match = VERSION_TEXT.match(response.text.strip())
    return (match.group(0), (int(match.group(1)), int(match.group(2)))) if match else None


def detect(client: ComfyClient) -> Dialect:
    """The Manager's dialect; NotFoundError saying how to enable it when there is none."""
    legacy = _json_object(client, "/v2/manager/is_legacy_manager_ui")
    if legacy is not None and isinstance(legacy.get("is_legacy_manager_ui"), bool):
        found = _version(client, "/v2/manager/version")
        return Dialect("4-legacy" if legacy["is_legacy_manager_ui"] else "4", found[0] if found else "V4",
                       "/v2", True)
    found = _version(client, "/manager/version")
    if found is not None and found[1][0] < 4:
        return Dialect("3", found[0], "", found[1] >= FIRST_POST_VERSION)
    raise NotFoundError(f"server {client.server_name!r} has no ComfyUI-Manager (neither /v2/manager nor "
                        f"/manager answers)", hint=ENABLE_HINT, details={"manager": None})
