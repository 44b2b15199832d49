"""What the fake Manager knows: its dialect, settings, the registry it can reach, installed packs, the queue.

Everything here lives on the fake server's event-loop thread once it runs; tests set the knobs
before the action they exercise (plain attributes, like ``FakeComfyUI.models``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

DIALECTS = {
    "4": ("V4.2.2", "/v2"),
    "4-legacy": ("V4.2.2", "/v2"),
    "3": ("V3.41", ""),
    "3.39": ("V3.39.2", ""),
}
"""Dialect -> (version text of ``/manager/version``, route prefix)."""

SECURITY_LEVELS = ("strong", "normal", "normal-", "weak")
SECURITY_ERROR = "A security error has occurred. Please check the terminal logs"
"""The 3.x (and 4.x legacy) 403 text; the reason only goes to the server log."""
_REFERENCE = "\nReference: https://github.com/ltdrdata/ComfyUI-Manager#security-policy"
SECURITY_MESSAGES = {
    "middle": "ERROR: To use this action, a security_level of `normal or below` is required. Please contact the "
              "administrator." + _REFERENCE,
    "middle+": "ERROR: To use this action, security_level must be `normal or below`, and network_mode must be set "
               "to `personal_cloud`. Please contact the administrator." + _REFERENCE,
    "high": "ERROR: To use this action, '--listen' must be set to a local IP and security_level must be 'normal-' "
            "or lower. Please contact the administrator." + _REFERENCE,
}
"""The log messages of Manager 4.2.2 (``glob/constants.py``) per refused risk level."""


@dataclass
class Pack:
    """A node pack: what installing it puts into ``custom_nodes`` and, after a reboot, ``/object_info``."""

    id: str
    version: str = "1.0.0"
    classes: dict[str, Any] = field(default_factory=dict)
    """Class name -> ``/object_info`` entry, loaded at the next reboot."""
    repository: str | None = None
    enabled: bool = True
    cnr: bool = True
    """A registry (CNR) pack, or one cloned from a git URL."""

    def installed_entry(self) -> dict[str, Any]:
        """The ``/customnode/installed`` value of this pack."""
        return {"ver": self.version, "cnr_id": self.id if self.cnr else "",
                "aux_id": _aux_id(self.repository) if not self.cnr else None, "enabled": self.enabled}


def _aux_id(url: str | None) -> str | None:
    parts = (url or "").rstrip("/").removesuffix(".git").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


def simple_class(name: str, category: str = "custom") -> dict[str, Any]:
    """A minimal ``/object_info`` entry for a custom node class (an IMAGE passthrough)."""
    return {"input": {"required": {"image": ["IMAGE"]}}, "input_order": {"required": ["image"]},
            "output": ["IMAGE"], "output_is_list": [False], "output_name": ["IMAGE"], "name": name,
            "display_name": name, "description": "", "python_module": f"custom_nodes.{category}",
            "category": category, "output_node": False}


@dataclass
class Task:
    ui_id: str
    kind: str
    """``install``, ``install-model``, ``uninstall``, ``update``, ``disable``, ``enable``, ``fix``."""
    params: dict[str, Any]
    client_id: str | None = None


class ManagerState:
    """The knobs and the live state of one fake Manager."""

    def __init__(self, dialect: str) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown Manager dialect {dialect!r}; one of {', '.join(DIALECTS)}")
        self.dialect = dialect
        self.version, self.prefix = DIALECTS[dialect]
        # -- knobs
        self.security_level = "normal"
        self.listen_loopback = True
        """False: ComfyUI was started with ``--listen 0.0.0.0`` (4.x then refuses installs)."""
        self.network_mode = "public"
        self.allow_git_url_install = False
        self.registry_online = True
        """False: api.comfy.org cannot be reached (every registry install fails as offline)."""
        self.registry: dict[str, Pack] = {}
        """Packs the registry offers, by id."""
        self.repositories: dict[str, Pack] = {}
        """What cloning a git URL gives, by URL."""
        self.model_list: list[dict[str, Any]] = []
        """3.x ``model-list.json``: only these (save_path, base, filename) may be installed."""
        self.mappings: dict[str, list[Any]] = {}
        """``/customnode/getmappings``: key (registry id or git URL) -> ``[[class names], {"title_aux": ...}]``."""
        self.task_delay = 0.0
        self.reboot_delay = 0.2
        self.reboot_ignored = False
        """True: ``reboot`` answers 200 and the process goes on (a Manager that is slow or did not restart)."""
        self.results_reported = True
        """False: the worker does the tasks but reports no result (no ``cm-task-completed``, no history
        entry, nothing in ``done``/``batch-done``), as a Manager that lost track of them."""
        self.history_fields: dict[str, Any] = {}
        """Written over every history entry the worker records (e.g. ``{"status": "done"}``: a malformed one)."""
        # -- live state
        self.installed: dict[str, Pack] = {}
        self.pending: list[Task] = []
        self.running: Task | None = None
        self.history: dict[str, dict[str, Any]] = {}
        self.batch_ids: list[str] = []
        self.done_count = 0
        self.batch_total = 0
        self.reboots = 0
        self._serial = itertools.count(1)

    @property
    def is_v4(self) -> bool:
        return self.dialect.startswith("4")

    @property
    def posts_actions(self) -> bool:
        """``queue/start``, ``queue/reset`` and ``reboot`` are POST from 3.40 on, GET before."""
        return self.dialect != "3.39"

    def add_registry_pack(self, pack_id: str, classes: list[str] | dict[str, Any], version: str = "1.0.0") -> Pack:
        """Offer a pack in the registry (with the getmappings entry naming its classes)."""
        pack = Pack(pack_id, version, _classes(classes), repository=f"https://github.com/example/{pack_id}")
        self.registry[pack_id] = pack
        self.mappings[pack_id] = [sorted(pack.classes), {"title_aux": pack_id}]
        return pack

    def add_repository(self, url: str, classes: list[str] | dict[str, Any], listed: bool = True) -> Pack:
        """A git repository a pack can be cloned from (``listed``: it has a getmappings entry)."""
        name = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
        pack = Pack(name, "unknown", _classes(classes), repository=url, cnr=False)
        self.repositories[url] = pack
        if listed:
            self.mappings[url] = [sorted(pack.classes), {"title_aux": name}]
        return pack

    def install_now(self, pack: Pack) -> None:
        """A pack already installed and loaded when the server starts."""
        self.installed[pack.id] = pack

    def loaded_classes(self) -> dict[str, Any]:
        """The classes of the enabled installed packs (what a reboot loads)."""
        return {name: info for pack in self.installed.values() if pack.enabled for name, info in pack.classes.items()}

    def next_batch_id(self) -> str:
        batch = f"batch_20261128_1500{next(self._serial):02d}_fake"
        self.batch_ids.insert(0, batch)
        return batch

    # -- security gates (``is_allowed_security_level`` of the Manager)

    def allowed(self, risk: str) -> bool:
        """``is_allowed_security_level`` of Manager 4.2.2 for ``middle``, ``middle+``, ``high``, ``high+``, ``block``."""
        level, local = self.security_level, self.listen_loopback
        cloud = self.network_mode == "personal_cloud"
        if risk == "block":
            return False
        if risk == "high+":
            return level in ("weak", "normal-") if local else (cloud and level == "weak")
        if risk == "high":
            return level in ("weak", "normal-") if local else level == "weak"
        if risk == "middle+":
            return (local or cloud) and level in ("weak", "normal", "normal-")
        return level in ("weak", "normal", "normal-")

    def denial(self, risk: str) -> str | None:
        """The log message of a refused action of ``risk``, or None when the settings allow it."""
        return None if self.allowed(risk) else SECURITY_MESSAGES[risk.rstrip("+") if risk.startswith("high")
                                                                  else risk]


def _classes(classes: list[str] | dict[str, Any]) -> dict[str, Any]:
    return dict(classes) if isinstance(classes, dict) else {name: simple_class(name) for name in classes}
