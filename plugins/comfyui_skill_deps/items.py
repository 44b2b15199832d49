"""One unit of Manager work (a node pack or a model) and its outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

NODE_KINDS = ("install", "uninstall", "update", "disable", "enable")
DONE = {"install": "installed", "install-model": "installed", "uninstall": "uninstalled", "update": "updated",
        "disable": "disabled", "enable": "enabled"}
"""Task kind -> the status of an item that succeeded."""
SECURITY_MARKERS = ("security_level", "security level", "security error", "security policy", "network_mode", "personal_cloud",
                    "this request is banned")


@dataclass
class Item:
    kind: str
    """``install``, ``install-model``, ``uninstall``, ``update``, ``disable`` or ``enable``."""
    name: str
    """What the user knows it by: a registry id, a git URL, a model file name."""
    pack: dict[str, Any] = field(default_factory=dict)
    """Node items: ``id``, ``version``, ``repository`` (git), ``cnr`` (a registry pack)."""
    model: dict[str, Any] = field(default_factory=dict)
    """Model items: the Manager's model metadata (``name``, ``type``, ``base``, ``save_path``, ``url``, ``filename``)."""
    folder: str = ""
    """Model items: the model folder the file lands in (``/models/FOLDER``)."""
    ui_id: str = field(default_factory=lambda: f"cs-{uuid.uuid4().hex[:12]}")
    status: str = "planned"
    """``planned``, ``queued``, then ``installed`` (or the kind's done word), ``failed`` or ``skipped``."""
    reason: str | None = None
    denied: bool = False
    """Refused by the Manager's security policy."""
    server_error: bool = False
    """Failed because the Manager answered something unreadable about it."""

    @property
    def is_model(self) -> bool:
        return self.kind == "install-model"

    @property
    def finished(self) -> bool:
        return self.status not in ("planned", "queued")

    @property
    def label(self) -> str:
        return f"{'model' if self.is_model else 'node pack'} {self.name}"

    def succeed(self) -> None:
        self.status = DONE[self.kind]
        self.reason = None

    def fail(self, reason: str, *, denied: bool | None = None, server_error: bool = False) -> None:
        self.status = "failed"
        self.reason = reason
        self.denied = is_security_denial(reason) if denied is None else denied
        self.server_error = server_error

    def skip(self, reason: str) -> None:
        self.status = "skipped"
        self.reason = reason

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name, "status": self.status, "reason": self.reason,
                                "security_denied": self.denied, "ui_id": self.ui_id}
        if self.is_model:
            data.update(folder=self.folder or None, url=self.model.get("url"))
        return data


def is_security_denial(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in SECURITY_MARKERS)
