"""The batch manifest: JSON lines, append-only, read back as the latest state of every item.

Line one is the header (the workflow document, parameters, servers, output folder); then one
``pending`` record per item with its parameters; then updates, each merged over what came before for
that item. Every record is one ``write()`` on an ``O_APPEND`` descriptor, and records that matter
for exactly-once (a submission, an outcome) are fsynced, so a crash can at worst cut the last line
short: readers skip such a line. Nothing is ever rewritten in place.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from comfyui_skill import NotFoundError, UsageError

FORMAT = "comfyui-skill/batch/1"


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def create(cls, path: Path, header: dict[str, Any], items: list[dict[str, Any]]) -> Manifest:
        """A new manifest at ``path`` (never an existing file: that one is resumed, not replaced).

        The header and the item records are written to a temporary file beside it, then linked to
        ``path`` in one step, so nobody (a reader, or a resume after a crash) ever sees it half written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(staging, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)
        manifest = cls(path)
        manifest._fd = fd
        try:
            manifest._write({"type": "batch", "format": FORMAT, "created_at": time.time(), **header})
            for item in items:
                manifest._write({"type": "item", **item})
            os.fsync(fd)
            os.link(staging, path)  # fails when path exists, like O_EXCL
        except FileExistsError:
            manifest.close()
            raise UsageError(f"manifest {path} already exists", hint=f"continue it with 'run --resume {path}', "
                             "or choose another --manifest") from None
        except BaseException:
            manifest.close()
            raise
        finally:
            os.unlink(staging)
        return manifest

    @classmethod
    def reopen(cls, path: Path) -> Manifest:
        manifest = cls(path)
        manifest._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        manifest._write({"type": "resume", "at": time.time()})
        return manifest

    def update(self, item: int, *, durable: bool = False, **fields: Any) -> None:
        """Append what changed for ``item``; ``durable`` waits until it is on disk."""
        self._write({"type": "item", "item": item, "at": round(time.time(), 3), **fields})
        if durable and self._fd is not None:
            os.fsync(self._fd)

    def _write(self, record: dict[str, Any]) -> None:
        assert self._fd is not None
        os.write(self._fd, (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(path: Path) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """(header, latest record of each item by number)."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise NotFoundError(f"no manifest {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    header: dict[str, Any] | None = None
    items: dict[int, dict[str, Any]] = {}
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            if not isinstance(record, dict):
                continue
            if record.get("type") == "batch" and header is None:
                header = record
            elif record.get("type") == "item" and isinstance(record.get("item"), int):
                items.setdefault(record["item"], {}).update(record)
    if header is None or header.get("format") != FORMAT:
        raise UsageError(f"{path} is not a batch manifest ({FORMAT})")
    return header, items
