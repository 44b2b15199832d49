"""Entry-point discovery, kept apart so the fast ``--help`` path never imports importlib.metadata."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str


@dataclass(frozen=True)
class EntryPoint:
    """The parts of an entry point the plugin host needs."""

    name: str
    value: str
    dist: Distribution | None


def discover(group: str) -> list[EntryPoint]:
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
