"""Entry-point discovery, kept apart so the fast ``--help`` path never imports importlib.metadata."""

from __future__ import annotations

from .records import FrozenRecord


class Distribution(FrozenRecord):
    """The installed distribution an entry point comes from."""

    __slots__ = _fields = ("name", "version")
    name: str
    version: str

    def __init__(self, name: str, version: str) -> None:
        self._set(name, version)


class EntryPoint(FrozenRecord):
    """The parts of an entry point the plugin host needs."""

    __slots__ = _fields = ("name", "value", "dist")
    name: str
    value: str
    dist: Distribution | None

    def __init__(self, name: str, value: str, dist: Distribution | None) -> None:
        self._set(name, value, dist)


def discover(group: str) -> list[EntryPoint]:
    """Every entry point of ``group``, from a cache keyed by the installed distributions.

    Scanning every distribution's metadata costs more than the rest of a command's start-up; the
    answer only changes when something is installed or removed, which changes the mtime of a
    ``sys.path`` folder (see :func:`comfyui_skill.helpcache.install_key`).
    """
    import marshal
    import os

    from .helpcache import install_key
    from .paths import cache_path, written_only_by_owner

    if os.environ.get("COMFYUI_SKILL_NO_CACHE"):
        return scan(group)
    path = os.path.join(cache_path(), f"entry-points-{group}.marshal")
    key = install_key()
    try:
        with open(path, "rb") as handle:
            cached_key, rows = marshal.loads(handle.read()) if written_only_by_owner(handle) else (None, [])
        if cached_key == key:
            return [EntryPoint(n, v, Distribution(d, dv) if d is not None else None) for n, v, d, dv in rows]
    except (OSError, ValueError, EOFError, TypeError):
        pass
    found = scan(group)
    rows = [(ep.name, ep.value, ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
            for ep in found]
    from .config import atomic_write

    try:
        atomic_write(path, marshal.dumps((key, rows)), mode=0o600)  # private: it names modules to import
    except OSError:
        pass
    return found


def scan(group: str) -> list[EntryPoint]:
    """Every entry point of ``group`` in the running environment, one per name and distribution.

    ``importlib.metadata.entry_points(group=...)`` already de-duplicates a distribution seen twice
    on ``sys.path`` (a symlinked site-packages), which a walk over raw dist-infos would not.
    """
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        found.append(EntryPoint(
            name=ep.name, value=ep.value,
            dist=Distribution(dist.name, dist.version) if dist is not None else None,
        ))
    return found
